/**
 * The one abstraction for a child's exit, whoever reaps it:
 *
 * - our own children (../exitWatcher: a pidfd, or SIGCHLD where the kernel
 *   has none); we reap them, by pid or pidfd, never `waitpid(-1)`;
 * - children of the forkserver (./served): the server reaps and reports;
 * - children that Node's child_process started where there is no addon
 *   (./childProcess): libuv reaps them.
 *
 * Everything else (spawn, fork, the start methods) asks an {@link ExitWatch}.
 */
import { constants as osConstants } from 'node:os';
import type { WaitStatus } from '../posix/wait';

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
    signalNumber: signal === null ? null : (osConstants.signals[signal as NodeJS.Signals] ?? null),
    coreDumped: false,
    stopped: false,
    stopSignal: null,
    continued: false,
    status: process.platform === 'win32' ? (code ?? 0) : rawStatus(code, signal),
    // libuv reaped it and Node keeps no rusage of a child (ChildResourceUsage).
    resourceUsage: undefined,
  };
}
