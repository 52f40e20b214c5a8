/**
 * Everything a subprocess can end in rejects with one class,
 * {@link SubprocessError}: a start that failed (a missing program, EACCES, a
 * failing chdir / setuid / execve in the child: then it carries the system
 * error's `code`, `errno`, `syscall`, `path` and `spawnargs`, and the system
 * error as `cause`), an abort before the start, a non-zero exit, a signal,
 * a timeout, an abort, maxBuffer.
 */
import { systemError, type SystemError } from '../errors';
import type { LaunchMethod } from './launched';
import { failureMessage } from './errorMessage';
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

/**
 * What a finished child gave. `Stdout` / `Stderr` are what spawn()'s types
 * worked out from `stdio` and `encoding` (see {@link OutputOf}).
 */
export interface SubprocessResult<Stdout = string | Buffer | undefined, Stderr = Stdout> {
  /** The exit code, or `null` when a signal ended the child. */
  exitCode: number | null;
  /** The name of the signal that ended the child, or `null`. */
  signal: string | null;
  /**
   * Collected stdout, decoded per `encoding`. `undefined` when stdout was not
   * a pipe, or when its pipe was handed to another child as stdio (then that
   * child got every byte and the parent read none; the types cannot see that).
   */
  stdout: Stdout;
  /** Collected stderr, as `stdout`. */
  stderr: Stderr;
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
   * For `a.pipe(file, ...)`: how `a`, the child whose stdout this one read, ended
   * (its result, or its SubprocessError when it failed by a SIGPIPE, which is how a
   * writer ends when its reader stops early).
   */
  pipedFrom?: SubprocessResult | SubprocessError;
  /**
   * The child's own CPU time, peak memory, page faults and context switches,
   * from the wait that reaped it; `undefined` where the start went through
   * child_process (win32, no addon): see {@link ChildResourceUsage}.
   */
  resourceUsage: ChildResourceUsage | undefined;
}

/** A start that failed, before any child ran (or an AbortSignal aborted before the start). */
export interface StartFailure {
  /** The system error (ENOENT, EACCES, ...) or the AbortError. */
  cause: Error;
  command: string;
  spawnargs: string[];
  durationMs: number;
  /** The AbortSignal had already fired: nothing was started. */
  isCanceled?: boolean;
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

function isStartFailure(from: object): from is StartFailure {
  return 'cause' in from && !('exitCode' in from);
}

/**
 * Everything a subprocess can end in: a start that failed, a non-zero exit,
 * a signal, a timeout, an abort, maxBuffer. The message names the command
 * and ends with the last lines of its stderr (when it was collected).
 */
export class SubprocessError<T = string | Buffer> extends Error {
  /**
   * `'ENOENT'`, `'EACCES'`, ... for a start that failed (a system error's code);
   * `'ETIMEDOUT'`, `'ABORT_ERR'`, `'ERR_CHILD_PROCESS_STDIO_MAXBUFFER'`;
   * undefined for a plain non-zero exit or a signal.
   */
  code: string | undefined;
  /** For a start that failed: the errno as Node reports it (negative, e.g. `-2`). */
  declare errno?: number;
  /** For a start that failed: the step that failed (`'execve'`, `'chdir'`, `'setuid'`, ...). */
  declare syscall?: string;
  /** For a start that failed: the path the failing step was about, where one applies. */
  declare path?: string;
  /** For a start that failed: the arguments after the file, as Node's child_process reports them. */
  declare spawnargs?: string[];
  /** The exit code; `null` after a signal or when the child never started. */
  exitCode: number | null;
  /** The name of the signal that ended the child, or `null`. */
  signal: string | null;
  /** Collected stdout (as in the result); undefined when the child never started. */
  stdout: T | undefined;
  /** Collected stderr (as in the result); undefined when the child never started. */
  stderr: T | undefined;
  durationMs: number;
  /** The child's pid; undefined when it never started. */
  pid: number | undefined;
  command: string;
  /** How the child was started; undefined when it never started. */
  method: LaunchMethod | undefined;
  timedOut: boolean;
  isCanceled: boolean;
  maxBufferExceeded: boolean;
  /** As in the result, for `a.pipe(...)`. */
  declare pipedFrom?: SubprocessResult | SubprocessError;
  /** For {@link pipeline}: every command's result (or error), in order. */
  declare results?: (SubprocessResult | SubprocessError)[];
  resourceUsage: ChildResourceUsage | undefined;

  constructor(from: SubprocessResult<T | undefined> | StartFailure, timeout = 0) {
    const start = isStartFailure(from);
    const headline = start
      ? `Command failed to start: ${from.command}\n${from.cause.message}`
      : `Command ${reason(from, timeout).text}: ${from.command}`;
    super(
      start ? headline : failureMessage(headline, from.stderr),
      start ? { cause: from.cause } : {},
    );
    this.name = 'SubprocessError';
    const r = start ? notStarted<T>(from) : from;
    this.code = start ? (from.cause as Partial<SystemError>).code : reason(from, timeout).code;
    this.exitCode = r.exitCode;
    this.signal = r.signal;
    this.stdout = r.stdout;
    this.stderr = r.stderr;
    this.durationMs = r.durationMs;
    this.pid = r.pid;
    this.command = r.command;
    this.method = r.method;
    this.timedOut = r.timedOut;
    this.isCanceled = r.isCanceled;
    this.maxBufferExceeded = r.maxBufferExceeded;
    this.resourceUsage = r.resourceUsage;
    if ('pipedFrom' in r && r.pipedFrom !== undefined) this.pipedFrom = r.pipedFrom;
    if (start) this.#systemFields(from);
  }

  /** The Node system-error fields of the cause, and the arguments. */
  #systemFields(from: StartFailure): void {
    const cause = from.cause as Partial<SystemError>;
    if (cause.errno !== undefined) this.errno = cause.errno;
    if (cause.syscall !== undefined) this.syscall = cause.syscall;
    if (cause.path !== undefined) this.path = cause.path;
    this.spawnargs = from.spawnargs;
  }
}

/** The result-shaped fields of a child that never ran. */
function notStarted<T>(
  from: StartFailure,
): Omit<SubprocessResult<T | undefined>, 'pid' | 'method'> & { pid: undefined; method: undefined } {
  return {
    exitCode: null,
    signal: null,
    stdout: undefined,
    stderr: undefined,
    durationMs: from.durationMs,
    pid: undefined,
    command: from.command,
    method: undefined,
    timedOut: false,
    isCanceled: from.isCanceled ?? false,
    maxBufferExceeded: false,
    resourceUsage: undefined,
  };
}

/** The error of a start that failed, as every spawn reports it. */
export function startFailed(
  cause: Error,
  prepared: { command: string; spawnargs: string[] },
  started: number,
  isCanceled = false,
): SubprocessError<never> {
  if (cause instanceof SubprocessError) return cause as SubprocessError<never>;
  return new SubprocessError<never>({
    cause,
    command: prepared.command,
    spawnargs: prepared.spawnargs,
    durationMs: performance.now() - started,
    isCanceled,
  });
}

/** True when the result is a success (exit 0, nothing killed it). */
export function succeeded(result: SubprocessResult<unknown>): boolean {
  return (
    result.exitCode === 0 && !result.timedOut && !result.isCanceled && !result.maxBufferExceeded
  );
}
