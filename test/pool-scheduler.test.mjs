// The Pool's scheduler: an O(1) queue, several tasks in flight per worker,
// and what happens to the tasks pipelined behind one that dies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Pool, forkserver } from 'forkexec';
import { Deque } from '../dist/process/pool/deque.js';
import { children, openFds, root } from './helpers.mjs';

const MODULE = join(root, 'test', 'fixtures', 'targets.mjs');
const target = (name) => ({ module: MODULE, export: name });

test('the deque keeps order through growth, unshift and remove', () => {
  const deque = new Deque();
  const model = [];
  for (let i = 0; i < 1000; i++) {
    if (i % 7 === 3) {
      deque.unshift(-i);
      model.unshift(-i);
    } else {
      deque.push(i);
      model.push(i);
    }
    if (i % 5 === 0) assert.equal(deque.shift(), model.shift());
    if (i % 11 === 0 && model.length > 3) {
      const victim = model[2];
      assert.equal(deque.remove(victim), true);
      model.splice(2, 1);
    }
  }
  assert.equal(deque.length, model.length);
  assert.equal(deque.peek(), model[0]);
  assert.deepEqual(deque.drain(), model);
  assert.equal(deque.length, 0);
  assert.equal(deque.shift(), undefined);
});

test('30,000 queued tasks run on at most size workers, several in flight per worker', async () => {
  const pool = new Pool({ size: 2, startMethod: 'spawn', pipelineDepth: 8 });
  const pending = [];
  for (let i = 0; i < 30_000; i++) pending.push(pool.run(target('add'), [i, 1]));
  assert.equal(pool.queueSize + pool.stats.inFlight, 30_000);
  // Pipelining: once the workers exist, each holds up to pipelineDepth tasks.
  await new Promise((resolve) => setImmediate(resolve));
  assert.ok(pool.stats.inFlight > 2, `in flight: ${pool.stats.inFlight}`);
  assert.ok(pool.stats.inFlight <= 16, `in flight: ${pool.stats.inFlight}`);
  const results = await Promise.all(pending);
  assert.equal(results.length, 30_000);
  assert.ok(results.every((value, i) => value === i + 1));
  const pids = new Set(await Promise.all([1, 2, 3, 4].map(() => pool.run(target('getPid')))));
  assert.ok(pids.size <= 2);
  assert.deepEqual(pool.stats, { queued: 0, inFlight: 0, busyWorkers: 0, workers: 2 });
  await pool.close();
  assert.deepEqual(children(), []);
});

test('a worker that dies fails the task it ran; the tasks pipelined behind it run elsewhere', async () => {
  for (const startMethod of ['spawn', 'forkserver']) {
    const pool = new Pool({ size: 1, startMethod, pipelineDepth: 8 });
    const first = await pool.run(target('getPid'));
    const crash = pool.run(target('crashAfter'), [50]);
    const behind = [1, 2, 3, 4, 5].map((x) => pool.run(target('add'), [x, x]));
    assert.ok(pool.stats.inFlight >= 2, 'the tasks were pipelined behind the crashing one');
    await assert.rejects(crash, { code: 'ERR_FORKEXEC_CHILD_DIED', signal: 'SIGKILL' });
    assert.deepEqual(await Promise.all(behind), [2, 4, 6, 8, 10], startMethod);
    assert.notEqual(await pool.run(target('getPid')), first);
    await pool.close();
  }
  await forkserver.stop();
  assert.deepEqual(children(), []);
});

test('pipelineDepth 1 keeps one task per worker; bad depths are refused', async () => {
  const pool = new Pool({ size: 1, startMethod: 'spawn', pipelineDepth: 1 });
  const all = [1, 2, 3].map((x) => pool.run(target('slow'), [20, x]));
  assert.equal(pool.stats.inFlight, 1);
  assert.equal(pool.queueSize, 2);
  assert.deepEqual(await Promise.all(all), [1, 2, 3]);
  await pool.close();
  assert.throws(() => new Pool({ pipelineDepth: 0 }), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => new Pool({ pipelineDepth: 'deep' }), { code: 'ERR_INVALID_ARG_TYPE' });
});

test('arguments that cannot cross reject that task only, the burst around it runs', async () => {
  const fdsBefore = openFds();
  const pool = new Pool({ size: 1, startMethod: 'spawn' });
  const good = [1, 2].map((x) => pool.run(target('add'), [x, 1]));
  const bad = pool.run(target('add'), [() => 1, 1]);
  const after = pool.run(target('add'), [3, 1]);
  await assert.rejects(bad, { code: 'ERR_FORKEXEC_UNSERIALIZABLE' });
  assert.deepEqual(await Promise.all([...good, after]), [2, 3, 4]);
  await pool.close();
  assert.deepEqual(children(), []);
  assert.deepEqual(openFds(), fdsBefore);
});
