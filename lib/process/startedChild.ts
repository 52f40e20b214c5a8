/** A child started by some start method, as Process and Pool see it. */
import type { Channel } from '../channel/framedChannel';
import type { ChildResourceUsage } from '../exitWatch/resourceUsage';
import type { TargetSpec } from './target';

/** How a child ended. */
export interface ChildExit {
  exitCode: number | null;
  signal: string | null;
  /** Its own usage, from whoever reaped it (us, or the forkserver). */
  resourceUsage: ChildResourceUsage | undefined;
}

export interface StartedChild {
  pid: number;
  channel: Channel;
  /** Settles when the child has exited (and, where we are its parent, been reaped). */
  exited: Promise<ChildExit>;
  /** Signals the child (by number); false when it is already gone. */
  kill(signal: number): boolean;
  /** Whether the child keeps the event loop alive (default: yes). */
  setRef(on: boolean): void;
}

/** Options every start method honours. */
export interface ChildOptions {
  /**
   * The target the child runs first, when known at the start: the `fork`
   * start method loads a module target in the parent before it forks, so an
   * import error is the parent's and every child has the module already.
   */
  target?: TargetSpec;
  env?: Record<string, string | undefined>;
  cwd?: string;
  /**
   * The parent sends this child one task and nothing after it (a Process):
   * a `spawn` child may then leave as soon as its answer is written.
   */
  oneTask?: boolean;
  /**
   * The child's first task, framed (a Process's one task). The start method
   * writes it as soon as the channel exists, not on a later tick (the child
   * can run it while the caller is still busy); the forkserver's client even
   * before it asks for a child, so the child finds its task as it takes the
   * channel instead of waiting until we have heard the server's reply.
   */
  firstFrame?: Buffer;
}
