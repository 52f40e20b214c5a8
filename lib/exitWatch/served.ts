/**
 * The {@link ExitWatch} on a child of the forkserver. It is not our child:
 * the server reaps it and reports its status, which the client hands to
 * {@link ServedExitWatch.report}. The pidfd the server sent with the child
 * lets us signal it without reaching a recycled pid.
 */
import { pendingExit, type ExitWatch } from './watch';
import { binding } from '../native';
import * as posix from '../posix';
import type { WaitStatus } from '../posix/wait';

/** An {@link ExitWatch} that the forkserver client settles. */
export interface ServedExitWatch extends ExitWatch {
  /** Whether the child should keep the event loop alive. */
  readonly referenced: boolean;
  /** The server reaped the child: settle with its status and close the pidfd. */
  report(status: WaitStatus): void;
  /** A forked copy of this process: close the pidfd and never settle. */
  forget(): void;
}

/**
 * Watches forkserver child `pid` through `pidfd` (taken over).
 * `onRefChange` runs after ref() and unref(), so the client can keep its
 * control socket (where exits arrive) ref'd while any child is.
 */
export function watchServedChild(
  pid: number,
  pidfd: number,
  onRefChange: () => void,
): ServedExitWatch {
  const native = binding('the forkserver start method');
  const pending = pendingExit();
  let fd = pidfd;
  let referenced = true;
  const close = () => {
    if (fd >= 0) posix.close(fd);
    fd = -1;
  };
  const setRef = (on: boolean) => {
    referenced = on;
    onRefChange();
  };
  return {
    pid,
    exited: pending.exited,
    get running() {
      return pending.running;
    },
    get referenced() {
      return referenced;
    },
    kill: (signal) => {
      // A pidfd is readable once its process has exited: a zombie of the
      // server's takes the signal and nobody gets it.
      if (fd < 0 || !pending.running || native.pollReadable(fd, 0)) return false;
      try {
        posix.pidfdSendSignal(fd, signal);
        return true;
      } catch (error) {
        if ((error as { code?: string }).code === 'ESRCH') return false;
        throw error;
      }
    },
    ref: () => {
      setRef(true);
    },
    unref: () => {
      setRef(false);
    },
    report: (status) => {
      close();
      pending.resolve(status);
    },
    forget: close,
  };
}
