/**
 * Exit watching without threads, shared by spawn, fork and the start
 * methods: a pidfd polled on the event loop, reaped with waitid on that
 * pidfd alone. Never `waitpid(-1)`.
 */
import { binding } from './native';
import { systemError } from './errors';
import { decodeWaitStatus, type WaitStatus } from './posix/wait';
import type { NativeErrnoError, NativeWaitStatus } from './native';

/** The watch on one child: its exit, and signals that cannot reach a recycled pid. */
export interface ExitWatch {
  readonly pid: number;
  /** Settles once, when the child has exited and been reaped. */
  readonly exited: Promise<WaitStatus>;
  /** True until the child has been reaped. */
  readonly running: boolean;
  /** Sends `signal` (a number); false when the child has exited, reaped or not (nothing was signalled). */
  kill(signal: number): boolean;
  /** Keeps the event loop alive until the child exits (the default). */
  ref(): void;
  /** Lets the event loop end while the child still runs. */
  unref(): void;
}

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

function watchBySigchld(pid: number): ExitWatch {
  const native = binding('exit watching');
  let running = true;
  let settle!: { resolve: (s: WaitStatus) => void; reject: (e: Error) => void };
  const exited = new Promise<WaitStatus>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const watch: SigchldWatch = {
    refd: true,
    done: (raw, error) => {
      running = false;
      if (raw !== null) settle.resolve(decodeWaitStatus(raw));
      else settle.reject(error ?? new Error(`child ${String(pid)}: no status`));
    },
  };
  sigchldWatches.set(pid, watch);
  sigchldUpdate();
  // It may have exited before the listener was there.
  sigchldCheck();
  return {
    pid,
    exited,
    get running() {
      return running;
    },
    // Not reaped yet, so the pid is still this child's.
    kill: (signal) => {
      if (!running) return false;
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
      if (running) sigchldUpdate();
    },
    unref: () => {
      watch.refd = false;
      if (running) sigchldUpdate();
    },
  };
}

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
  let running = true;
  let settle!: { resolve: (s: WaitStatus) => void; reject: (e: Error) => void };
  const exited = new Promise<WaitStatus>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const watcher = new native.ExitWatcher(
    fd,
    (error: NativeErrnoError | null, raw: NativeWaitStatus | null) => {
      running = false;
      if (raw !== null) settle.resolve(decodeWaitStatus(raw));
      else settle.reject(systemError(error?.errno ?? 0, error?.syscall ?? 'waitid'));
    },
  );
  return {
    pid,
    exited,
    get running() {
      return running;
    },
    kill: (signal) => running && watcher.kill(signal),
    ref: () => {
      watcher.ref();
    },
    unref: () => {
      watcher.unref();
    },
  };
}
