/**
 * What comes back from a child, the same for fork(fn), Process and Pool: the
 * value, or the error it threw, encoded in the child and rebuilt in the
 * parent as an Error with the child's `name`, `message`, `stack` and `code`,
 * plus `childPid`.
 *
 * `childPid`, not `pid`: an Error may already carry a `pid` of its own
 * (child_process's execSync and spawnSync errors do: the pid of the program
 * they ran), and the name says whose pid it is.
 */
import { encodeFrame } from './framedChannel';

/** An error as it crosses the boundary. */
export interface EncodedError {
  name: string;
  message: string;
  stack?: string;
  /** A Node-style `code` (string) or a numeric one; other types are not kept. */
  code?: string | number;
}

/** A child's outcome: the value, or the error. */
export type ChildOutcome = { ok: true; value: unknown } | { ok: false; error: EncodedError };

/** An Error rebuilt in the parent: the child's fields plus the child's pid. */
export type ChildError = Error & { code?: string | number; childPid: number };

/** In the child: the error as it will cross (custom fields other than `code` are not kept). */
export function encodeError(error: unknown): EncodedError {
  if (!(error instanceof Error)) {
    return { name: 'Error', message: `The child threw a non-Error value: ${String(error)}` };
  }
  const encoded: EncodedError = { name: error.name, message: error.message };
  if (error.stack !== undefined) encoded.stack = error.stack;
  const { code } = error as { code?: unknown };
  if (typeof code === 'string' || typeof code === 'number') encoded.code = code;
  return encoded;
}

/** In the child: the outcome of `error`. */
export function failed(error: unknown): ChildOutcome {
  return { ok: false, error: encodeError(error) };
}

/**
 * In the child: the frame for `wrap(outcome)`. A value v8.serialize cannot
 * handle becomes the error `unserializable(reason)` instead.
 */
export function outcomeFrame(
  outcome: ChildOutcome,
  wrap: (outcome: ChildOutcome) => unknown,
  unserializable: (reason: string) => Error,
): { frame: Buffer; serialized: boolean } {
  try {
    return { frame: encodeFrame(wrap(outcome)), serialized: true };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { frame: encodeFrame(wrap(failed(unserializable(reason)))), serialized: false };
  }
}

// The built-in classes come back as themselves (`instanceof RangeError` holds
// in the parent); any other class as an Error carrying the child's name.
const BUILT_IN: Record<string, ErrorConstructor | undefined> = {
  Error,
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
};

/** In the parent: the child's error, rebuilt with its name, message, stack and code, and its pid. */
export function childError(encoded: EncodedError, pid: number): ChildError {
  const Class = Object.hasOwn(BUILT_IN, encoded.name) ? BUILT_IN[encoded.name] : undefined;
  const error = new (Class ?? Error)(encoded.message) as ChildError;
  if (!Class) {
    // Not enumerable, as a class's own `name` would be (on its prototype).
    Object.defineProperty(error, 'name', {
      value: encoded.name,
      writable: true,
      enumerable: false,
      configurable: true,
    });
  }
  if (encoded.stack !== undefined) error.stack = encoded.stack;
  if (encoded.code !== undefined) error.code = encoded.code;
  error.childPid = pid;
  return error;
}
