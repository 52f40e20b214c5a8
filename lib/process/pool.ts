/**
 * `Pool`: a fixed number of long-lived workers of one start method, tasks
 * queued and run as workers free up, results in order of completion.
 *
 * The scheduler costs O(1) per task whatever the queue's length: the queue
 * is a ring buffer (withdrawn tasks stay in it as tombstones, skipped when
 * they reach its head), and a worker that answers is refilled from the head
 * of the queue without looking at the others. Each worker holds up to
 * `pipelineDepth` tasks and runs them one at a time in order. The tasks
 * given to a worker in one tick are serialized together and go out in one
 * write; the worker reads such a burst at once and answers each task as it
 * finishes (see taskRunner.ts for why an answer is never held back).
 *
 * When a worker dies, the oldest task it held (the one it was running) is
 * rejected and the tasks pipelined behind it, which never started, go back
 * to the head of the queue. When the pool itself killed the worker (its
 * running task was aborted or timed out), every other task it held goes
 * back to the queue.
 *
 * A worker made by `fork` knows exactly the function targets registered
 * before it was forked; a task whose function is newer is given to a
 * worker forked after it (an idle older worker is retired to make room).
 */
import { availableParallelism } from 'node:os';
import { invalidArgType } from '../errors';
import { validateInteger, validateOptions } from '../validate';
import { childError } from '../channel/resultCodec';
import { diedError } from './childDiedError';
import { chunkResults } from './pool/chunkStream';
import { Deque } from './pool/deque';
import { registerPoolFunction } from './pool/freshFunctionWarning';
import {
  abortError,
  initializerError,
  newWorker,
  poolClosedError,
  terminatedError,
  timeoutError,
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
import { defaultStartMethod, startMethodImpl } from './startMethod';
import type { StartMethod, StartMethodImpl } from './startMethodTypes';
import type { ChildExit } from './startedChild';
import { encodeTask } from './taskInput';
import {
  registeredFunctionCount,
  resolveModuleTarget,
  validateTarget,
  closureRefused,
  type ModuleTarget,
  type Target,
  type TargetSpec,
} from './target';
import type { CancelMessage, ResultMessage, TaskMessage } from './taskRunner';

const SIGKILL = 9;
const DEFAULT_PIPELINE_DEPTH = 16;
/** How long a worker that exited may take to deliver what it wrote before its channel is dropped. */
const EXIT_GRACE_MS = 1000;

/** The arguments after the target: optional when the function takes none. */
type RunRest<F extends TaskFunction> =
  [] extends Parameters<F>
    ? [args?: Parameters<F>, options?: RunOptions]
    : [args: Parameters<F>, options?: RunOptions];

/** A target object seen before, and what it named then (a module target may be changed in place). */
interface KnownTarget {
  spec: TargetSpec;
  module: unknown;
  export: unknown;
}

interface WorkerEnd {
  exit?: ChildExit;
  startError?: Error;
  graceTimer?: NodeJS.Timeout;
}

export class Pool {
  /** How many workers the pool keeps. */
  readonly size: number;
  /** How its workers start. */
  readonly startMethod: StartMethod;
  private readonly impl: StartMethodImpl;
  private readonly childOptions: { env?: Record<string, string | undefined>; cwd?: string };
  private readonly depth: number;
  private readonly maxTasksPerChild: number;
  private readonly initializer: { target: TargetSpec; args: unknown[] } | undefined;
  private readonly workers = new Set<PoolWorker>();
  private readonly ends = new WeakMap<PoolWorker, WorkerEnd>();
  private readonly queue = new Deque<PoolTask>();
  private readonly resolved = new Map<string, TargetSpec>();
  /** One spec object per target, so a worker's outbox knows it by identity. */
  private readonly functionSpecs = new Map<number, TargetSpec>();
  private readonly targetSpecs = new WeakMap<object, KnownTarget>();
  private queued = 0;
  private inFlight = 0;
  private nextId = 1;
  private state: 'open' | 'closing' | 'terminated' = 'open';
  private broken: Error | undefined;
  private drainWaiters: (() => void)[] = [];
  private readonly exits: PoolWorkerExit[] = [];

  constructor(options: PoolOptions = {}) {
    const opts = validateOptions<PoolOptions>(options, 'options');
    this.size = validateInteger(opts.size ?? availableParallelism(), 'options.size', 1, 1024);
    this.impl = startMethodImpl(opts.startMethod ?? defaultStartMethod(), 'options.startMethod');
    this.startMethod = this.impl.name;
    this.childOptions = {
      ...(opts.env === undefined ? {} : { env: opts.env }),
      ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
    };
    this.depth = validateInteger(
      opts.pipelineDepth ?? DEFAULT_PIPELINE_DEPTH,
      'options.pipelineDepth',
      1,
      1024,
    );
    this.maxTasksPerChild =
      opts.maxTasksPerChild === undefined
        ? Infinity
        : validateInteger(opts.maxTasksPerChild, 'options.maxTasksPerChild', 1, 2 ** 31 - 1);
    if (opts.initializer !== undefined) {
      const target = this.spec(opts.initializer, 'options.initializer');
      const args = opts.initArgs ?? [];
      if (!Array.isArray(args))
        throw invalidArgType('options.initArgs', 'an instance of Array', args);
      encodeTask(args);
      this.initializer = { target, args };
    } else if (opts.initArgs !== undefined) {
      throw invalidArgType(
        'options.initializer',
        'a function or { module, export } when initArgs is given',
        undefined,
      );
    }
  }

  /**
   * Every worker that has exited so far, in order of exit, each with its
   * `resourceUsage` (a `ChildResourceUsage`); after `await close()`
   * or `await terminate()` this covers every worker the pool started.
   */
  get workerExits(): readonly PoolWorkerExit[] {
    return this.exits;
  }

  /** Tasks waiting for a worker. */
  get queueSize(): number {
    return this.queued;
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
      queued: this.queued,
      inFlight: this.inFlight,
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
      const spec = this.spec(target);
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
    if (this.state === 'terminated') return;
    this.state = 'closing';
    if (this.queued > 0 || this.inFlight > 0) {
      await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
    }
    await Promise.all([...this.workers].map((w) => this.retire(w)));
  }

  /** `await using pool = new Pool()`: closes the pool at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Kills every worker now; queued and running tasks reject. */
  async terminate(): Promise<void> {
    this.state = 'terminated';
    this.rejectQueued(terminatedError);
    const exits = [...this.workers].map((w) => {
      w.retiring = true;
      w.child.setRef(true);
      w.child.kill(SIGKILL);
      return Promise.all([w.child.exited.catch(() => undefined), w.child.channel.whenClosed]);
    });
    await Promise.all(exits);
    this.checkDrained();
  }

  /** The spec of a target given by the user (validated the first time that object is seen). */
  private spec(target: unknown, name?: string): TargetSpec {
    // The same target object again (the common case): no validation, no path work.
    const known =
      typeof target === 'object' || typeof target === 'function'
        ? this.targetSpecs.get(target as object)
        : undefined;
    if (
      known &&
      known.module === (target as Partial<ModuleTarget>).module &&
      known.export === (target as Partial<ModuleTarget>).export
    ) {
      return known.spec;
    }
    const valid = validateTarget(target, name);
    const spec = this.newSpec(valid);
    const { module, export: exportName } = valid as Partial<ModuleTarget>;
    this.targetSpecs.set(valid, { spec, module, export: exportName });
    return spec;
  }

  private newSpec(target: Target): TargetSpec {
    if (typeof target !== 'function') {
      // Resolving looks at the file system: once per module and export, not once per task.
      const key = `${String(target.module)}\0${target.export ?? 'default'}`;
      let spec = this.resolved.get(key);
      if (!spec) {
        spec = resolveModuleTarget(target);
        this.resolved.set(key, spec);
      }
      return spec;
    }
    if (!this.impl.carriesFunctions) throw closureRefused(this.impl.name);
    const id = registerPoolFunction(target);
    let spec = this.functionSpecs.get(id);
    if (!spec) {
      spec = { kind: 'function', id };
      this.functionSpecs.set(id, spec);
    }
    return spec;
  }

  private chunks(
    target: Target,
    iterable: Iterable<unknown>,
    options: ImapOptions & { chunksize: number },
  ): AsyncGenerator<unknown[], void, undefined> {
    const spec = this.spec(target);
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
        if (this.state === 'terminated') throw terminatedError();
        if (this.state !== 'open') throw poolClosedError(this.state);
        return this.submit(spec, items, true, undefined, undefined);
      },
      withdraw: (task: PoolTask) => {
        if (task.state === 'sent' && task.worker?.inFlight.peek() === task) return;
        this.abort(task, poolClosedError('closing'));
      },
      abort: (task: PoolTask, error: Error) => {
        this.abort(task, error);
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
    if (this.broken) throw this.broken;
    if (this.state !== 'open') throw poolClosedError(this.state);
    const id = this.nextId++;
    const message: TaskMessage = { type: 'task', id, target, args };
    if (each) message.each = true;
    if (signal?.aborted) throw abortError(signal);
    let resolve!: (value: unknown) => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const task: PoolTask = {
      id,
      message,
      target,
      resolve,
      reject,
      state: 'queued',
      worker: null,
      timeout,
      timer: undefined,
      unlisten: undefined,
      init: false,
    };
    if (signal) {
      const onAbort = (): void => {
        this.abort(task, abortError(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      task.unlisten = () => {
        signal.removeEventListener('abort', onAbort);
      };
    }
    this.queue.push(task);
    this.queued++;
    this.dispatch();
    return { task, promise };
  }

  private finish(task: PoolTask, error: Error | undefined, value?: unknown): void {
    if (task.state === 'done') return;
    task.state = 'done';
    task.worker = null;
    clearTimeout(task.timer);
    task.unlisten?.();
    if (error) task.reject(error);
    else task.resolve(value);
  }

  /** Ends a task now: a queued one leaves the queue, a running one takes its worker down. */
  private abort(task: PoolTask, error: Error): void {
    if (task.state === 'queued') {
      this.queued--;
      this.finish(task, error);
      this.checkDrained();
      return;
    }
    const worker = task.worker;
    if (task.state !== 'sent' || !worker) return;
    if (worker.outbox.withdraw(task)) {
      this.drop(worker, task, error);
    } else if (worker.inFlight.peek() === task) {
      worker.inFlight.shift();
      this.inFlight--;
      this.finish(task, error);
      worker.killedByPool = true;
      worker.retiring = true;
      worker.child.kill(SIGKILL);
    } else {
      worker.child.channel.send({ type: 'cancel', id: task.id } satisfies CancelMessage);
      this.drop(worker, task, error);
    }
  }

  /** Takes a task the worker will not run (withdrawn, or not serializable) out of its pipeline. */
  private drop(worker: PoolWorker, task: PoolTask, error: Error): void {
    const wasRunning = worker.inFlight.peek() === task;
    if (!worker.inFlight.remove(task)) return;
    this.inFlight--;
    this.finish(task, error);
    if (wasRunning) this.startTimer(worker);
    if (worker.inFlight.length === 0 && !worker.retiring) worker.child.setRef(false);
    if (worker.inFlight.length === 0 && worker.retiring) void this.retire(worker);
    this.refill(worker);
  }

  private canRun(worker: PoolWorker, task: PoolTask): boolean {
    return task.target.kind === 'module' || task.target.id <= worker.knownFunctions;
  }

  /** The least loaded worker that can take `task`; null when a new worker should start instead. */
  private pickWorker(task: PoolTask): PoolWorker | null {
    let best: PoolWorker | null = null;
    let live = 0;
    for (const worker of this.workers) {
      if (worker.retiring) continue;
      live++;
      const load = worker.inFlight.length;
      if (load >= this.depth || !this.canRun(worker, task)) continue;
      if (!best || load < best.inFlight.length) best = worker;
    }
    // Pipeline behind a busy worker only when the pool is at full size.
    if (best && best.inFlight.length > 0 && live < this.size) return null;
    return best;
  }

  /** Starts a worker, or retires an idle one too old for `task`; false when nothing can be done now. */
  private makeRoom(task: PoolTask): boolean {
    let live = 0;
    let stale: PoolWorker | undefined;
    for (const worker of this.workers) {
      if (worker.retiring) continue;
      live++;
      if (worker.inFlight.length === 0 && !this.canRun(worker, task)) stale ??= worker;
    }
    if (live < this.size) {
      try {
        this.startWorker();
      } catch (error) {
        // A start method that fails at once (fork refused, no addon): the task cannot run.
        this.queue.shift();
        this.queued--;
        this.finish(task, error instanceof Error ? error : new Error(String(error)));
      }
      return true;
    }
    if (!stale) return false;
    // Every idle worker predates this task's function: replace one.
    void this.retire(stale);
    return true;
  }

  private dispatch(): void {
    if (this.state === 'terminated' || this.broken) return;
    for (let task = this.queue.peek(); task; task = this.queue.peek()) {
      if (task.state !== 'queued') {
        this.queue.shift();
        continue;
      }
      const worker = this.pickWorker(task);
      if (worker) {
        this.queue.shift();
        this.queued--;
        this.assign(worker, task);
      } else if (!this.makeRoom(task)) break;
    }
    this.checkDrained();
  }

  /** After an answer: give the worker that freed up the next tasks at the head of the queue. */
  private refill(worker: PoolWorker): void {
    if (this.state === 'terminated' || this.broken) return;
    while (!worker.retiring && worker.inFlight.length < this.depth) {
      const task = this.queue.peek();
      if (!task) break;
      if (task.state !== 'queued') {
        this.queue.shift();
        continue;
      }
      if (!this.canRun(worker, task)) break;
      this.queue.shift();
      this.queued--;
      this.assign(worker, task);
    }
    if (this.queued > 0) this.dispatch();
    else this.checkDrained();
  }

  private assign(worker: PoolWorker, task: PoolTask): void {
    task.state = 'sent';
    task.worker = worker;
    worker.inFlight.push(task);
    this.inFlight++;
    if (!task.init && ++worker.given >= this.maxTasksPerChild) worker.retiring = true;
    if (worker.inFlight.length === 1) {
      worker.child.setRef(true);
      this.startTimer(worker);
    }
    worker.outbox.add(task);
  }

  /** The timeout of a task runs from when it heads its worker's pipeline: then it is running. */
  private startTimer(worker: PoolWorker): void {
    const task = worker.inFlight.peek();
    if (!task || task.timeout === undefined || task.timer) return;
    const ms = task.timeout;
    task.timer = setTimeout(() => {
      this.abort(task, timeoutError(ms));
    }, ms);
  }

  private onResult(worker: PoolWorker, message: ResultMessage): void {
    const task = worker.inFlight.peek();
    // An answer to a task withdrawn after the worker had started it.
    if (!task || task.id !== message.id || message.type !== 'result') return;
    worker.inFlight.shift();
    this.inFlight--;
    if (message.ok) this.finish(task, undefined, message.value);
    else this.finish(task, childError(message.error, worker.child.pid));
    if (worker.inFlight.length > 0) this.startTimer(worker);
    else if (worker.retiring) void this.retire(worker);
    // An idle pool never keeps the process alive.
    else worker.child.setRef(false);
    this.refill(worker);
  }

  private startWorker(): void {
    const child = this.impl.start(this.childOptions);
    const worker = newWorker(child, registeredFunctionCount(), (task, error) => {
      if (task.worker === worker) this.drop(worker, task, error);
    });
    const end: WorkerEnd = {};
    this.workers.add(worker);
    this.ends.set(worker, end);
    child.setRef(false);
    child.channel.on('message', (message: ResultMessage) => {
      this.onResult(worker, message);
    });
    child.channel.once('close', () => {
      worker.channelClosed = true;
      this.onWorkerEnd(worker);
    });
    child.exited.then(
      (exit) => {
        this.exits.push({ pid: child.pid, ...exit });
        end.exit = exit;
        worker.exited = true;
        this.onWorkerEnd(worker);
      },
      (failure: unknown) => {
        end.startError = failure instanceof Error ? failure : new Error(String(failure));
        worker.exited = true;
        // A worker that could not start (child_process reports it here): the
        // queued tasks would only start more such workers, so they fail too.
        this.rejectQueued(() => end.startError as Error);
        this.onWorkerEnd(worker);
      },
    );
    if (this.initializer) this.sendInitializer(worker);
  }

  private sendInitializer(worker: PoolWorker): void {
    const init = this.initializer as { target: TargetSpec; args: unknown[] };
    const id = this.nextId++;
    const message: TaskMessage = {
      type: 'task',
      id,
      target: init.target,
      args: init.args,
      init: true,
    };
    this.assign(worker, {
      id,
      message,
      target: init.target,
      resolve: () => undefined,
      reject: (error) => {
        this.breakPool(error);
      },
      state: 'queued',
      worker: null,
      timeout: undefined,
      timer: undefined,
      unlisten: undefined,
      init: true,
    });
  }

  /**
   * A worker without its channel is dead to the pool, whether or not its
   * process still runs: it is killed. Once both the channel and the process
   * are gone its tasks are settled.
   */
  private onWorkerEnd(worker: PoolWorker): void {
    if (worker.gone) return;
    const end = this.ends.get(worker) as WorkerEnd;
    if (!worker.exited) {
      if (!worker.retiring || worker.inFlight.length > 0 || worker.child.channel.failure) {
        worker.retiring = true;
        worker.child.kill(SIGKILL);
      }
      return;
    }
    if (!worker.channelClosed) {
      // Read what it wrote before it died; a grandchild holding its end must not keep us waiting.
      end.graceTimer ??= setTimeout(() => {
        worker.child.channel.destroy();
      }, EXIT_GRACE_MS);
      return;
    }
    clearTimeout(end.graceTimer);
    this.bury(worker, end);
  }

  private bury(worker: PoolWorker, end: WorkerEnd): void {
    worker.gone = true;
    this.workers.delete(worker);
    const held = worker.inFlight.drain();
    this.inFlight -= held.length;
    const reason =
      end.startError ??
      worker.child.channel.failure ??
      diedError(worker.child.pid, end.exit as ChildExit);
    // The oldest task was running: it failed with its worker (unless the pool killed it for that task).
    const running = worker.killedByPool ? undefined : held.shift();
    if (running) this.finish(running, this.broken ?? reason);
    for (const task of held.reverse()) {
      clearTimeout(task.timer);
      task.timer = undefined;
      if (task.init) this.finish(task, undefined);
      else if (this.broken) this.finish(task, this.broken);
      else if (this.state === 'terminated') this.finish(task, terminatedError());
      else {
        task.state = 'queued';
        task.worker = null;
        this.queue.unshift(task);
        this.queued++;
      }
    }
    this.dispatch();
    this.checkDrained();
  }

  /** The initializer failed: every task rejects, every worker goes, nothing starts again. */
  private breakPool(cause: Error): void {
    if (this.broken) return;
    this.broken = initializerError(cause);
    this.rejectQueued(() => this.broken as Error);
    for (const worker of this.workers) {
      worker.retiring = true;
      for (const task of worker.inFlight.drain()) {
        this.inFlight--;
        this.finish(task, this.broken);
      }
      worker.child.kill(SIGKILL);
    }
    this.checkDrained();
  }

  private rejectQueued(error: () => Error): void {
    for (let task = this.queue.shift(); task; task = this.queue.shift()) {
      if (task.state === 'queued') this.finish(task, error());
    }
    this.queued = 0;
  }

  private checkDrained(): void {
    if (this.queued > 0 || this.inFlight > 0 || this.drainWaiters.length === 0) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private retire(worker: PoolWorker): Promise<unknown> {
    worker.retiring = true;
    // Whoever awaits the exit needs the loop alive until it comes.
    worker.child.setRef(true);
    if (worker.inFlight.length === 0) worker.child.channel.close();
    return Promise.all([
      worker.child.exited.catch(() => undefined),
      worker.child.channel.whenClosed,
    ]);
  }
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
