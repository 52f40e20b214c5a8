/**
 * Messaging once units run, measured with the same code as bench/pool.mjs
 * (./poolThroughput): the round trip of one small task through an idle
 * pool, and many short tasks: `tasks` trivial tasks queued at once, one
 * message each, and the same items through `map` in chunks. For a forkexec
 * Pool of each start method, a worker_threads pool and child_process.fork
 * children (./messagePool).
 */
import { availableParallelism } from 'node:os';
import { forkexecPool, ipcPool, workerPool, type TaskPool } from './messagePool';
import { burstMicrosPerTask, mapMicrosPerItem, roundTripMicros } from './poolThroughput';

export type MessagingSubject =
  'pool.fork' | 'pool.forkserver' | 'pool.spawn' | 'workers' | 'cp.fork';

export const MESSAGING_LABELS: Record<MessagingSubject, string> = {
  'pool.fork': 'Pool(fork)',
  'pool.forkserver': 'Pool(forkserver)',
  'pool.spawn': 'Pool(spawn)',
  workers: 'worker_threads pool',
  'cp.fork': 'child_process.fork IPC',
};

/** In the order of the tables. */
export const MESSAGING_SUBJECTS = Object.keys(MESSAGING_LABELS) as readonly MessagingSubject[];

export interface MessagingConfig {
  /** Tasks awaited one after another in each round-trip run. */
  roundTrips: number;
  /** Trivial tasks queued at once in each many-short-tasks run (and items of each map). */
  tasks: number;
  /** Runs of each measurement; the figure is their median. */
  repeats: number;
}

export interface MessagingFigures {
  /** µs per task when each task is awaited before the next is sent. */
  roundTripUs: number;
  /** Tasks per second with `tasksQueued` trivial tasks queued at once, one message per task (Python: `Pool.map(chunksize=1)`). */
  tasksPerSecond: number;
  /** Items per second through `map` of `tasksQueued` items in chunks (about four chunks per unit, as Python's `Pool.map`). */
  mapItemsPerSecond: number;
  tasksQueued: number;
  poolSize: number;
}

async function openPool(subject: MessagingSubject, size: number): Promise<TaskPool> {
  switch (subject) {
    case 'workers':
      return workerPool(size);
    case 'cp.fork':
      return ipcPool(size);
    default:
      return forkexecPool(size, subject.slice('pool.'.length) as 'fork' | 'forkserver' | 'spawn');
  }
}

export async function measureMessaging(
  subject: MessagingSubject,
  config: MessagingConfig,
): Promise<MessagingFigures> {
  const size = availableParallelism();
  const pool = await openPool(subject, size);
  try {
    const echo = (i: unknown): Promise<unknown> => pool.run('echo', i);
    // Every unit started and warm before anything is timed.
    await Promise.all(Array.from({ length: size * 4 }, (_, i) => echo(i)));
    const { roundTrips, tasks, repeats } = config;
    const roundTripUs = await roundTripMicros(echo, roundTrips, repeats);
    const burstUs = await burstMicrosPerTask(echo, tasks, repeats);
    const mapUs = await mapMicrosPerItem((items) => pool.map(items), tasks, repeats);
    return {
      roundTripUs,
      tasksPerSecond: 1e6 / burstUs,
      mapItemsPerSecond: 1e6 / mapUs,
      tasksQueued: tasks,
      poolSize: size,
    };
  } finally {
    await pool.close();
  }
}
