/**
 * Memory per running unit, for each way to run JavaScript, measured in the
 * runner that holds the parent size (see ./unitMemory). Two units each, read
 * while they are alive and idle.
 */
import { once } from 'node:events';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { fork } from '../fork';
import type { StartMethod } from '../process';
import { forkexecPool, ipcPool } from './messagePool';
import { meanMemory, processMemory, selfMemory, type UnitMemory } from './unitMemory';

const UNITS = 2;
const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Workers of a forkexec Pool, each alive after running one task. */
export async function poolMemory(startMethod: StartMethod): Promise<UnitMemory> {
  const units = forkexecPool(UNITS, startMethod);
  const pool = units.pool;
  try {
    const target = { module: join(__dirname, 'children', 'trivialTarget.js'), export: 'pidAfter' };
    const pids = await Promise.all(
      Array.from({ length: UNITS }, () => pool.run<number>(target, [100])),
    );
    return meanMemory([...new Set(pids)].map(processMemory));
  } finally {
    await units.close();
  }
}

/** fork(fn) children, read while they wait (they would wait a minute; they are killed once read). */
export async function forkMemory(): Promise<UnitMemory> {
  const children = Array.from({ length: UNITS }, () => fork(() => settle(60_000)));
  try {
    await settle(150);
    return meanMemory(children.map((c) => processMemory(c.pid)));
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
  }
}

/** child_process.fork children, after one message each. */
export async function ipcMemory(): Promise<UnitMemory> {
  const pool = await ipcPool(UNITS);
  try {
    return meanMemory(pool.children.map((c) => processMemory(c.pid ?? 0)));
  } finally {
    await pool.close();
  }
}

/** What this process grows by per Worker started (RSS, and USS as private memory). */
export async function workerMemory(): Promise<UnitMemory> {
  const before = selfMemory();
  const workers = Array.from(
    { length: UNITS },
    () => new Worker(join(__dirname, 'children', 'workerEcho.js')),
  );
  try {
    await Promise.all(workers.map((w) => once(w, 'online')));
    await settle(100);
    const after = selfMemory();
    return {
      rssKiB: Math.round((after.rssKiB - before.rssKiB) / UNITS),
      ussKiB: Math.round((after.privateKiB - before.privateKiB) / UNITS),
    };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
