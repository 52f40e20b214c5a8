/** A pool's state, task and worker records, and the errors a task can end with. */
import { forkexecError } from '../../errors';
import type { StartedChild } from '../startedChild';
import type { TargetSpec } from '../target';
import type { TaskMessage } from '../taskRunner';
import { Deque } from './deque';
import { TaskOutbox } from './taskOutbox';

/** Where a pool is in its life; its scheduler and its workers' bookkeeping read it too. */
export interface PoolState {
  phase: 'open' | 'closing' | 'terminated';
  /** Set when the initializer failed: every task ends with it and no worker starts again. */
  broken: Error | undefined;
}

export interface PoolTask {
  id: number;
  /** What the worker receives. */
  message: TaskMessage;
  target: TargetSpec;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  /** queued -> sent (in a worker's pipeline) -> done. */
  state: 'queued' | 'sent' | 'done';
  worker: PoolWorker | null;
  timeout: number | undefined;
  timer: NodeJS.Timeout | undefined;
  /** Removes the abort listener. */
  unlisten: (() => void) | undefined;
  /** The initializer's task: its failure breaks the pool. */
  init: boolean;
}

/** A task for `message` (its id and target), not yet queued; `timeout` in ms. */
export function newTask(
  message: TaskMessage,
  resolve: (value: unknown) => void,
  reject: (error: Error) => void,
  timeout: number | undefined,
): PoolTask {
  return {
    id: message.id,
    message,
    target: message.target,
    resolve,
    reject,
    state: 'queued',
    worker: null,
    timeout,
    timer: undefined,
    unlisten: undefined,
    init: message.init === true,
  };
}

export interface PoolWorker {
  child: StartedChild;
  /** Function targets with an id up to this exist in the worker. */
  knownFunctions: number;
  /** The tasks sent and not answered, oldest (the running one) first. */
  inFlight: Deque<PoolTask>;
  /** Tasks given in this tick, not yet written. */
  outbox: TaskOutbox<PoolTask>;
  /** Tasks given to it so far (for maxTasksPerChild). */
  given: number;
  /** Takes no more tasks: being closed, killed, or at its maxTasksPerChild. */
  retiring: boolean;
  /** Killed by the pool because its running task was aborted or timed out. */
  killedByPool: boolean;
  channelClosed: boolean;
  exited: boolean;
  gone: boolean;
}

export function newWorker(
  child: StartedChild,
  knownFunctions: number,
  refuse: (task: PoolTask, error: Error) => void,
): PoolWorker {
  return {
    child,
    knownFunctions,
    inFlight: new Deque<PoolTask>(),
    outbox: new TaskOutbox<PoolTask>(child.channel, refuse),
    given: 0,
    retiring: false,
    killedByPool: false,
    channelClosed: false,
    exited: false,
    gone: false,
  };
}

/** Node's AbortError: `name` 'AbortError', `code` 'ABORT_ERR', the signal's reason as `cause`. */
export function abortError(signal: AbortSignal): Error {
  const error = new Error('The operation was aborted', { cause: signal.reason }) as Error & {
    code: string;
  };
  error.name = 'AbortError';
  error.code = 'ABORT_ERR';
  return error;
}

export function timeoutError(ms: number): Error {
  return forkexecError(
    'ERR_FORKEXEC_TASK_TIMEOUT',
    `The task ran longer than its timeout of ${ms} ms; its worker was killed`,
  );
}

export function poolClosedError(state: 'closing' | 'terminated'): Error {
  return forkexecError(
    'ERR_FORKEXEC_POOL_CLOSED',
    `The pool is ${state === 'closing' ? 'closing' : 'terminated'}`,
  );
}

export function terminatedError(): Error {
  return forkexecError(
    'ERR_FORKEXEC_POOL_TERMINATED',
    'The pool was terminated before the task ran',
  );
}

export function initializerError(cause: Error): Error {
  const error = forkexecError(
    'ERR_FORKEXEC_INITIALIZER_FAILED',
    `The pool's initializer failed in a worker (${cause.message}); the pool runs no more tasks`,
  );
  error.cause = cause;
  return error;
}
