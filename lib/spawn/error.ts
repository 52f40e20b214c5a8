/**
 * The two ways a spawn fails: the child could not be started (a system
 * error: `code`, `errno`, `syscall`, `path`, `spawnargs`), or it ran and
 * failed (a {@link SubprocessError}).
 */
import { systemError, type SystemError } from '../errors';
import type { LaunchMethod } from './launched';
import type { ChildResourceUsage } from '../exitWatch/resourceUsage';

/** A start that failed: a Node-style system error that also names the arguments. */
export interface SpawnError extends SystemError {
  /** The arguments after the file, as Node's child_process reports them. */
  spawnargs: string[];
}

/** Adds `spawnargs` to a system error of the start. */
export function spawnError(error: SystemError, spawnargs: string[]): SpawnError {
  const e = error as SpawnError;
  e.spawnargs = spawnargs;
  return e;
}

/** The native layer's failure (positive errno, syscall) as a Node-style error. */
export function nativeSpawnError(
  error: unknown,
  details: { file: string; cwd: string | undefined; spawnargs: string[] },
): Error {
  const { errno, syscall } = error as { errno?: unknown; syscall?: unknown };
  if (typeof errno !== 'number' || typeof syscall !== 'string') return error as Error;
  // Only these two steps are about a path: a failing dup2 or setpgid is not.
  const path = syscall === 'chdir' ? details.cwd : syscall === 'execve' ? details.file : undefined;
  return spawnError(
    systemError(errno, syscall, path === undefined ? {} : { path }),
    details.spawnargs,
  );
}

/** What a finished child gave. */
export interface SubprocessResult<T = string | Buffer> {
  /** The exit code, or `null` when a signal ended the child. */
  exitCode: number | null;
  /** The name of the signal that ended the child, or `null`. */
  signal: string | null;
  /**
   * Collected stdout, decoded per `encoding`. `undefined` when stdout was not
   * a pipe, or when its pipe was handed to another child as stdio (then that
   * child got every byte and the parent read none).
   */
  stdout: T | undefined;
  /** Collected stderr, as `stdout`. */
  stderr: T | undefined;
  /** From the start to the exit. */
  durationMs: number;
  pid: number;
  /** The file and arguments joined by spaces (for messages, not for a shell). */
  command: string;
  /** How the child was started: 'posix_spawn', 'vfork' or 'fork'; 'CreateProcess' on win32, 'child_process' on other systems without the addon. */
  method: LaunchMethod;
  /**
   * True when `timeout` passed before the call was done: the child was killed
   * then, or it had exited but another process (a grandchild it left in the
   * background) still held its stdout or stderr open. Either way the parent
   * kept what the pipes held at that moment and stopped reading there, so
   * `stdout` / `stderr` lack whatever was written to them later.
   */
  timedOut: boolean;
  /** True when the AbortSignal ended the call, in the same two ways as `timedOut`. */
  isCanceled: boolean;
  /** True when an output stream went past `maxBuffer` (it is truncated there). */
  maxBufferExceeded: boolean;
  /**
   * The child's own CPU time, peak memory, page faults and context switches,
   * from the wait that reaped it; `undefined` where the start went through
   * child_process (win32, no addon): see {@link ChildResourceUsage}.
   */
  resourceUsage: ChildResourceUsage | undefined;
}

function reason(
  result: SubprocessResult<unknown>,
  timeout: number,
): { code: string | undefined; text: string } {
  if (result.timedOut)
    return { code: 'ETIMEDOUT', text: `timed out after ${timeout} milliseconds` };
  if (result.isCanceled) return { code: 'ABORT_ERR', text: 'was canceled' };
  if (result.maxBufferExceeded) {
    return { code: 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER', text: 'went past maxBuffer' };
  }
  if (result.signal !== null) return { code: undefined, text: `was killed by ${result.signal}` };
  return { code: undefined, text: `failed with exit code ${result.exitCode ?? '?'}` };
}

/** A child that ran and did not succeed: non-zero exit, a signal, a timeout, an abort, maxBuffer. */
export class SubprocessError<T = string | Buffer> extends Error implements SubprocessResult<T> {
  code: string | undefined;
  exitCode: number | null;
  signal: string | null;
  stdout: T | undefined;
  stderr: T | undefined;
  durationMs: number;
  pid: number;
  command: string;
  method: LaunchMethod;
  timedOut: boolean;
  isCanceled: boolean;
  maxBufferExceeded: boolean;
  resourceUsage: ChildResourceUsage | undefined;

  constructor(result: SubprocessResult<T>, timeout = 0) {
    const { code, text } = reason(result, timeout);
    super(`Command ${text}: ${result.command}`);
    this.name = 'SubprocessError';
    this.code = code;
    this.exitCode = result.exitCode;
    this.signal = result.signal;
    this.stdout = result.stdout;
    this.stderr = result.stderr;
    this.durationMs = result.durationMs;
    this.pid = result.pid;
    this.command = result.command;
    this.method = result.method;
    this.timedOut = result.timedOut;
    this.isCanceled = result.isCanceled;
    this.maxBufferExceeded = result.maxBufferExceeded;
    this.resourceUsage = result.resourceUsage;
  }
}

/** True when the result is a success (exit 0, nothing killed it). */
export function succeeded(result: SubprocessResult<unknown>): boolean {
  return (
    result.exitCode === 0 && !result.timedOut && !result.isCanceled && !result.maxBufferExceeded
  );
}
