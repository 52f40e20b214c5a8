/**
 * Kill escalation (`forceKillAfterDelay`, execa's name): a child sent a
 * gentler signal (SIGTERM by default) that is still alive after the delay
 * gets SIGKILL, so a child that traps or ignores SIGTERM cannot make a
 * `timeout` or an abort wait forever.
 */
import { constants } from 'node:os';

const SIGKILL = constants.signals.SIGKILL;

/** One child's pending SIGKILL. */
export class ForceKill {
  #timer: NodeJS.Timeout | undefined;

  /**
   * @param delay milliseconds from the first signal to SIGKILL; < 0: never.
   * @param sendKill sends SIGKILL to the child (a no-op once it is gone).
   */
  constructor(
    private readonly delay: number,
    private readonly sendKill: (signal: number) => void,
  ) {}

  /** A signal was delivered: SIGKILL follows unless the child exits first. */
  after(signal: number): void {
    if (this.delay < 0 || signal === SIGKILL || signal === 0 || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.sendKill(SIGKILL);
    }, this.delay);
    // The child's own watch keeps the loop alive while it runs (unless the
    // caller unref'd it): this timer must never be the one that does.
    this.#timer.unref();
  }

  /** The child is gone. */
  cancel(): void {
    if (this.#timer) clearTimeout(this.#timer);
  }
}
