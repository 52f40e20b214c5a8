/**
 * The scheduling of a pool's tasks onto its workers: the queue, each
 * worker's pipeline, and the counts that tell `close()` when all is done.
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
import { childError } from '../../channel/resultCodec';
import type { CancelMessage, ResultMessage } from '../taskRunner';
import { Deque } from './deque';
import {
  terminatedError,
  timeoutError,
  type PoolState,
  type PoolTask,
  type PoolWorker,
} from './poolTask';
import { retire, SIGKILL } from './workerLifecycle';

/** How many workers, how many tasks each may hold, and after how many tasks one is replaced. */
export interface SchedulerLimits {
  size: number;
  depth: number;
  maxTasksPerChild: number;
}

export class TaskScheduler {
  private readonly queue = new Deque<PoolTask>();
  private queuedCount = 0;
  private inFlightCount = 0;
  private nextId = 1;
  private drainWaiters: (() => void)[] = [];

  /**
   * `workers` is the pool's set (the lifecycle adds and removes them);
   * `startWorker` starts one more, or throws when its start method fails at once.
   */
  constructor(
    private readonly state: PoolState,
    private readonly workers: ReadonlySet<PoolWorker>,
    private readonly limits: SchedulerLimits,
    private readonly startWorker: () => void,
  ) {}

  /** Tasks waiting for a worker. */
  get queued(): number {
    return this.queuedCount;
  }

  /** Tasks given to a worker and not yet answered. */
  get inFlight(): number {
    return this.inFlightCount;
  }

  /** The id of the next task (the initializer's too). */
  takeId(): number {
    return this.nextId++;
  }

  enqueue(task: PoolTask): void {
    this.queue.push(task);
    this.queuedCount++;
    this.dispatch();
  }

  /** Resolves once nothing is queued or in flight (call it only while something is). */
  drained(): Promise<void> {
    return new Promise<void>((resolve) => this.drainWaiters.push(resolve));
  }

  /** Ends a task now: a queued one leaves the queue, a running one takes its worker down. */
  abort(task: PoolTask, error: Error): void {
    if (task.state === 'queued') {
      this.queuedCount--;
      finish(task, error);
      this.checkDrained();
      return;
    }
    const worker = task.worker;
    if (task.state !== 'sent' || !worker) return;
    if (worker.outbox.withdraw(task)) {
      this.drop(worker, task, error);
    } else if (worker.inFlight.peek() === task) {
      worker.inFlight.shift();
      this.inFlightCount--;
      finish(task, error);
      worker.killedByPool = true;
      worker.retiring = true;
      worker.child.kill(SIGKILL);
    } else {
      worker.child.channel.send({ type: 'cancel', id: task.id } satisfies CancelMessage);
      this.drop(worker, task, error);
    }
  }

  /** Takes a task the worker will not run (withdrawn, or not serializable) out of its pipeline. */
  drop(worker: PoolWorker, task: PoolTask, error: Error): void {
    const wasRunning = worker.inFlight.peek() === task;
    if (!worker.inFlight.remove(task)) return;
    this.inFlightCount--;
    finish(task, error);
    if (wasRunning) this.startTimer(worker);
    if (worker.inFlight.length === 0 && !worker.retiring) worker.child.setRef(false);
    if (worker.inFlight.length === 0 && worker.retiring) void retire(worker);
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
      if (load >= this.limits.depth || !this.canRun(worker, task)) continue;
      if (!best || load < best.inFlight.length) best = worker;
    }
    // Pipeline behind a busy worker only when the pool is at full size.
    if (best && best.inFlight.length > 0 && live < this.limits.size) return null;
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
    if (live < this.limits.size) {
      try {
        this.startWorker();
      } catch (error) {
        // A start method that fails at once (fork refused, no addon): the task cannot run.
        this.queue.shift();
        this.queuedCount--;
        finish(task, error instanceof Error ? error : new Error(String(error)));
      }
      return true;
    }
    if (!stale) return false;
    // Every idle worker predates this task's function: replace one.
    void retire(stale);
    return true;
  }

  private dispatch(): void {
    if (this.state.phase === 'terminated' || this.state.broken) return;
    for (let task = this.queue.peek(); task; task = this.queue.peek()) {
      if (task.state !== 'queued') {
        this.queue.shift();
        continue;
      }
      const worker = this.pickWorker(task);
      if (worker) {
        this.queue.shift();
        this.queuedCount--;
        this.assign(worker, task);
      } else if (!this.makeRoom(task)) break;
    }
    this.checkDrained();
  }

  /** After an answer: give the worker that freed up the next tasks at the head of the queue. */
  private refill(worker: PoolWorker): void {
    if (this.state.phase === 'terminated' || this.state.broken) return;
    while (!worker.retiring && worker.inFlight.length < this.limits.depth) {
      const task = this.queue.peek();
      if (!task) break;
      if (task.state !== 'queued') {
        this.queue.shift();
        continue;
      }
      if (!this.canRun(worker, task)) break;
      this.queue.shift();
      this.queuedCount--;
      this.assign(worker, task);
    }
    if (this.queuedCount > 0) this.dispatch();
    else this.checkDrained();
  }

  assign(worker: PoolWorker, task: PoolTask): void {
    task.state = 'sent';
    task.worker = worker;
    worker.inFlight.push(task);
    this.inFlightCount++;
    if (!task.init && ++worker.given >= this.limits.maxTasksPerChild) worker.retiring = true;
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

  onResult(worker: PoolWorker, message: ResultMessage): void {
    const task = worker.inFlight.peek();
    // An answer to a task withdrawn after the worker had started it.
    if (!task || task.id !== message.id || message.type !== 'result') return;
    worker.inFlight.shift();
    this.inFlightCount--;
    if (message.ok) finish(task, undefined, message.value);
    else finish(task, childError(message.error, worker.child.pid));
    if (worker.inFlight.length > 0) this.startTimer(worker);
    else if (worker.retiring) void retire(worker);
    // An idle pool never keeps the process alive.
    else worker.child.setRef(false);
    this.refill(worker);
  }

  /** A worker is gone for good: its running task fails with `reason`, the others run elsewhere. */
  release(worker: PoolWorker, reason: Error): void {
    const held = worker.inFlight.drain();
    this.inFlightCount -= held.length;
    // The oldest task was running: it failed with its worker (unless the pool killed it for that task).
    const running = worker.killedByPool ? undefined : held.shift();
    if (running) finish(running, this.state.broken ?? reason);
    for (const task of held.reverse()) {
      clearTimeout(task.timer);
      task.timer = undefined;
      if (task.init) finish(task, undefined);
      else if (this.state.broken) finish(task, this.state.broken);
      else if (this.state.phase === 'terminated') finish(task, terminatedError());
      else {
        task.state = 'queued';
        task.worker = null;
        this.queue.unshift(task);
        this.queuedCount++;
      }
    }
    this.dispatch();
    this.checkDrained();
  }

  /** Rejects every task the worker holds with `error` (the pool is broken). */
  failHeld(worker: PoolWorker, error: Error): void {
    for (const task of worker.inFlight.drain()) {
      this.inFlightCount--;
      finish(task, error);
    }
  }

  rejectQueued(error: () => Error): void {
    for (let task = this.queue.shift(); task; task = this.queue.shift()) {
      if (task.state === 'queued') finish(task, error());
    }
    this.queuedCount = 0;
  }

  checkDrained(): void {
    if (this.queuedCount > 0 || this.inFlightCount > 0 || this.drainWaiters.length === 0) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

function finish(task: PoolTask, error: Error | undefined, value?: unknown): void {
  if (task.state === 'done') return;
  task.state = 'done';
  task.worker = null;
  clearTimeout(task.timer);
  task.unlisten?.();
  if (error) task.reject(error);
  else task.resolve(value);
}
