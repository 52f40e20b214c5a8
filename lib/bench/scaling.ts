/**
 * CPU-bound scaling: N units each computing about 50 ms (a fixed number of
 * iterations, calibrated once), all started at once; the wall time until
 * every result is in. Each unit is started for the job, as a one-off task
 * would be: what the start costs is part of the answer.
 */
import { fork as cpFork } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Process, type StartMethod } from '../process';
import { spin } from './children/trivialTarget';

export type ScalingSubject =
  'process.fork' | 'process.forkserver' | 'process.spawn' | 'worker' | 'cp.fork';

export const SCALING_LABELS: Record<ScalingSubject, string> = {
  'process.fork': 'Process(fork)',
  'process.forkserver': 'Process(forkserver)',
  'process.spawn': 'Process(spawn)',
  worker: 'new Worker',
  'cp.fork': 'child_process.fork',
};

/** In the order of the tables. */
export const SCALING_SUBJECTS = Object.keys(SCALING_LABELS) as readonly ScalingSubject[];

export interface ScalingConfig {
  counts: number[];
  iterations: number;
}

export interface ScalingPoint {
  n: number;
  wallMs: number;
}

const CHILDREN = join(__dirname, 'children');

async function oneWorker(iterations: number): Promise<unknown> {
  const worker = new Worker(join(CHILDREN, 'workerEcho.js'));
  worker.postMessage({ id: 1, op: 'spin', arg: iterations });
  const [reply] = (await once(worker, 'message')) as [unknown];
  await worker.terminate();
  return reply;
}

async function oneIpcChild(iterations: number): Promise<unknown> {
  const child = cpFork(join(CHILDREN, 'ipcEcho.js'), [], { stdio: 'ignore' });
  await once(child, 'message');
  child.send({ id: 1, op: 'spin', arg: iterations });
  const [reply] = (await once(child, 'message')) as [unknown];
  const exited = once(child, 'exit');
  child.disconnect();
  await exited;
  return reply;
}

function oneUnit(subject: ScalingSubject, iterations: number): Promise<unknown> {
  if (subject === 'worker') return oneWorker(iterations);
  if (subject === 'cp.fork') return oneIpcChild(iterations);
  const startMethod = subject.slice('process.'.length) as StartMethod;
  const target = { module: join(CHILDREN, 'trivialTarget.js'), export: 'spin' };
  return new Process({ target, args: [iterations], startMethod }).run();
}

export async function measureScaling(
  subject: ScalingSubject,
  config: ScalingConfig,
): Promise<ScalingPoint[]> {
  await oneUnit(subject, 1); // warm: module loading, a forkserver's start
  const points: ScalingPoint[] = [];
  for (const n of config.counts) {
    const start = process.hrtime.bigint();
    await Promise.all(Array.from({ length: n }, () => oneUnit(subject, config.iterations)));
    points.push({ n, wallMs: Number(process.hrtime.bigint() - start) / 1e6 });
  }
  return points;
}

/** Iterations of `spin` that take about `ms` of CPU here. */
export function calibrateSpin(ms: number): number {
  spin(2e5); // let the loop get optimised first
  const probe = 2e6;
  const before = process.cpuUsage();
  spin(probe);
  const used = process.cpuUsage(before);
  const usedMs = (used.user + used.system) / 1000;
  return Math.max(1e5, Math.round((probe * ms) / Math.max(usedMs, 0.1)));
}
