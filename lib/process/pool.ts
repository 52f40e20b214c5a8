/**
 * `Pool`: a fixed number of long-lived workers of one start method, tasks
 * queued and run as workers free up, results in order of completion.
 *
 * The pool holds the options, the public API and its state; it hands the
 * tasks to its scheduler (pool/taskScheduler.ts: queue, pipelines, timeouts,
 * what happens to a dead worker's tasks) and the workers' start and end to
 * pool/workerLifecycle.ts.
 */
import { availableParallelism } from 'node:os';
import { invalidArgType } from '../errors';
import { validateInteger, validateOptions } from '../validate';
import { chunkResults } from './pool/chunkStream';
import {
  abortError,
  newTask,
  poolClosedError,
  terminatedError,
  type PoolState,
  type PoolTask,
  type PoolWorker,
} from './pool/poolTask';
import type {
  ImapOptions,
  MapOptions,
  PoolOptions,
  PoolStats,
  PoolWorkerExit,
  RunOptions,
  TaskFunction,
} from './pool/poolTypes';
import { TargetSpecCache } from './pool/targetSpecCache';
import { TaskScheduler } from './pool/taskScheduler';
import { WorkerLifecycle } from './pool/workerLifecycle';
import { defaultStartMethod, startMethodImpl } from './startMethod';
import type { StartMethod } from './startMethodTypes';
import { encodeTask } from './taskInput';
import type { ModuleTarget, Target, TargetSpec } from './target';
import type { TaskMessage } from './taskRunner';

const DEFAULT_PIPELINE_DEPTH = 16;

/** The arguments after the target: optional when the function takes none. */
type RunRest<F extends TaskFunction> =
  [] extends Parameters<F>
    ? [args?: Parameters<F>, options?: RunOptions]
    : [args: Parameters<F>, options?: RunOptions];

export class Pool {
  /** How many workers the pool keeps. */
  readonly size: number;
  /** How its workers start. */
  readonly startMethod: StartMethod;
  private readonly depth: number;
  private readonly state: PoolState = { phase: 'open', broken: undefined };
  private readonly workers = new Set<PoolWorker>();
  private readonly specs: TargetSpecCache;
  private readonly scheduler: TaskScheduler;
  private readonly lifecycle: WorkerLifecycle;

  constructor(options: PoolOptions = {}) {
    const opts = validateOptions<PoolOptions>(options, 'options');
    this.size = validateInteger(opts.size ?? availableParallelism(), 'options.size', 1, 1024);
    const impl = startMethodImpl(opts.startMethod ?? defaultStartMethod(), 'options.startMethod');
    this.startMethod = impl.name;
    this.specs = new TargetSpecCache(impl);
    const childOptions = {
      ...(opts.env === undefined ? {} : { env: opts.env }),
      ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
    };
    this.depth = validateInteger(
      opts.pipelineDepth ?? DEFAULT_PIPELINE_DEPTH,
      'options.pipelineDepth',
      1,
      1024,
    );
    const maxTasksPerChild =
      opts.maxTasksPerChild === undefined
        ? Infinity
        : validateInteger(opts.maxTasksPerChild, 'options.maxTasksPerChild', 1, 2 ** 31 - 1);
    const initializer = initializerPlan(this.specs, opts);
    const limits = { size: this.size, depth: this.depth, maxTasksPerChild };
    this.scheduler = new TaskScheduler(this.state, this.workers, limits, () => {
      this.lifecycle.start();
    });
    this.lifecycle = new WorkerLifecycle(this.workers, this.scheduler, this.state, {
      impl,
      childOptions,
      initializer,
    });
  }

  /**
   * Every worker that has exited so far, in order of exit, each with its
   * `resourceUsage` (a `ChildResourceUsage`); after `await close()`
   * or `await terminate()` this covers every worker the pool started.
   */
  get workerExits(): readonly PoolWorkerExit[] {
    return this.lifecycle.exits;
  }

  /** Tasks waiting for a worker. */
  get queueSize(): number {
    return this.scheduler.queued;
  }

  /** Workers that hold at least one task. */
  get busyWorkers(): number {
    let busy = 0;
    for (const worker of this.workers) if (worker.inFlight.length > 0) busy++;
    return busy;
  }

  /** A snapshot of the queue and the workers. */
  get stats(): PoolStats {
    return {
      queued: this.scheduler.queued,
      inFlight: this.scheduler.inFlight,
      busyWorkers: this.busyWorkers,
      workers: this.workers.size,
    };
  }

  /**
   * Runs `target(...args)` in a worker and resolves with its value.
   *
   * With the `fork` start method pass the same function object every time
   * (define it once, outside the loop): a function made anew per task is
   * unknown to the workers already forked, so each such task forks a new
   * worker (the pool warns once, code `FORKEXEC_POOL_FRESH_FUNCTION`).
   */
  run<F extends TaskFunction>(target: F, ...rest: RunRest<F>): Promise<Awaited<ReturnType<F>>>;
  run<T = unknown>(target: ModuleTarget, args?: unknown[], options?: RunOptions): Promise<T>;
  run(target: Target, args: unknown[] = [], options: RunOptions = {}): Promise<unknown> {
    try {
      const spec = this.specs.spec(target);
      if (!Array.isArray(args)) throw invalidArgType('args', 'an instance of Array', args);
      const { signal, timeout } = runOptions(options);
      return this.submit(spec, args, false, signal, timeout).promise;
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /**
   * Calls `target(item)` for every item, in the workers, and resolves with
   * the results in input order (Python's `Pool.map`). Items travel
   * `chunksize` at a time: one message per chunk, one answer per chunk.
   * Rejects with the first error; then nothing of it is left running.
   */
  map<F extends TaskFunction>(
    target: F,
    iterable: Iterable<Parameters<F>[0]>,
    options?: MapOptions,
  ): Promise<Awaited<ReturnType<F>>[]>;
  map<T = unknown>(
    target: ModuleTarget,
    iterable: Iterable<unknown>,
    options?: MapOptions,
  ): Promise<T[]>;
  async map(
    target: Target,
    iterable: Iterable<unknown>,
    options: MapOptions = {},
  ): Promise<unknown[]> {
    const opts = validateOptions<MapOptions>(options, 'options');
    const chunksize = opts.chunksize ?? defaultChunksize(iterable, this.size);
    const chunks = this.chunks(target, iterable, { ...opts, chunksize, ordered: true });
    const results: unknown[] = [];
    for await (const chunk of chunks) for (const value of chunk) results.push(value);
    return results;
  }

  /**
   * Like {@link Pool.map}, as an async iterable: the input is read lazily
   * and only a bounded number of chunks is in flight, so an endless
   * generator works and memory stays flat. Stopping the loop early
   * withdraws what has not started. Throws `ERR_FORKEXEC_POOL_CLOSED` when
   * the pool is closed before the input is used up.
   */
  imap<F extends TaskFunction>(
    target: F,
    iterable: Iterable<Parameters<F>[0]>,
    options?: ImapOptions,
  ): AsyncGenerator<Awaited<ReturnType<F>>, void, undefined>;
  imap<T = unknown>(
    target: ModuleTarget,
    iterable: Iterable<unknown>,
    options?: ImapOptions,
  ): AsyncGenerator<T, void, undefined>;
  imap(
    target: Target,
    iterable: Iterable<unknown>,
    options: ImapOptions = {},
  ): AsyncGenerator<unknown, void, undefined> {
    const opts = validateOptions<ImapOptions>(options, 'options');
    return flatten(this.chunks(target, iterable, { ...opts, chunksize: opts.chunksize ?? 1 }));
  }

  /** Stops taking tasks, waits for queued and running ones, then lets the workers exit. */
  async close(): Promise<void> {
    if (this.state.phase === 'terminated') return;
    this.state.phase = 'closing';
    if (this.scheduler.queued > 0 || this.scheduler.inFlight > 0) {
      await this.scheduler.drained();
    }
    await this.lifecycle.retireAll();
  }

  /** `await using pool = new Pool()`: closes the pool at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Kills every worker now; queued and running tasks reject. */
  async terminate(): Promise<void> {
    this.state.phase = 'terminated';
    this.scheduler.rejectQueued(terminatedError);
    await this.lifecycle.killAll();
    this.scheduler.checkDrained();
  }

  private chunks(
    target: Target,
    iterable: Iterable<unknown>,
    options: ImapOptions & { chunksize: number },
  ): AsyncGenerator<unknown[], void, undefined> {
    const spec = this.specs.spec(target);
    if (
      iterable === null ||
      typeof (iterable as Partial<Iterable<unknown>>)?.[Symbol.iterator] !== 'function'
    ) {
      throw invalidArgType('iterable', 'an iterable', iterable);
    }
    const chunksize = validateInteger(options.chunksize, 'options.chunksize', 1, 2 ** 31 - 1);
    const { signal } = runOptions({ signal: options.signal });
    if (options.ordered !== undefined && typeof options.ordered !== 'boolean') {
      throw invalidArgType('options.ordered', 'of type boolean', options.ordered);
    }
    return chunkResults(iterable[Symbol.iterator](), this.chunkSubmitter(spec), {
      chunksize,
      ordered: options.ordered ?? true,
      window: this.size * (this.depth + 1),
      signal,
    });
  }

  private chunkSubmitter(spec: TargetSpec) {
    return {
      submit: (items: unknown[]) => {
        // A map or imap begun before terminate(): what it had not sent yet
        // never ran, as for the tasks terminate() found queued.
        if (this.state.phase === 'terminated') throw terminatedError();
        if (this.state.phase !== 'open') throw poolClosedError(this.state.phase);
        return this.submit(spec, items, true, undefined, undefined);
      },
      withdraw: (task: PoolTask) => {
        if (task.state === 'sent' && task.worker?.inFlight.peek() === task) return;
        this.scheduler.abort(task, poolClosedError('closing'));
      },
      abort: (task: PoolTask, error: Error) => {
        this.scheduler.abort(task, error);
      },
    };
  }

  /** Queues a task (or a chunk, `each`); the promise settles with its outcome. */
  private submit(
    target: TargetSpec,
    args: unknown[],
    each: boolean,
    signal: AbortSignal | undefined,
    timeout: number | undefined,
  ): { task: PoolTask; promise: Promise<unknown> } {
    if (this.state.broken) throw this.state.broken;
    if (this.state.phase !== 'open') throw poolClosedError(this.state.phase);
    const id = this.scheduler.takeId();
    const message: TaskMessage = { type: 'task', id, target, args };
    if (each) message.each = true;
    if (signal?.aborted) throw abortError(signal);
    let resolve!: (value: unknown) => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const task = newTask(message, resolve, reject, timeout);
    if (signal) {
      const onAbort = (): void => {
        this.scheduler.abort(task, abortError(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      task.unlisten = () => {
        signal.removeEventListener('abort', onAbort);
      };
    }
    this.scheduler.enqueue(task);
    return { task, promise };
  }
}

/** The initializer and its arguments, validated (the arguments must serialize). */
function initializerPlan(
  specs: TargetSpecCache,
  opts: PoolOptions,
): { target: TargetSpec; args: unknown[] } | undefined {
  if (opts.initializer !== undefined) {
    const target = specs.spec(opts.initializer, 'options.initializer');
    const args = opts.initArgs ?? [];
    if (!Array.isArray(args))
      throw invalidArgType('options.initArgs', 'an instance of Array', args);
    encodeTask(args);
    return { target, args };
  } else if (opts.initArgs !== undefined) {
    throw invalidArgType(
      'options.initializer',
      'a function or { module, export } when initArgs is given',
      undefined,
    );
  }
  return undefined;
}

function runOptions(options: RunOptions): { signal?: AbortSignal; timeout?: number } {
  const opts = validateOptions<RunOptions>(options, 'options');
  if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal)) {
    throw invalidArgType('options.signal', 'an instance of AbortSignal', opts.signal);
  }
  const timeout =
    opts.timeout === undefined
      ? undefined
      : validateInteger(opts.timeout, 'options.timeout', 1, 2 ** 31 - 1);
  return { signal: opts.signal, timeout };
}

/** Python's Pool.map default: about four chunks per worker when the input's length is known. */
function defaultChunksize(iterable: Iterable<unknown>, size: number): number {
  let length: number | undefined;
  if (Array.isArray(iterable)) length = iterable.length;
  else if (iterable instanceof Set || iterable instanceof Map) length = iterable.size;
  if (length === undefined) return 1;
  return Math.max(1, Math.ceil(length / (size * 4)));
}

async function* flatten(
  chunks: AsyncGenerator<unknown[], void, undefined>,
): AsyncGenerator<unknown, void, undefined> {
  for await (const chunk of chunks) yield* chunk;
}
