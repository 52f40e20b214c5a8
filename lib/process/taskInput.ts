/**
 * What a task sends to its child, checked in the parent: the target as a
 * child of the start method can receive it, and arguments that can cross.
 */
import { serialize } from 'node:v8';
import { encodeFrame } from '../channel/framedChannel';
import { forkexecError } from '../errors';
import type { StartMethodImpl } from './startMethodTypes';
import {
  closureRefused,
  registerFunction,
  resolveModuleTarget,
  type Target,
  type TargetSpec,
} from './target';

/** The target as a child of this start method can receive it. */
export function targetSpec(target: Target, impl: StartMethodImpl): TargetSpec {
  if (typeof target === 'function') {
    if (!impl.carriesFunctions) throw closureRefused(impl.name);
    return { kind: 'function', id: registerFunction(target) };
  }
  return resolveModuleTarget(target);
}

function unserializable(error: unknown): Error {
  return forkexecError(
    'ERR_FORKEXEC_UNSERIALIZABLE',
    `The arguments cannot be sent to a child process: ${error instanceof Error ? error.message : String(error)}`,
  );
}

/** Fails early, in the parent, when the arguments cannot cross the process boundary. */
export function checkSerializable(args: readonly unknown[]): void {
  try {
    serialize(args);
  } catch (error) {
    throw unserializable(error);
  }
}

/** The frame of a message to a child, serialized once; ERR_FORKEXEC_UNSERIALIZABLE when it cannot cross. */
export function encodeTask(message: unknown): Buffer {
  try {
    return encodeFrame(message);
  } catch (error) {
    throw unserializable(error);
  }
}
