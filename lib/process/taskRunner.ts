/**
 * The child side of every start method: receive tasks on a channel, run
 * each target with its arguments, send back the value or the error.
 */
import type { Channel } from '../channel/framedChannel';
import { failed, outcomeFrame, type ChildOutcome } from '../channel/resultCodec';
import { forkexecError } from '../errors';
import { registeredFunction, type TargetSpec } from './target';
import { loadModule } from './moduleLoad';

/** parent -> child */
export interface TaskMessage {
  type: 'task';
  id: number;
  target: TargetSpec;
  args: unknown[];
}

/** child -> parent: the task's outcome. */
export type ResultMessage = { type: 'result'; id: number } & ChildOutcome;

const modules = new Map<string, Promise<Record<string, unknown>>>();

async function loadTarget(spec: TargetSpec): Promise<(...args: unknown[]) => unknown> {
  if (spec.kind === 'function') {
    const fn = registeredFunction(spec.id);
    if (!fn)
      throw forkexecError(
        'ERR_FORKEXEC_UNKNOWN_FUNCTION',
        `function target #${spec.id} is unknown in this child`,
      );
    return fn;
  }
  let loading = modules.get(spec.path);
  if (!loading) {
    loading = loadModule(spec.path);
    modules.set(spec.path, loading);
  }
  const namespace = await loading;
  // A CommonJS module imported from ESM exposes module.exports as `default`.
  const cjs = namespace.default as Record<string, unknown> | undefined;
  const value = spec.export in namespace ? namespace[spec.export] : cjs?.[spec.export];
  if (typeof value !== 'function') {
    throw forkexecError(
      'ERR_FORKEXEC_TARGET_EXPORT',
      `Target module '${spec.path}' has no exported function '${spec.export}' (found ${typeof value})`,
    );
  }
  return value as (...args: unknown[]) => unknown;
}

async function runTask(task: TaskMessage): Promise<ChildOutcome> {
  try {
    const fn = await loadTarget(task.target);
    return { ok: true, value: await fn(...task.args) };
  } catch (error) {
    return failed(error);
  }
}

/** Sends a result; a value v8.serialize cannot handle becomes an error naming the problem. */
function reply(channel: Channel, id: number, outcome: ChildOutcome): void {
  const { frame } = outcomeFrame(
    outcome,
    (checked): ResultMessage => ({ type: 'result', id, ...checked }),
    (reason) =>
      forkexecError(
        'ERR_FORKEXEC_UNSERIALIZABLE',
        `The child's result could not be serialized: ${reason}`,
      ),
  );
  channel.sendFrame(frame);
}

/** Serves tasks until the parent closes the channel. Resolves then. */
export function serveTasks(channel: Channel): Promise<void> {
  channel.on('message', (message: TaskMessage) => {
    if (message.type !== 'task') return;
    void runTask(message).then((outcome) => {
      reply(channel, message.id, outcome);
    });
  });
  return new Promise((resolve) => channel.once('close', resolve));
}
