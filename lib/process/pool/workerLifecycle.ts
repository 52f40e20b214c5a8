/**
 * The start and end of a pool's workers: starting one (and sending it the
 * initializer), noticing that its channel or its process ended, burying it
 * once both have, retiring and killing, and breaking the pool when the
 * initializer fails. What happens to the tasks a worker held is the
 * scheduler's business (`TaskScheduler.release`).
 */
import { diedError } from '../childDiedError';
import type { StartMethodImpl } from '../startMethodTypes';
import type { ChildExit } from '../startedChild';
import { registeredFunctionCount, type TargetSpec } from '../target';
import type { ResultMessage, TaskMessage } from '../taskRunner';
import {
  initializerError,
  newTask,
  newWorker,
  type PoolState,
  type PoolTask,
  type PoolWorker,
} from './poolTask';
import type { PoolWorkerExit } from './poolTypes';

export const SIGKILL = 9;
/** How long a worker that exited may take to deliver what it wrote before its channel is dropped. */
const EXIT_GRACE_MS = 1000;

interface WorkerEnd {
  exit?: ChildExit;
  startError?: Error;
  graceTimer?: NodeJS.Timeout;
}

/** What the lifecycle asks of the scheduler (a `TaskScheduler`) about the tasks of its workers. */
export interface WorkerTasks {
  /** The id of the next task: the initializer's. */
  takeId(): number;
  /** Puts `task` in the worker's pipeline (the initializer's task). */
  assign(worker: PoolWorker, task: PoolTask): void;
  /** Takes out a task the worker will not run (its arguments could not be serialized). */
  drop(worker: PoolWorker, task: PoolTask, error: Error): void;
  onResult(worker: PoolWorker, message: ResultMessage): void;
  /** The worker is buried: its running task fails with `reason`, the others run elsewhere. */
  release(worker: PoolWorker, reason: Error): void;
  /** Rejects every task the worker holds with `error`. */
  failHeld(worker: PoolWorker, error: Error): void;
  rejectQueued(error: () => Error): void;
  checkDrained(): void;
}

/** How a pool's workers start: the start method, the child's env and cwd, the initializer. */
export interface WorkerStartPlan {
  impl: StartMethodImpl;
  childOptions: { env?: Record<string, string | undefined>; cwd?: string };
  initializer: { target: TargetSpec; args: unknown[] } | undefined;
}

export class WorkerLifecycle {
  /** Every worker that has exited so far, in order of exit. */
  readonly exits: PoolWorkerExit[] = [];
  private readonly ends = new WeakMap<PoolWorker, WorkerEnd>();

  /** `workers` is the pool's set: a worker is in it from its start until it is buried. */
  constructor(
    private readonly workers: Set<PoolWorker>,
    private readonly tasks: WorkerTasks,
    private readonly state: PoolState,
    private readonly plan: WorkerStartPlan,
  ) {}

  /** Starts a worker; throws when the start method fails at once. */
  start(): void {
    const child = this.plan.impl.start(this.plan.childOptions);
    const worker = newWorker(child, registeredFunctionCount(), (task, error) => {
      if (task.worker === worker) this.tasks.drop(worker, task, error);
    });
    const end: WorkerEnd = {};
    this.workers.add(worker);
    this.ends.set(worker, end);
    child.setRef(false);
    child.channel.on('message', (message: ResultMessage) => {
      this.tasks.onResult(worker, message);
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
        this.tasks.rejectQueued(() => end.startError as Error);
        this.onWorkerEnd(worker);
      },
    );
    if (this.plan.initializer) this.sendInitializer(worker, this.plan.initializer);
  }

  private sendInitializer(worker: PoolWorker, init: { target: TargetSpec; args: unknown[] }): void {
    const id = this.tasks.takeId();
    const message: TaskMessage = {
      type: 'task',
      id,
      target: init.target,
      args: init.args,
      init: true,
    };
    const resolve = (): undefined => undefined;
    const reject = (error: Error): void => {
      this.breakPool(error);
    };
    this.tasks.assign(worker, newTask(message, resolve, reject, undefined));
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
    const reason =
      end.startError ??
      worker.child.channel.failure ??
      diedError(worker.child.pid, end.exit as ChildExit);
    this.tasks.release(worker, reason);
  }

  /** The initializer failed: every task rejects, every worker goes, nothing starts again. */
  private breakPool(cause: Error): void {
    if (this.state.broken) return;
    const broken = initializerError(cause);
    this.state.broken = broken;
    this.tasks.rejectQueued(() => broken);
    for (const worker of this.workers) {
      worker.retiring = true;
      this.tasks.failHeld(worker, broken);
      worker.child.kill(SIGKILL);
    }
    this.tasks.checkDrained();
  }

  /** Lets every worker exit once its tasks are done; resolves when all have. */
  retireAll(): Promise<unknown> {
    return Promise.all([...this.workers].map((w) => retire(w)));
  }

  /** Kills every worker now; resolves when all have exited and closed their channels. */
  killAll(): Promise<unknown> {
    const exits = [...this.workers].map((w) => {
      w.retiring = true;
      w.child.setRef(true);
      w.child.kill(SIGKILL);
      return gone(w);
    });
    return Promise.all(exits);
  }
}

/** Takes no more tasks for `worker`, and lets it exit once it holds none. */
export function retire(worker: PoolWorker): Promise<unknown> {
  worker.retiring = true;
  // Whoever awaits the exit needs the loop alive until it comes.
  worker.child.setRef(true);
  if (worker.inFlight.length === 0) worker.child.channel.close();
  return gone(worker);
}

function gone(worker: PoolWorker): Promise<unknown> {
  return Promise.all([worker.child.exited.catch(() => undefined), worker.child.channel.whenClosed]);
}
