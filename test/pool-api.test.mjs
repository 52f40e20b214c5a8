// The Pool's API as Python's Pool and piscina users expect it: map, imap,
// run with signal and timeout, initializer, maxTasksPerChild, await using,
// and the queue and busy workers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Pool, forkserver } from 'forkexec';
import { runForkScenario } from './fork-helpers.mjs';
import { children, openFds, root, runNode } from './helpers.mjs';

const MODULE = join(root, 'test', 'fixtures', 'targets.mjs');
const target = (name) => ({ module: MODULE, export: name });
const double = { module: MODULE };

function* naturals() {
  for (let i = 0; ; i++) yield i;
}

test('map: results in input order, with and without chunks, from any iterable', async () => {
  const pool = new Pool({ size: 2, startMethod: 'spawn' });
  const input = Array.from({ length: 1000 }, (_, i) => i);
  const expected = input.map((x) => x * 2);
  assert.deepEqual(await pool.map(double, input), expected);
  assert.deepEqual(await pool.map(double, input, { chunksize: 1 }), expected);
  assert.deepEqual(await pool.map(double, input, { chunksize: 37 }), expected);
  assert.deepEqual(await pool.map(double, new Set([1, 2, 3])), [2, 4, 6]);
  assert.deepEqual(await pool.map(double, []), []);
  assert.deepEqual(
    await pool.map(target('sleepFor'), [30, 1, 10, 2].values(), { chunksize: 1 }),
    [30, 1, 10, 2],
  );
  await assert.rejects(pool.map(double, 5), { code: 'ERR_INVALID_ARG_TYPE' });
  await assert.rejects(pool.map(double, [1], { chunksize: 0 }), { code: 'ERR_OUT_OF_RANGE' });
  await pool.close();
});

test('imap reads its input lazily: an endless generator, bounded work in flight', async () => {
  const pool = new Pool({ size: 2, startMethod: 'spawn', pipelineDepth: 4 });
  let read = 0;
  const counted = (function* () {
    for (const x of naturals()) {
      read++;
      yield x;
    }
  })();
  const seen = [];
  for await (const value of pool.imap(double, counted, { chunksize: 3 })) {
    seen.push(value);
    assert.ok(pool.stats.inFlight + pool.queueSize <= 2 * 5, 'bounded work in flight');
    if (seen.length === 100) break;
  }
  assert.deepEqual(
    seen,
    Array.from({ length: 100 }, (_, i) => i * 2),
  );
  // Only a bounded lookahead was read: size * (depth + 1) chunks of 3.
  assert.ok(read <= 100 + 2 * 5 * 3, `read ${read} items`);
  // Breaking out left nothing queued or running.
  assert.deepEqual(
    { queued: pool.stats.queued, inFlight: pool.stats.inFlight },
    { queued: 0, inFlight: 0 },
  );
  const unordered = [];
  for await (const value of pool.imap(target('sleepFor'), [60, 1].values(), { ordered: false }))
    unordered.push(value);
  await pool.close();
  assert.deepEqual(unordered.sort(), [1, 60]);
  assert.deepEqual(children(), []);
});

test('run: an aborted queued task leaves the queue; an aborted running one kills its worker', async () => {
  const pool = new Pool({ size: 1, startMethod: 'spawn', pipelineDepth: 1 });
  const firstPid = await pool.run(target('getPid'));
  const controller = new AbortController();
  const running = pool.run(target('hang'), [], { signal: controller.signal });
  const queuedController = new AbortController();
  const queued = pool.run(target('add'), [1, 2], { signal: queuedController.signal });
  const behind = pool.run(target('add'), [2, 2]);
  assert.equal(pool.queueSize, 2);
  queuedController.abort(new Error('not needed'));
  assert.equal(pool.queueSize, 1);
  await assert.rejects(queued, (error) => {
    assert.equal(error.name, 'AbortError');
    assert.equal(error.code, 'ABORT_ERR');
    assert.equal(error.cause.message, 'not needed');
    return true;
  });
  await new Promise((resolve) => setTimeout(resolve, 100));
  controller.abort();
  await assert.rejects(running, { name: 'AbortError', code: 'ABORT_ERR' });
  assert.equal(await behind, 4);
  assert.notEqual(await pool.run(target('getPid')), firstPid, 'the worker was replaced');
  await assert.rejects(pool.run(target('add'), [1, 1], { signal: AbortSignal.abort() }), {
    code: 'ABORT_ERR',
  });
  await assert.rejects(pool.run(target('add'), [1, 1], { signal: 'stop' }), {
    code: 'ERR_INVALID_ARG_TYPE',
  });
  await pool.close();
  assert.deepEqual(children(), []);
});

test('run: a timed-out task rejects, its worker is killed, the tasks behind it run', async () => {
  for (const startMethod of ['spawn', 'forkserver']) {
    const pool = new Pool({ size: 1, startMethod, pipelineDepth: 4 });
    const firstPid = await pool.run(target('getPid'));
    const stuck = pool.run(target('spin'), [60_000], { timeout: 200 });
    const behind = [1, 2, 3].map((x) => pool.run(target('add'), [x, 10]));
    await assert.rejects(stuck, { code: 'ERR_FORKEXEC_TASK_TIMEOUT' });
    assert.deepEqual(await Promise.all(behind), [11, 12, 13]);
    assert.notEqual(await pool.run(target('getPid')), firstPid);
    // Time spent queued does not count.
    const slowOnes = [1, 2].map(() => pool.run(target('slow'), [150, 'ok'], { timeout: 5000 }));
    assert.deepEqual(await Promise.all(slowOnes), ['ok', 'ok']);
    await assert.rejects(pool.run(target('add'), [1, 1], { timeout: -1 }), {
      code: 'ERR_OUT_OF_RANGE',
    });
    await pool.close();
  }
  await forkserver.stop();
  assert.deepEqual(children(), []);
});

test('initializer runs once per worker; a failing one breaks the pool clearly, once', async () => {
  const pool = new Pool({
    size: 2,
    startMethod: 'spawn',
    initializer: target('remember'),
    initArgs: ['hello'],
  });
  const seen = await Promise.all(Array.from({ length: 20 }, () => pool.run(target('remembered'))));
  for (const [count, value] of seen) assert.deepEqual([count, value], [1, 'hello']);
  await pool.close();

  const broken = new Pool({
    size: 2,
    startMethod: 'spawn',
    initializer: target('fail'),
    initArgs: ['no init'],
  });
  const tasks = [1, 2, 3].map((x) => broken.run(target('add'), [x, x]));
  for (const task of tasks) {
    await assert.rejects(task, (error) => {
      assert.equal(error.code, 'ERR_FORKEXEC_INITIALIZER_FAILED');
      assert.equal(error.cause.message, 'no init');
      assert.equal(error.cause.code, 'E_TARGET');
      return true;
    });
  }
  await assert.rejects(broken.run(target('add'), [1, 1]), {
    code: 'ERR_FORKEXEC_INITIALIZER_FAILED',
  });
  await broken.close();
  assert.deepEqual(children(), []);
  assert.throws(() => new Pool({ initArgs: [1] }), { code: 'ERR_INVALID_ARG_TYPE' });
});

test('maxTasksPerChild replaces a worker after that many tasks', async () => {
  const pool = new Pool({ size: 1, startMethod: 'spawn', maxTasksPerChild: 3 });
  const pids = [];
  for (let i = 0; i < 7; i++) pids.push(await pool.run(target('getPid')));
  assert.equal(new Set(pids).size, 3);
  assert.equal(pids[0], pids[2]);
  assert.notEqual(pids[2], pids[3]);
  // The 7th task was the third worker's first: a burst of 9 takes it, then three more.
  const burst = await Promise.all(Array.from({ length: 9 }, () => pool.run(target('getPid'))));
  assert.equal(new Set(burst).size, 4);
  assert.equal(burst[0], pids[6]);
  await pool.close();
  assert.deepEqual(children(), []);
});

const AsyncFunction = (async () => {}).constructor;
const awaitUsingSyntax = (() => {
  try {
    new AsyncFunction('{ await using x = null; }');
    return true;
  } catch {
    return false;
  }
})();

test('Symbol.asyncDispose closes the pool; stats show the queue and the busy workers', async () => {
  const fdsBefore = openFds();
  const pool = new Pool({ size: 2, startMethod: 'spawn', pipelineDepth: 1 });
  // Each task takes a second, so the state checked below lasts that long
  // after both workers took their first task, however loaded the machine.
  const tasks = [1, 2, 3, 4, 5].map((x) => pool.run(target('slow'), [1000, x]));
  const watchdog = Date.now() + 60_000;
  while (pool.stats.inFlight < 2 && Date.now() < watchdog) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.deepEqual(pool.stats, { queued: 3, inFlight: 2, busyWorkers: 2, workers: 2 });
  assert.equal(pool.busyWorkers, 2);
  assert.equal(pool.queueSize, 3);
  await pool[Symbol.asyncDispose]();
  assert.deepEqual(await Promise.all(tasks), [1, 2, 3, 4, 5]);
  assert.equal(pool.busyWorkers, 0);
  await assert.rejects(pool.run(target('add'), [1, 1]), { code: 'ERR_FORKEXEC_POOL_CLOSED' });
  assert.deepEqual(children(), []);
  assert.deepEqual(openFds(), fdsBefore);
});

test(
  'await using pool = new Pool() closes it at the end of the scope',
  { skip: awaitUsingSyntax ? false : `this Node (${process.version}) has no await using syntax` },
  () => {
    const run = runNode(`
      import { Pool } from 'forkexec';
      import { readdirSync, readFileSync } from 'node:fs';
      const kids = () => readdirSync('/proc').filter((p) => /^\\d+$/.test(p)).filter((p) => {
        try { const s = readFileSync('/proc/' + p + '/stat', 'utf8'); return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]) === process.pid; } catch { return false; }
      });
      let inside;
      {
        await using pool = new Pool({ size: 2, startMethod: 'spawn' });
        inside = await pool.map({ module: ${JSON.stringify(MODULE)} }, [1, 2, 3]);
      }
      console.log(JSON.stringify({ inside, left: kids().length }));
    `);
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { inside: [2, 4, 6], left: 0 });
  },
);

test('fork: an inline function made per task warns once (FORKEXEC_POOL_FRESH_FUNCTION); a hoisted one does not', () => {
  const { result } = runForkScenario(`
    import { Pool } from 'forkexec';
    import { writeSync } from 'node:fs';
    const warnings = [];
    process.on('warning', (w) => warnings.push(w.code));
    const pool = new Pool({ size: 2, startMethod: 'fork' });
    const hoisted = (x) => x + 1;
    await Promise.all(Array.from({ length: 20 }, (_, i) => pool.run(hoisted, [i])));
    const before = warnings.length;
    const inline = [];
    for (let i = 0; i < 6; i++) inline.push(await pool.run((x) => x * 3, [i]));
    await new Promise((r) => setImmediate(r));
    await pool.close();
    writeSync(1, 'RESULT ' + JSON.stringify({ before, warnings, inline }) + '\\n');
  `);
  assert.equal(result.before, 0);
  assert.deepEqual(result.warnings, ['FORKEXEC_POOL_FRESH_FUNCTION']);
  assert.deepEqual(result.inline, [0, 3, 6, 9, 12, 15]);
});

test('fork: map, imap and run with closures', () => {
  const { result } = runForkScenario(`
    import { Pool } from 'forkexec';
    import { writeSync } from 'node:fs';
    const factor = 5;
    const times = (x) => x * factor;
    const pool = new Pool({ size: 2, startMethod: 'fork' });
    const mapped = await pool.map(times, Array.from({ length: 100 }, (_, i) => i), { chunksize: 7 });
    const lazy = [];
    for await (const v of pool.imap(times, [1, 2, 3].values())) lazy.push(v);
    const later = (x) => -x;
    const newer = await pool.map(later, [1, 2, 3]);
    await pool.close();
    writeSync(1, 'RESULT ' + JSON.stringify({ sum: mapped.reduce((a, b) => a + b), first: mapped.slice(0, 3), lazy, newer }) + '\\n');
  `);
  assert.deepEqual(result, {
    sum: 24750,
    first: [0, 5, 10],
    lazy: [5, 10, 15],
    newer: [-1, -2, -3],
  });
});
