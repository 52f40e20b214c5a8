/**
 * Messaging once units run: the round trip of one small task through an
 * idle pool, and the throughput of many tasks in flight at once, for a
 * forkexec Pool of each start method, a worker_threads pool and
 * child_process.fork children (./messagePool).
 */
import { availableParallelism } from 'node:os';
import { forkexecPool, ipcPool, workerPool, type TaskPool } from './messagePool';
import { summarize } from './stats';

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
  roundTrips: number;
  tasks: number;
}

export interface MessagingFigures {
  /** Median of sequential round trips, µs. */
  roundTripUs: number;
  roundTripP90Us: number;
  /** `tasks` submitted at once, tasks per second. */
  tasksPerSecond: number;
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
    // Every unit started and warm before anything is timed.
    await Promise.all(Array.from({ length: size * 4 }, (_, i) => pool.run('echo', i)));
    const trips: number[] = [];
    for (let i = 0; i < config.roundTrips; i++) {
      const start = process.hrtime.bigint();
      await pool.run('echo', i);
      trips.push(Number(process.hrtime.bigint() - start) / 1e3);
    }
    const start = process.hrtime.bigint();
    await Promise.all(Array.from({ length: config.tasks }, (_, i) => pool.run('echo', i)));
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const summary = summarize(trips);
    return {
      roundTripUs: summary.median,
      roundTripP90Us: summary.p90,
      tasksPerSecond: config.tasks / seconds,
      poolSize: size,
    };
  } finally {
    await pool.close();
  }
}
