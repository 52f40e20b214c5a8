/**
 * The child side of every start method: receive tasks on a channel, run
 * each target with its arguments, send back the value or the error.
 *
 * Tasks run one at a time in the order they came, so a parent may keep
 * several in flight (pipelining) and still know which one was running when
 * a worker died: the oldest one without an answer. A synchronous target is
 * called without a detour through promises. Tasks may come several to a
 * frame (a pool's burst: one read, one deserialize). Each answer is written
 * before the next task starts, never held back to share a write with the
 * next ones: a task that then kills its worker (SIGKILL, a segfault, the
 * OOM killer) or hangs until its timeout must not take the answers of the
 * tasks before it down too, or the pool would blame, and run again, the
 * wrong task.
 */
import type { EventEmitter } from 'node:events';
import type { CompactTask } from '../channel/compactTask';
import { encodeCompactResultFrame, type Channel } from '../channel/framedChannel';
import { failed, outcomeFrame, type ChildOutcome } from '../channel/resultCodec';
import { forkexecError } from '../errors';
import { Deque } from './pool/deque';
import { registeredFunction, type TargetSpec } from './target';
import { loadModule } from './moduleLoad';

/** parent -> child: run a target. */
export interface TaskMessage {
  type: 'task';
  id: number;
  target: TargetSpec;
  args: unknown[];
  /** A chunk: call the target once per entry of `args`; the value is the array of results. */
  each?: boolean;
  /** The pool's initializer: when it fails, this worker runs nothing else. */
  init?: boolean;
  /** Later compact tasks on this channel name `target` by this number. */
  slot?: number;
}

/** parent -> child: drop a task that has not started yet (no answer is sent for it). */
export interface CancelMessage {
  type: 'cancel';
  id: number;
}

/** parent -> child: several tasks, to run in this order. */
export interface BatchMessage {
  type: 'batch';
  tasks: TaskMessage[];
}

/** child -> parent: the task's outcome. */
export type ResultMessage = { type: 'result'; id: number } & ChildOutcome;

/** What the runner needs of a channel: its messages, its end, and sending an answer now. */
export type TaskChannel = Pick<Channel, 'sendFrameNow'> & Pick<EventEmitter, 'on' | 'once'>;

type TargetFunction = (...args: unknown[]) => unknown;

const modules = new Map<string, Promise<Record<string, unknown>>>();
/** Targets already loaded, so a task after the first calls its function synchronously. */
const loaded = new Map<string, TargetFunction>();

function targetKey(spec: TargetSpec): string {
  return spec.kind === 'function' ? `#${spec.id}` : `${spec.path}\0${spec.export}`;
}

function knownFunction(id: number): TargetFunction {
  const fn = registeredFunction(id);
  if (!fn)
    throw forkexecError(
      'ERR_FORKEXEC_UNKNOWN_FUNCTION',
      `function target #${id} is unknown in this child`,
    );
  return fn;
}

async function importTarget(spec: TargetSpec & { kind: 'module' }): Promise<TargetFunction> {
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
  return value as TargetFunction;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

async function finishEach(
  fn: TargetFunction,
  items: unknown[],
  results: unknown[],
  from: number,
  pending: PromiseLike<unknown>,
): Promise<unknown[]> {
  results[from] = await pending;
  for (let i = from + 1; i < items.length; i++) results[i] = await fn(items[i]);
  return results;
}

/** Calls the target: its value, or a promise of it when the target is asynchronous. */
function callTarget(fn: TargetFunction, task: TaskMessage): unknown {
  if (!task.each) return fn(...task.args);
  const results = new Array<unknown>(task.args.length);
  for (let i = 0; i < task.args.length; i++) {
    const value = fn(task.args[i]);
    if (isThenable(value)) return finishEach(fn, task.args, results, i, value);
    results[i] = value;
  }
  return results;
}

/** Writes an answer now; a value v8.serialize cannot handle becomes an error naming the problem. */
function reply(channel: TaskChannel, id: number, outcome: ChildOutcome): void {
  const compact = outcome.ok ? encodeCompactResultFrame(id, outcome.value) : undefined;
  if (compact) {
    channel.sendFrameNow(compact);
    return;
  }
  const { frame } = outcomeFrame(
    outcome,
    (checked): ResultMessage => ({ type: 'result', id, ...checked }),
    (reason) =>
      forkexecError(
        'ERR_FORKEXEC_UNSERIALIZABLE',
        `The child's result could not be serialized: ${reason}`,
      ),
  );
  channel.sendFrameNow(frame);
}

/** Runs the tasks of one channel in order of arrival. */
class TaskRunner {
  private readonly waiting = new Deque<TaskMessage>();
  private readonly cancelled = new Set<number>();
  /** The targets compact tasks name by slot (see TaskMessage.slot). */
  private readonly slots: TargetSpec[] = [];
  private busy = false;
  private initFailure: Error | undefined;

  constructor(private readonly channel: TaskChannel) {}

  receive(message: TaskMessage | CompactTask | BatchMessage | CancelMessage): void {
    if (message.type === 'cancel') this.cancelled.add(message.id);
    else if (message.type === 'task') this.accept(message);
    else if (message.type === 'batch') for (const task of message.tasks) this.accept(task);
    else return;
    if (!this.busy) this.drain();
  }

  private accept(message: TaskMessage | CompactTask): void {
    if ('target' in message) {
      if (message.slot !== undefined) this.slots[message.slot] = message.target;
      this.waiting.push(message);
      return;
    }
    const target = this.slots[message.slot];
    if (!target) {
      reply(
        this.channel,
        message.id,
        failed(new Error(`compact task names unknown target slot ${message.slot}`)),
      );
      return;
    }
    const task: TaskMessage = { type: 'task', id: message.id, target, args: message.args };
    if (message.each) task.each = true;
    this.waiting.push(task);
  }

  private drain(): void {
    this.busy = true;
    for (let task = this.waiting.shift(); task; task = this.waiting.shift()) {
      if (this.cancelled.delete(task.id)) continue;
      const pending = this.start(task);
      if (pending) {
        void pending.then(() => {
          this.drain();
        });
        return;
      }
    }
    this.cancelled.clear();
    this.busy = false;
  }

  /** Runs one task; a promise when it goes on asynchronously. */
  private start(task: TaskMessage): Promise<void> | undefined {
    if (this.initFailure && !task.init) {
      this.finish(task, failed(this.initFailure));
      return undefined;
    }
    const fn = loaded.get(targetKey(task.target));
    if (fn) return this.call(fn, task);
    return this.load(task.target).then(
      (loadedFn) => this.call(loadedFn, task),
      (error: unknown) => {
        this.finish(task, failed(error));
      },
    );
  }

  private async load(spec: TargetSpec): Promise<TargetFunction> {
    const fn = spec.kind === 'function' ? knownFunction(spec.id) : await importTarget(spec);
    loaded.set(targetKey(spec), fn);
    return fn;
  }

  private call(fn: TargetFunction, task: TaskMessage): Promise<void> | undefined {
    let value: unknown;
    try {
      value = callTarget(fn, task);
    } catch (error) {
      this.finish(task, failed(error));
      return undefined;
    }
    if (!isThenable(value)) {
      this.finish(task, { ok: true, value });
      return undefined;
    }
    return Promise.resolve(value).then(
      (settled) => {
        this.finish(task, { ok: true, value: settled });
      },
      (error: unknown) => {
        this.finish(task, failed(error));
      },
    );
  }

  private finish(task: TaskMessage, outcome: ChildOutcome): void {
    if (task.init && !outcome.ok) {
      this.initFailure = forkexecError(
        'ERR_FORKEXEC_INITIALIZER_FAILED',
        "This worker's initializer failed; it runs no task",
      );
    }
    reply(this.channel, task.id, outcome);
  }
}

/** Serves tasks until the parent closes the channel. Resolves then. */
export function serveTasks(channel: TaskChannel): Promise<void> {
  const runner = new TaskRunner(channel);
  channel.on('message', (message: TaskMessage | CompactTask | BatchMessage | CancelMessage) => {
    runner.receive(message);
  });
  return new Promise((resolve) => channel.once('close', resolve));
}
