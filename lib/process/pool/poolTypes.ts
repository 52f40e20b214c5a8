/** The options and results of {@link Pool}: its public types. */
import type { StartMethod } from '../startMethodTypes';
import type { ChildExit } from '../startedChild';
import type { ModuleTarget } from '../target';

/** Any function a pool task may run (its arguments and value cross with v8.serialize). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TaskFunction = (...args: any[]) => unknown;

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
  /**
   * Run once in every worker before its first task, like Python's
   * `Pool(initializer=...)`. When it throws (or its worker dies in it) the
   * pool is broken: every pending task and every later call rejects with
   * `ERR_FORKEXEC_INITIALIZER_FAILED` (the worker's error as `cause`); no
   * worker is started again for it.
   */
  initializer?: TaskFunction | ModuleTarget;
  /** Arguments of `initializer` (default `[]`). */
  initArgs?: unknown[];
  /**
   * Retire a worker after it ran this many tasks (a chunk of `map` counts
   * once) and start a fresh one, like Python's `maxtasksperchild`
   * (default: unlimited).
   */
  maxTasksPerChild?: number;
  /**
   * How many tasks one worker may hold at once: the one it runs and the
   * ones queued behind it in its channel (default 16). Pipelining keeps a
   * worker busy between a result and the next task; a worker still runs
   * its tasks one at a time, in order. Use 1 when tasks are long and of
   * very different lengths, so that a short task never waits behind a
   * long one while another worker is idle.
   */
  pipelineDepth?: number;
}

/** Options of {@link Pool.run}. */
export interface RunOptions {
  /**
   * Cancels the task. A queued task leaves the queue; a running one rejects
   * and its worker is killed and replaced. Rejects with an `AbortError`
   * (`code` `'ABORT_ERR'`, the signal's reason as `cause`).
   */
  signal?: AbortSignal;
  /**
   * Milliseconds the task may run, counted from when its worker starts it
   * (time spent queued does not count). Past it the task rejects with
   * `ERR_FORKEXEC_TASK_TIMEOUT` and its worker is killed and replaced.
   */
  timeout?: number;
}

/** Options of {@link Pool.map}. */
export interface MapOptions {
  /**
   * How many items travel in one message; the worker runs them all and
   * answers once. Default: as Python's `Pool.map`, about four chunks per
   * worker when the input's length is known (an array, a Set, a Map),
   * else 1.
   */
  chunksize?: number;
  /** Cancels the map: queued chunks leave the queue, running ones are killed; rejects with `AbortError`. */
  signal?: AbortSignal;
}

/** Options of {@link Pool.imap}. */
export interface ImapOptions {
  /** How many items travel in one message (default 1). */
  chunksize?: number;
  /** Results in input order (default `true`), or in order of completion. */
  ordered?: boolean;
  /** Cancels the iteration: queued chunks leave the queue, running ones are killed; the iterator throws `AbortError`. */
  signal?: AbortSignal;
}

/** What a pool is doing now: see {@link Pool.stats}. */
export interface PoolStats {
  /** Tasks waiting for a worker (a chunk of `map` counts once). */
  queued: number;
  /** Tasks given to workers and not answered yet (running or pipelined behind the running one). */
  inFlight: number;
  /** Workers that hold at least one task. */
  busyWorkers: number;
  /** Workers alive (started and not yet gone). */
  workers: number;
}

/**
 * A worker of a {@link Pool} that has exited, with its own resource usage.
 * Usage is per worker, not per task: the kernel reports it once, when the
 * process is reaped, and a worker runs many tasks.
 */
export interface PoolWorkerExit extends ChildExit {
  pid: number;
}
