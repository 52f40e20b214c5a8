/**
 * Exit watching for our own children, without threads: a pidfd polled on
 * the event loop, reaped with waitid on that pidfd alone; SIGCHLD and
 * waitpid(pid, WNOHANG) where the kernel has no pidfds (./exitWatch/sigchld).
 * Never `waitpid(-1)`. The other kinds of child are in ./exitWatch/.
 */
import { binding } from './native';
import { systemError } from './errors';
import { decodeWaitStatus } from './posix/wait';
import type { NativeErrnoError, NativeWaitStatus } from './native';
import { watchBySigchld } from './exitWatch/sigchld';
import { pendingExit, type ExitWatch } from './exitWatch/watch';

export type { ExitWatch } from './exitWatch/watch';

/** False once the kernel said ENOSYS to pidfd_open, or when the fallback is forced. */
let pidfdsUsable = process.env.FORKEXEC_EXIT_WATCH !== 'sigchld';
const ENOSYS = 38;

/**
 * Watches child `pid`, which the caller created and nobody else reaps.
 * `pidfd`, when given (clone's CLONE_PIDFD), is taken over; otherwise one is
 * opened (a not-yet-reaped child can always be opened, even as a zombie).
 * Where the kernel has no pidfds, SIGCHLD and waitpid(pid, WNOHANG) do.
 */
export function watchExit(pid: number, pidfd?: number): ExitWatch {
  const native = binding('exit watching');
  if (!pidfdsUsable) {
    if (pidfd !== undefined) native.close(pidfd);
    return watchBySigchld(pid);
  }
  let fd = pidfd;
  if (fd === undefined) {
    try {
      fd = native.pidfdOpen(pid, 0);
    } catch (error) {
      const { errno, syscall } = error as NativeErrnoError;
      if (errno !== ENOSYS) throw systemError(errno, syscall);
      pidfdsUsable = false;
      return watchBySigchld(pid);
    }
  }
  const pending = pendingExit();
  const watcher = new native.ExitWatcher(
    fd,
    (error: NativeErrnoError | null, raw: NativeWaitStatus | null) => {
      if (raw !== null) pending.resolve(decodeWaitStatus(raw));
      else pending.reject(systemError(error?.errno ?? 0, error?.syscall ?? 'waitid'));
    },
  );
  return {
    pid,
    exited: pending.exited,
    get running() {
      return pending.running;
    },
    kill: (signal) => pending.running && watcher.kill(signal),
    ref: () => {
      watcher.ref();
    },
    unref: () => {
      watcher.unref();
    },
  };
}
