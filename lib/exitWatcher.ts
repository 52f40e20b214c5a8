/**
 * Exit watching: one {@link ExitWatch} for every kind of child, which
 * everything else asks (spawn, fork, the start methods).
 *
 * - Our own children ({@link watchExit}, here): a pidfd polled on the event
 *   loop, reaped with waitid on that pidfd alone; SIGCHLD and
 *   waitpid(pid, WNOHANG) where the kernel has no pidfds. Never `waitpid(-1)`.
 * - Children of the forkserver (./exitWatchServed): not our children; the
 *   server reaps them and reports each exit.
 * - Children started through Node's child_process, where there is no addon
 *   (./exitWatchChildProcess): libuv reaps them.
 */
import { constants as osConstants } from 'node:os';
import { binding } from './native';
import { systemError } from './errors';
import { decodeWaitStatus, type WaitStatus } from './posix/wait';
import type { NativeErrnoError, NativeWaitStatus } from './native';

/** The watch on one child: its exit, and signals that cannot reach a recycled pid. */
export interface ExitWatch {
  readonly pid: number;
  /**
   * Settles once, when the child has exited and been reaped; rejects when
   * its status is lost (reaped by someone else) or, through child_process,
   * when it could not be started.
   */
  readonly exited: Promise<WaitStatus>;
  /** True until the child's exit is known. */
  readonly running: boolean;
  /** Sends `signal` (a number); false when the child has exited, reaped or not (nothing was signalled). */
  kill(signal: number): boolean;
  /** Keeps the event loop alive until the child exits (the default). */
  ref(): void;
  /** Lets the event loop end while the child still runs. */
  unref(): void;
}

/** The promise behind an {@link ExitWatch}, and whether it is still pending. */
export interface PendingExit {
  readonly exited: Promise<WaitStatus>;
  readonly running: boolean;
  resolve(status: WaitStatus): void;
  reject(error: Error): void;
}

/** A pending exit: `running` turns false when it settles. */
export function pendingExit(): PendingExit {
  let settle!: { resolve: (s: WaitStatus) => void; reject: (e: Error) => void };
  const exited = new Promise<WaitStatus>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const pending = {
    exited,
    running: true,
    resolve: (status: WaitStatus) => {
      pending.running = false;
      settle.resolve(status);
    },
    reject: (error: Error) => {
      pending.running = false;
      settle.reject(error);
    },
  };
  return pending;
}

function rawStatus(code: number | null, signal: string | null): number {
  if (code !== null) return (code & 0xff) << 8;
  return signal === null ? 0 : (osConstants.signals[signal as NodeJS.Signals] ?? 0);
}

/**
 * The status of a child known only by its exit code or killing signal (as
 * child_process reports it). Windows has no wait status word: the exit code
 * is all there is; elsewhere the word is rebuilt as waitpid would give it.
 */
export function statusFromExit(
  pid: number,
  code: number | null,
  signal: string | null,
): WaitStatus {
  return {
    pid,
    exitCode: code,
    signal,
    signalCode: signal === null ? null : (osConstants.signals[signal as NodeJS.Signals] ?? null),
    coreDumped: false,
    stopped: false,
    stopSignal: null,
    continued: false,
    status: process.platform === 'win32' ? (code ?? 0) : rawStatus(code, signal),
  };
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
