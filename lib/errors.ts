/**
 * The errors forkexec throws. Argument errors follow Node's own
 * (`TypeError` / `RangeError` with `code` such as `ERR_INVALID_ARG_TYPE`);
 * failing syscalls throw errors shaped like Node's system errors.
 */
import { inspect, getSystemErrorMap } from 'node:util';

/** An Error with a Node-style `code`. */
export interface CodedError extends Error {
  code: string;
}

/** A failed syscall, shaped like Node's own system errors (`fs`, `child_process`). */
export interface SystemError extends Error {
  /** The errno name, e.g. `'ENOENT'`. */
  code: string;
  /** The errno as Node reports it: negative, e.g. `-2` for ENOENT. */
  errno: number;
  /** The syscall that failed, e.g. `'execve'`, `'posix_spawn'`, `'chdir'`. */
  syscall: string;
  /** The path the call was about, where one applies. */
  path?: string;
}

function coded<E extends Error>(error: E, code: string): E & CodedError {
  Object.defineProperty(error, 'code', {
    value: code,
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return error as E & CodedError;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return `Received ${String(value)}`;
  if (typeof value === 'function') return `Received function ${value.name || '<anonymous>'}`;
  if (typeof value === 'object') {
    const ctor = (value as { constructor?: { name?: string } }).constructor?.name;
    return ctor ? `Received an instance of ${ctor}` : `Received ${inspect(value, { depth: 0 })}`;
  }
  const shown = inspect(value, { maxStringLength: 40 });
  return `Received type ${typeof value} (${shown})`;
}

/** `ERR_INVALID_ARG_TYPE`: the argument is not of the expected type. */
export function invalidArgType(name: string, expected: string, actual: unknown): TypeError {
  return coded(
    new TypeError(`The "${name}" argument must be ${expected}. ${describe(actual)}`),
    'ERR_INVALID_ARG_TYPE',
  );
}

/** `ERR_INVALID_ARG_VALUE`: right type, unacceptable value. */
export function invalidArgValue(name: string, value: unknown, reason: string): TypeError {
  const shown = inspect(value, { maxStringLength: 60, depth: 1 });
  return coded(
    new TypeError(`The argument '${name}' ${reason}. Received ${shown}`),
    'ERR_INVALID_ARG_VALUE',
  );
}

/** `ERR_OUT_OF_RANGE`: a number outside what the call accepts. */
export function outOfRange(name: string, range: string, value: unknown): RangeError {
  return coded(
    new RangeError(
      `The value of "${name}" is out of range. It must be ${range}. Received ${inspect(value)}`,
    ),
    'ERR_OUT_OF_RANGE',
  );
}

/** `ERR_FORKEXEC_UNSUPPORTED_PLATFORM`: the call has no equivalent on this platform. */
export function unsupportedPlatform(what: string, hint?: string): CodedError {
  const tail = hint ? ` ${hint}` : '';
  return coded(
    new Error(`${what} is not supported on ${process.platform}.${tail}`),
    'ERR_FORKEXEC_UNSUPPORTED_PLATFORM',
  );
}

/** Any other forkexec error with its own code. */
export function forkexecError(code: string, message: string): CodedError {
  return coded(new Error(message), code);
}

let errnoCodes: Map<number, string> | undefined;

/**
 * errno -> name from os.constants, built on first use: a `spawn` child,
 * which loads this module, usually never needs it (nor node:os).
 */
function errnoCode(errno: number): string | undefined {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { constants } = require('node:os') as typeof import('node:os');
  errnoCodes ??= new Map(Object.entries(constants.errno).map(([code, n]) => [n, code]));
  return errnoCodes.get(errno);
}

/** glibc's wording for the errnos libuv has no entry for (ECHILD, ENOEXEC, ...). */
const extraDescriptions: Record<string, string> = {
  EBADMSG: 'bad message',
  ECHILD: 'no child processes',
  EDEADLK: 'resource deadlock avoided',
  EDOM: 'numerical argument out of domain',
  EDQUOT: 'disk quota exceeded',
  EIDRM: 'identifier removed',
  EINPROGRESS: 'operation now in progress',
  EMULTIHOP: 'multihop attempted',
  ENETRESET: 'network dropped connection on reset',
  ENOEXEC: 'exec format error',
  ENOLCK: 'no locks available',
  ENOLINK: 'link has been severed',
  ENOMSG: 'no message of desired type',
  ENOSR: 'out of streams resources',
  ENOSTR: 'device not a stream',
  ESTALE: 'stale file handle',
  ETIME: 'timer expired',
};

/** The name of a positive C errno (`2` -> `'ENOENT'`), and its description, as Node names them. */
export function errnoName(errno: number): { code: string; description: string } {
  // libuv's names first: they are Node's (EAGAIN, not its alias EWOULDBLOCK).
  const known = getSystemErrorMap().get(-errno);
  if (known) return { code: known[0], description: known[1] };
  const code = errnoCode(errno) ?? `E${errno}`;
  return { code, description: extraDescriptions[code] ?? `unknown error ${errno}` };
}

/** Builds a Node-style system error from a positive C errno. */
export function systemError(
  errno: number,
  syscall: string,
  details: { path?: string; message?: string } = {},
): SystemError {
  const { code, description } = errnoName(errno);
  const where = details.path === undefined ? '' : ` '${details.path}'`;
  const extra = details.message ? ` (${details.message})` : '';
  const error = new Error(`${code}: ${description}, ${syscall}${where}${extra}`) as SystemError;
  error.code = code;
  error.errno = -errno;
  error.syscall = syscall;
  if (details.path !== undefined) error.path = details.path;
  return error;
}

/** True for the errors the native layer throws (positive `errno`, `syscall`). */
function isNativeErrno(error: unknown): error is { errno: number; syscall: string } {
  if (!(error instanceof Error)) return false;
  const { errno, syscall } = error as Error & { errno?: unknown; syscall?: unknown };
  return typeof errno === 'number' && errno > 0 && typeof syscall === 'string';
}

/**
 * Runs a native call and turns a failing syscall into a Node-style system
 * error carrying `path` when one is given.
 */
export function callNative<T>(call: () => T, path?: string): T {
  try {
    return call();
  } catch (error) {
    if (isNativeErrno(error)) {
      const wrapped = systemError(error.errno, error.syscall, path === undefined ? {} : { path });
      Error.captureStackTrace(wrapped, callNative);
      throw wrapped;
    }
    throw error;
  }
}
