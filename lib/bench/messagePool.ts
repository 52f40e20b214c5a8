/**
 * The harness's own pools for the baselines: worker_threads Workers and
 * child_process.fork children, each answering `{ id, op, arg }` messages
 * (children/workerEcho, children/ipcEcho). A task goes to the least busy
 * unit, as a Pool would give it; `map` sends chunks, as Pool.map does. No
 * dependency: this is what a user writes without one.
 */
import { fork as cpFork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Pool, type StartMethod } from '../process';

export type TaskOp = 'echo' | 'echoAll' | 'spin';

/** What the messaging and scaling benchmarks drive. */
export interface TaskPool {
  run(op: TaskOp, arg: unknown): Promise<unknown>;
  /** Echoes every item, about four chunks per unit (Python's Pool.map default); results in order. */
  map(items: number[]): Promise<unknown[]>;
  close(): Promise<void>;
}

/** Python's Pool.map default chunk size, which forkexec's Pool.map takes too. */
function chunksizeFor(items: number, units: number): number {
  return Math.max(1, Math.ceil(items / (units * 4)));
}

interface Unit {
  send(message: unknown): void;
  busy: number;
}

interface Reply {
  id: number;
  value: unknown;
}

class MessagePool implements TaskPool {
  private readonly pending = new Map<number, (value: unknown) => void>();
  private nextId = 1;

  constructor(
    private readonly units: Unit[],
    private readonly stop: () => Promise<void>,
  ) {}

  /** Routes a unit's replies to the tasks waiting for them. */
  reply(unit: Unit, message: Reply): void {
    unit.busy--;
    this.pending.get(message.id)?.(message.value);
    this.pending.delete(message.id);
  }

  run(op: TaskOp, arg: unknown): Promise<unknown> {
    const unit = this.units.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.nextId++;
    unit.busy++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      unit.send({ id, op, arg });
    });
  }

  async map(items: number[]): Promise<unknown[]> {
    const size = chunksizeFor(items.length, this.units.length);
    const chunks: Promise<unknown>[] = [];
    for (let i = 0; i < items.length; i += size) {
      chunks.push(this.run('echoAll', items.slice(i, i + size)));
    }
    return (await Promise.all(chunks)).flat();
  }

  close(): Promise<void> {
    return this.stop();
  }
}

/** `size` Workers running children/workerEcho. */
export async function workerPool(size: number): Promise<TaskPool> {
  const workers = Array.from(
    { length: size },
    () => new Worker(join(__dirname, 'children', 'workerEcho.js')),
  );
  const units = workers.map((w) => ({
    send: (m: unknown) => {
      w.postMessage(m);
    },
    busy: 0,
  }));
  const pool = new MessagePool(units, async () => {
    await Promise.all(workers.map((w) => w.terminate()));
  });
  workers.forEach((w, i) =>
    w.on('message', (m: Reply) => {
      pool.reply(units[i], m);
    }),
  );
  await Promise.all(workers.map((w) => once(w, 'online')));
  return pool;
}

/** `size` child_process.fork children running children/ipcEcho. */
export async function ipcPool(size: number): Promise<TaskPool & { children: ChildProcess[] }> {
  const children = Array.from({ length: size }, () =>
    cpFork(join(__dirname, 'children', 'ipcEcho.js'), [], { stdio: 'ignore' }),
  );
  await Promise.all(children.map((c) => once(c, 'message')));
  const units = children.map((c) => ({ send: (m: unknown) => c.send(m as object), busy: 0 }));
  const pool = new MessagePool(units, async () => {
    await Promise.all(
      children.map((c) => {
        const exited = once(c, 'exit');
        c.disconnect();
        return exited;
      }),
    );
  });
  children.forEach((c, i) =>
    c.on('message', (m: Reply) => {
      pool.reply(units[i], m);
    }),
  );
  return Object.assign(pool, { children });
}

const TARGETS = join(__dirname, 'children', 'trivialTarget.js');

/** forkexec's Pool of one start method, driven through its public `run`. */
export function forkexecPool(size: number, startMethod: StartMethod): TaskPool & { pool: Pool } {
  const pool = new Pool({ size, startMethod });
  return {
    pool,
    run: (op, arg) => pool.run({ module: TARGETS, export: op }, [arg]),
    map: (items) => pool.map({ module: TARGETS, export: 'echo' }, items),
    close: () => pool.close(),
  };
}
