/**
 * The parent side of a task: what it sends, and how the child's answer (or
 * its death) becomes a value or an Error.
 */
import { serialize } from 'node:v8';
import { forkexecError } from '../errors';
import type { ChildExit } from './startedChild';
import {
  closureRefused,
  registerFunction,
  resolveModuleTarget,
  type Target,
  type TargetSpec,
} from './target';
import type { SerializedError } from './taskRunner';
import type { StartMethodImpl } from './startMethod';

/** The target as a child of this start method can receive it. */
export function targetSpec(target: Target, impl: StartMethodImpl): TargetSpec {
  if (typeof target === 'function') {
    if (!impl.carriesFunctions) throw closureRefused(impl.name);
    return { kind: 'function', id: registerFunction(target) };
  }
  return resolveModuleTarget(target);
}

/** Fails early, in the parent, when the arguments cannot cross the process boundary. */
export function checkSerializable(args: readonly unknown[]): void {
  try {
    serialize(args);
  } catch (error) {
    throw forkexecError(
      'ERR_FORKEXEC_UNSERIALIZABLE',
      `The arguments cannot be sent to a child process: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** The child's error, rebuilt in the parent with the child's message, name, code and stack. */
export function childError(error: SerializedError, pid: number): Error {
  const rebuilt = new Error(error.message) as Error & { code?: string; childPid?: number };
  rebuilt.name = error.name;
  if (error.code !== undefined) rebuilt.code = error.code;
  if (error.stack !== undefined) rebuilt.stack = error.stack;
  rebuilt.childPid = pid;
  return rebuilt;
}

/** The error for a child that ended before it answered. */
export function diedError(pid: number, exit: ChildExit): Error {
  const how =
    exit.signal === null
      ? `exited with code ${String(exit.exitCode)}`
      : `was killed by ${exit.signal}`;
  const error = forkexecError(
    'ERR_FORKEXEC_CHILD_DIED',
    `The child process ${pid} ${how} before it returned a result`,
  ) as Error & { exitCode?: number | null; signal?: string | null };
  error.exitCode = exit.exitCode;
  error.signal = exit.signal;
  return error;
}
