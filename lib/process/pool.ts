/**
 * `Pool`: a fixed number of long-lived workers of one start method, tasks
 * queued and run as workers free up, results in order of completion.
 *
 * A worker made by `fork` knows exactly the function targets registered
 * before it was forked; a task whose function is newer is given to a
 * worker forked after it (an idle older worker is retired to make room).
 */
import { availableParallelism } from 'node:os';
import { forkexecError, invalidArgType } from '../errors';
import { validateInteger, validateOptions } from '../validate';
import { childError } from '../channel/resultCodec';
import { diedError } from './childDiedError';
import { defaultStartMethod, startMethodImpl } from './startMethod';
import type { StartMethod, StartMethodImpl } from './startMethodTypes';
import type { ChildExit, StartedChild } from './startedChild';
import { checkSerializable, targetSpec } from './taskInput';
import { registeredFunctionCount, validateTarget, type Target, type TargetSpec } from './target';
import type { ResultMessage, TaskMessage } from './taskRunner';

const SIGKILL = 9;

/** Options of {@link Pool}. */
export interface PoolOptions {
  /** How many workers (default: `os.availableParallelism()`). */
  size?: number;
  /** How workers start (default: `'forkserver'` on POSIX, `'spawn'` on win32). */
  startMethod?: StartMethod;
  /** The workers' environment (`spawn` only). */
  env?: Record<string, string | undefined>;
  /** The workers' working directory (`spawn` only). */
  cwd?: string;
}

/**
 * A worker of a {@link Pool} that has exited, with its own resource usage.
 * Usage is per worker, not per task: the kernel reports it once, when the
 * process is reaped, and a worker runs many tasks.
 */
export interface PoolWorkerExit extends ChildExit {
  pid: number;
}

interface Task {
  id: number;
  target: TargetSpec;
  args: unknown[];
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

interface Worker {
  child: StartedChild;
  /** Function targets with an id up to this exist in the worker. */
  knownFunctions: number;
  task: Task | null;
  retiring: boolean;
}

export class Pool {
  readonly size: number;
  readonly startMethod: StartMethod;
  private readonly impl: StartMethodImpl;
  private readonly childOptions: { env?: Record<string, string | undefined>; cwd?: string };
  private readonly workers = new Set<Worker>();
  private readonly queue: Task[] = [];
  private nextId = 1;
  private state: 'open' | 'closing' | 'terminated' = 'open';
  private drained: (() => void) | null = null;
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
  }

  /**
   * Every worker that has exited so far, in order of exit, each with its
   * `resourceUsage` (a `ChildResourceUsage`); after `await close()`
   * or `await terminate()` this covers every worker the pool started.
   */
  get workerExits(): readonly PoolWorkerExit[] {
    return this.exits;
  }

  /** Runs `target(...args)` in a worker and resolves with its value. */
  run<T = unknown>(target: Target, args: unknown[] = []): Promise<T> {
    if (this.state !== 'open') {
      return Promise.reject(
        forkexecError(
          'ERR_FORKEXEC_POOL_CLOSED',
          `The pool is ${this.state === 'closing' ? 'closing' : 'terminated'}`,
        ),
      );
    }
    try {
      validateTarget(target);
      if (!Array.isArray(args)) throw invalidArgType('args', 'an instance of Array', args);
      checkSerializable(args);
      const spec = targetSpec(target, this.impl);
      return new Promise<T>((resolve, reject) => {
        this.queue.push({
          id: this.nextId++,
          target: spec,
          args,
          resolve: resolve as (v: unknown) => void,
          reject,
        });
        this.dispatch();
      });
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Stops taking tasks, waits for queued and running ones, then lets the workers exit. */
  async close(): Promise<void> {
    if (this.state === 'terminated') return;
    this.state = 'closing';
    if (this.queue.length > 0 || [...this.workers].some((w) => w.task)) {
      await new Promise<void>((resolve) => (this.drained = resolve));
    }
    await Promise.all([...this.workers].map((w) => this.retire(w)));
  }

  /** Kills every worker now; queued and running tasks reject. */
  async terminate(): Promise<void> {
    this.state = 'terminated';
    for (const task of this.queue.splice(0)) {
      task.reject(
        forkexecError(
          'ERR_FORKEXEC_POOL_TERMINATED',
          'The pool was terminated before the task ran',
        ),
      );
    }
    const exits = [...this.workers].map((w) => {
      w.retiring = true;
      w.child.setRef(true);
      w.child.kill(SIGKILL);
      return Promise.all([w.child.exited.catch(() => undefined), w.child.channel.whenClosed]);
    });
    await Promise.all(exits);
    this.drained?.();
  }

  private canRun(worker: Worker, task: Task): boolean {
    return task.target.kind === 'module' || task.target.id <= worker.knownFunctions;
  }

  private dispatch(): void {
    for (let i = 0; i < this.queue.length;) {
      const task = this.queue[i];
      const idle = [...this.workers].filter((w) => !w.task && !w.retiring);
      const worker = idle.find((w) => this.canRun(w, task));
      if (worker) {
        this.queue.splice(i, 1);
        this.assign(worker, task);
        continue;
      }
      const stale = idle[0];
      if (this.workers.size < this.size) {
        this.startWorker();
        continue;
      }
      if (stale) {
        // Every idle worker predates this task's function: replace one.
        void this.retire(stale);
        this.startWorker();
        continue;
      }
      i++;
    }
    if (this.queue.length === 0 && ![...this.workers].some((w) => w.task)) {
      const done = this.drained;
      this.drained = null;
      done?.();
    }
  }

  private startWorker(): Worker {
    const child = this.impl.start(this.childOptions);
    const worker: Worker = {
      child,
      knownFunctions: registeredFunctionCount(),
      task: null,
      retiring: false,
    };
    this.workers.add(worker);
    child.setRef(false);
    child.channel.on('message', (message: ResultMessage) => {
      this.settle(worker, message);
    });
    child.channel.once('close', () => {
      this.channelLost(worker);
    });
    child.exited.then(
      (exit) => {
        this.exits.push({ pid: child.pid, ...exit });
        this.workerGone(worker, diedError(child.pid, exit));
      },
      (failure: unknown) => {
        const startError = failure instanceof Error ? failure : new Error(String(failure));
        // A worker that could not start (child_process reports it here): the
        // queued tasks would only start more such workers, so they fail too.
        for (const task of this.queue.splice(0)) task.reject(startError);
        this.workerGone(worker, startError);
      },
    );
    return worker;
  }

  private workerGone(worker: Worker, reason: Error): void {
    this.workers.delete(worker);
    const task = worker.task;
    worker.task = null;
    if (task) task.reject(reason);
    if (this.state !== 'terminated') this.dispatch();
  }

  private assign(worker: Worker, task: Task): void {
    worker.task = task;
    worker.child.setRef(true);
    worker.child.channel.send({
      type: 'task',
      id: task.id,
      target: task.target,
      args: task.args,
    } satisfies TaskMessage);
  }

  private settle(worker: Worker, message: ResultMessage): void {
    const task = worker.task;
    if (!task || message.id !== task.id) return;
    worker.task = null;
    // An idle pool never keeps the process alive.
    worker.child.setRef(false);
    if (message.ok) task.resolve(message.value);
    else task.reject(childError(message.error, worker.child.pid));
    this.dispatch();
  }

  /** A worker that wrote foreign bytes on its channel: its task fails with that, and it goes. */
  private channelLost(worker: Worker): void {
    const failure = worker.child.channel.failure;
    if (!failure) return;
    const task = worker.task;
    worker.task = null;
    task?.reject(failure);
    worker.retiring = true;
    worker.child.kill(SIGKILL);
  }

  private retire(worker: Worker): Promise<unknown> {
    worker.retiring = true;
    // Whoever awaits the exit needs the loop alive until it comes.
    worker.child.setRef(true);
    worker.child.channel.close();
    return Promise.all([
      worker.child.exited.catch(() => undefined),
      worker.child.channel.whenClosed,
    ]);
  }
}
