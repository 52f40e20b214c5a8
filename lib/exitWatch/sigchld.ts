import { binding } from '../native';
import { systemError } from '../errors';
import { decodeWaitStatus } from '../posix/wait';
import type { NativeErrnoError, NativeWaitStatus } from '../native';
import { pendingExit, type ExitWatch } from './watch';

/**
 * Kernels without pidfds (before 5.3): SIGCHLD says "some child changed";
 * we then ask each of our own pids with waitpid(pid, WNOHANG), never
 * waitpid(-1). A slow interval backs the signal up (a SIGCHLD that arrives
 * before a child is registered is covered by the check at registration) and
 * keeps the event loop alive while a ref'd child runs, as the poll handle
 * does on the pidfd path. `FORKEXEC_EXIT_WATCH=sigchld` forces this path.
 */
interface SigchldWatch {
  /** The status, or the error of a waitpid that can never succeed (ECHILD: reaped by someone else). */
  done: (raw: NativeWaitStatus | null, error?: Error) => void;
  refd: boolean;
}

const sigchldWatches = new Map<number, SigchldWatch>();
let sigchldInterval: NodeJS.Timeout | undefined;

function sigchldCheck(): void {
  const native = binding('exit watching');
  for (const [pid, watch] of [...sigchldWatches]) {
    let raw: NativeWaitStatus | null;
    try {
      raw = native.waitpid(pid, native.constants.WNOHANG);
    } catch (error) {
      // ECHILD: someone else reaped it (a waitpid(-1) elsewhere in the
      // process). Its status is lost; say so instead of waiting forever.
      const { errno, syscall } = error as NativeErrnoError;
      sigchldWatches.delete(pid);
      watch.done(
        null,
        systemError(errno, syscall, { message: `child ${String(pid)} was reaped by someone else` }),
      );
      continue;
    }
    if (raw === null) continue;
    sigchldWatches.delete(pid);
    watch.done(raw);
  }
  sigchldUpdate();
}

function sigchldUpdate(): void {
  if (sigchldWatches.size === 0) {
    if (sigchldInterval) clearInterval(sigchldInterval);
    sigchldInterval = undefined;
    process.removeListener('SIGCHLD', sigchldCheck);
    return;
  }
  if (!sigchldInterval) {
    process.on('SIGCHLD', sigchldCheck);
    sigchldInterval = setInterval(sigchldCheck, 250);
  }
  const anyRefd = [...sigchldWatches.values()].some((w) => w.refd);
  if (anyRefd) sigchldInterval.ref();
  else sigchldInterval.unref();
}

/** Watches our child `pid` without a pidfd. */
export function watchBySigchld(pid: number): ExitWatch {
  const native = binding('exit watching');
  const pending = pendingExit();
  const watch: SigchldWatch = {
    refd: true,
    done: (raw, error) => {
      if (raw !== null) pending.resolve(decodeWaitStatus(raw));
      else pending.reject(error ?? new Error(`child ${String(pid)}: no status`));
    },
  };
  sigchldWatches.set(pid, watch);
  sigchldUpdate();
  // It may have exited before the listener was there.
  sigchldCheck();
  return {
    pid,
    exited: pending.exited,
    get running() {
      return pending.running;
    },
    // Not reaped yet, so the pid is still this child's.
    kill: (signal) => {
      if (!pending.running) return false;
      try {
        // A zombie takes the signal and nobody gets it: exited means not sent.
        const { WEXITED, WNOHANG, WNOWAIT, P_PID } = native.constants;
        if (native.waitid(P_PID, pid, WEXITED | WNOHANG | WNOWAIT) !== null) return false;
        native.kill(pid, signal);
        return true;
      } catch {
        return false;
      }
    },
    ref: () => {
      watch.refd = true;
      if (pending.running) sigchldUpdate();
    },
    unref: () => {
      watch.refd = false;
      if (pending.running) sigchldUpdate();
    },
  };
}
