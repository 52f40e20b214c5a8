/**
 * The child side of every start method: receive tasks on a channel, run
 * each target with its arguments, send back the value or the error.
 */
import { pathToFileURL } from 'node:url';
import type { Channel } from './channel';
import { registeredFunction, type TargetSpec } from './target';

/** parent -> child */
export interface TaskMessage {
  type: 'task';
  id: number;
  target: TargetSpec;
  args: unknown[];
}

/** An error as it crosses the boundary. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
}

/** child -> parent */
export type ResultMessage =
  | { type: 'result'; id: number; ok: true; value: unknown }
  | { type: 'result'; id: number; ok: false; error: SerializedError };

const modules = new Map<string, Promise<Record<string, unknown>>>();

function codedError(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

async function loadTarget(spec: TargetSpec): Promise<(...args: unknown[]) => unknown> {
  if (spec.kind === 'function') {
    const fn = registeredFunction(spec.id);
    if (!fn)
      throw codedError(
        'ERR_FORKEXEC_UNKNOWN_FUNCTION',
        `function target #${spec.id} is unknown in this child`,
      );
    return fn;
  }
  let loading = modules.get(spec.path);
  if (!loading) {
    loading = import(pathToFileURL(spec.path).href) as Promise<Record<string, unknown>>;
    modules.set(spec.path, loading);
  }
  const namespace = await loading;
  // A CommonJS module imported from ESM exposes module.exports as `default`.
  const cjs = namespace.default as Record<string, unknown> | undefined;
  const value = spec.export in namespace ? namespace[spec.export] : cjs?.[spec.export];
  if (typeof value !== 'function') {
    throw codedError(
      'ERR_FORKEXEC_TARGET_EXPORT',
      `Target module '${spec.path}' has no exported function '${spec.export}' (found ${typeof value})`,
    );
  }
  return value as (...args: unknown[]) => unknown;
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const out: SerializedError = { name: error.name, message: error.message };
    if (error.stack !== undefined) out.stack = error.stack;
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string') out.code = code;
    return out;
  }
  return { name: 'Error', message: `non-Error thrown: ${String(error)}` };
}

async function runTask(task: TaskMessage): Promise<ResultMessage> {
  try {
    const fn = await loadTarget(task.target);
    const value = await fn(...task.args);
    return { type: 'result', id: task.id, ok: true, value };
  } catch (error) {
    return { type: 'result', id: task.id, ok: false, error: serializeError(error) };
  }
}

/** Sends a result; a value v8.serialize cannot handle becomes an error naming the problem. */
function reply(channel: Channel, result: ResultMessage): void {
  try {
    channel.send(result);
  } catch (error) {
    channel.send({
      type: 'result',
      id: result.id,
      ok: false,
      error: {
        name: 'Error',
        code: 'ERR_FORKEXEC_UNSERIALIZABLE',
        message: `The child's result could not be serialized: ${error instanceof Error ? error.message : String(error)}`,
      },
    } satisfies ResultMessage);
  }
}

/** Serves tasks until the parent closes the channel. Resolves then. */
export function serveTasks(channel: Channel): Promise<void> {
  channel.on('message', (message: TaskMessage) => {
    if (message.type !== 'task') return;
    void runTask(message).then((result) => {
      reply(channel, result);
    });
  });
  return new Promise((resolve) => channel.once('close', resolve));
}
