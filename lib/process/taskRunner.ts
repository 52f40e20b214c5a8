/**
 * The child side of every start method: receive tasks on a channel, run
 * each target with its arguments, send back the value or the error.
 *
 * Tasks run one at a time in the order they came, so a parent may keep
 * several in flight (pipelining) and still know which one was running when
 * a worker died: the oldest one without an answer. A synchronous target is
 * called without a detour through promises. Tasks may come several to a
 * frame (a pool's burst), and the answers of tasks run back to back leave
 * together in one frame: when the worker has nothing more to run, when 64
 * are waiting, when it exits, and before a task that the parent may time
 * out or abort starts (so the answers before it are never blamed on it).
 */
import { pathToFileURL } from 'node:url';
import { encodeFrame, type Channel } from '../channel/framedChannel';
import { failed, outcomeFrame, type ChildOutcome } from '../channel/resultCodec';
import { forkexecError } from '../errors';
import { Deque } from './pool/deque';
import { registeredFunction, type TargetSpec } from './target';

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
  /** Has a timeout or an abort signal in the parent: the answers before it are written before it starts. */
  watched?: boolean;
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
    loading = import(pathToFileURL(spec.path).href) as Promise<Record<string, unknown>>;
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

/** child -> parent: several answers, in the order the tasks ran. */
export interface ResultsMessage {
  type: 'results';
  results: ResultMessage[];
}

const MAX_BATCHED_ANSWERS = 64;

/** The frame of one answer; a value v8.serialize cannot handle becomes an error naming the problem. */
function answerFrame(answer: ResultMessage): Buffer {
  const { frame } = outcomeFrame(
    answer,
    (checked): ResultMessage => ({ type: 'result', id: answer.id, ...checked }),
    (reason) =>
      forkexecError(
        'ERR_FORKEXEC_UNSERIALIZABLE',
        `The child's result could not be serialized: ${reason}`,
      ),
  );
  return frame;
}

/** Writes answers now: one frame for all when they serialize together, else one each. */
function sendAnswers(channel: Channel, answers: ResultMessage[]): void {
  if (answers.length > 1) {
    try {
      channel.sendFrameNow(encodeFrame({ type: 'results', results: answers }));
      return;
    } catch {
      // one of them cannot be serialized: send them one by one
    }
  }
  for (const answer of answers) channel.sendFrameNow(answerFrame(answer));
}

/** Runs the tasks of one channel in order of arrival. */
class TaskRunner {
  private readonly waiting = new Deque<TaskMessage>();
  private readonly cancelled = new Set<number>();
  private busy = false;
  private initFailure: Error | undefined;
  private answers: ResultMessage[] = [];

  constructor(private readonly channel: Channel) {}

  /** Writes the answers held back. */
  readonly flush = (): void => {
    if (this.answers.length === 0) return;
    const answers = this.answers;
    this.answers = [];
    sendAnswers(this.channel, answers);
  };

  receive(message: TaskMessage | BatchMessage | CancelMessage): void {
    if (message.type === 'cancel') this.cancelled.add(message.id);
    else if (message.type === 'task') this.waiting.push(message);
    else if (message.type === 'batch') for (const task of message.tasks) this.waiting.push(task);
    else return;
    if (!this.busy) this.drain();
  }

  private drain(): void {
    this.busy = true;
    for (let task = this.waiting.shift(); task; task = this.waiting.shift()) {
      if (this.cancelled.delete(task.id)) continue;
      // A task the parent may time out or abort must be judged alone.
      if (task.watched) this.flush();
      const pending = this.start(task);
      if (pending) {
        this.flush();
        void pending.then(() => {
          this.drain();
        });
        return;
      }
    }
    this.flush();
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
    this.answers.push({ type: 'result', id: task.id, ...outcome });
    if (this.answers.length >= MAX_BATCHED_ANSWERS) this.flush();
  }
}

/** Serves tasks until the parent closes the channel. Resolves then. */
export function serveTasks(channel: Channel): Promise<void> {
  const runner = new TaskRunner(channel);
  process.once('exit', runner.flush);
  channel.on('message', (message: TaskMessage | BatchMessage | CancelMessage) => {
    runner.receive(message);
  });
  return new Promise((resolve) => channel.once('close', resolve));
}
