// Start-up of module targets (issue #15): where a module target is loaded,
// and what a module that throws at import gives under each start method.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Process, forkserver } from 'forkexec';
import { runForkScenario } from './fork-helpers.mjs';
import { root, tempDir } from './helpers.mjs';

const THROWS = join(root, 'test', 'fixtures', 'throws-at-import.cjs');
const COUNTER = join(root, 'test', 'fixtures', 'load-counter.cjs');
const TARGETS = join(root, 'test', 'fixtures', 'targets.mjs');

test.afterEach(() => forkserver.stop());

test('fork start method: a module that throws at import throws in the parent, before any fork', () => {
  const { result } = runForkScenario(`
    import { Process, atFork } from 'forkexec';
    import { writeSync } from 'node:fs';
    const report = (value) => writeSync(1, 'RESULT ' + JSON.stringify(value) + '\\n');
    let forks = 0;
    atFork({ before: () => { forks++; } });
    const p = new Process({ target: { module: ${JSON.stringify(THROWS)}, export: 'never' }, startMethod: 'fork' });
    let error;
    try { await p.run(); } catch (e) { error = e; }
    report({ forks, pid: p.pid ?? null, name: error?.name, message: error?.message, stack: /throwsWhileLoading/.test(error?.stack) });
  `);
  assert.deepEqual(result, {
    forks: 0,
    pid: null,
    name: 'RangeError',
    message: 'thrown at import by throws-at-import.cjs',
    stack: true,
  });
});

test('fork start method: a module target is loaded once, in the parent; every child has it loaded', () => {
  const { result } = runForkScenario(`
    import { Process } from 'forkexec';
    import { writeSync } from 'node:fs';
    const report = (value) => writeSync(1, 'RESULT ' + JSON.stringify(value) + '\\n');
    const target = { module: ${JSON.stringify(COUNTER)}, export: 'loads' };
    const first = await new Process({ target, startMethod: 'fork' }).run();
    const second = await new Process({ target, startMethod: 'fork' }).run();
    report({ first, second, parent: globalThis.forkexecLoadCounter });
  `);
  assert.deepEqual(result, { first: 1, second: 1, parent: 1 });
});

test('fork start method: an ES module target is loaded in the parent too; one that throws does so before any fork', () => {
  const { result } = runForkScenario(`
    import { Process, atFork } from 'forkexec';
    import { writeSync } from 'node:fs';
    const report = (value) => writeSync(1, 'RESULT ' + JSON.stringify(value) + '\\n');
    let forks = 0;
    atFork({ before: () => { forks++; } });
    const counter = { module: ${JSON.stringify(join(root, 'test', 'fixtures', 'load-counter.mjs'))}, export: 'loads' };
    const first = await new Process({ target: counter, startMethod: 'fork' }).run();
    const second = await new Process({ target: counter, startMethod: 'fork' }).run();
    const parent = globalThis.forkexecEsmLoadCounter;
    const forksBefore = forks;
    const p = new Process({ target: { module: ${JSON.stringify(join(root, 'test', 'fixtures', 'throws-at-import.mjs'))}, export: 'never' }, startMethod: 'fork' });
    let error;
    try { await p.run(); } catch (e) { error = e; }
    const forksForThrow = forks - forksBefore;
    // Top-level await: require() cannot load it, so each child imports it.
    const tla = await new Process({ target: { module: ${JSON.stringify(join(root, 'test', 'fixtures', 'top-level-await.mjs'))}, export: 'value' }, startMethod: 'fork' }).run();
    report({ first, second, parent, forksForThrow, name: error?.name, stack: /throwsWhileLoading/.test(error?.stack), tla, tlaInParent: globalThis.forkexecTlaLoads ?? null });
  `);
  assert.deepEqual(result, {
    first: 1,
    second: 1,
    parent: 1,
    forksForThrow: 0,
    name: 'RangeError',
    stack: true,
    tla: [42, 1],
    tlaInParent: null,
  });
});

for (const startMethod of ['forkserver', 'spawn']) {
  test(`${startMethod}: a module that throws at import rejects with the child's error and stack`, async () => {
    const p = new Process({ target: { module: THROWS, export: 'never' }, startMethod });
    await assert.rejects(p.run(), (error) => {
      assert.equal(error.name, 'RangeError');
      assert.equal(error.message, 'thrown at import by throws-at-import.cjs');
      assert.match(error.stack, /throwsWhileLoading/);
      assert.match(error.stack, /throws-at-import\.cjs/);
      return true;
    });
    assert.ok(p.pid > 0, 'a child was started and imported the module');
    assert.notEqual(p.pid, process.pid);
  });

  test(`${startMethod}: a CommonJS target is evaluated afresh in each child`, async () => {
    const target = { module: COUNTER, export: 'loads' };
    assert.equal(await new Process({ target, startMethod }).run(), 1);
    assert.equal(await new Process({ target, startMethod }).run(), 1);
    assert.equal(globalThis.forkexecLoadCounter, undefined, 'the parent never loaded it');
  });
}

test('a first task and an answer larger than the socket buffer cross whole under every start method', () => {
  // The task is written at start(): what does not fit in the socket buffer
  // must follow, while the forkserver's child reads it with blocking reads.
  const { result } = runForkScenario(
    `
    import { Process, forkserver } from 'forkexec';
    import { randomBytes } from 'node:crypto';
    import { writeSync } from 'node:fs';
    const report = (value) => writeSync(1, 'RESULT ' + JSON.stringify(value) + '\\n');
    const task = randomBytes(8 << 20);
    const whole = {};
    for (const startMethod of ['fork', 'forkserver', 'spawn']) {
      const p = new Process({ target: { module: ${JSON.stringify(TARGETS)}, export: 'roundTrip' }, args: [task], startMethod });
      const answer = await p.run();
      whole[startMethod] = Buffer.isBuffer(answer) && answer.equals(task);
    }
    await forkserver.stop();
    report(whole);
  `,
    { timeout: 150_000 },
  );
  assert.deepEqual(result, { fork: true, forkserver: true, spawn: true });
});

test('start() writes the task at once: the child runs it while the caller is still busy in synchronous code', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const { result } = runForkScenario(
    `
    import { Process, forkserver } from 'forkexec';
    import { existsSync, writeSync } from 'node:fs';
    const report = (value) => writeSync(1, 'RESULT ' + JSON.stringify(value) + '\\n');
    const nap = new Int32Array(new SharedArrayBuffer(4));
    const ran = {};
    for (const startMethod of ['fork', 'forkserver', 'spawn']) {
      const marker = ${JSON.stringify(dir)} + '/' + startMethod;
      const p = new Process({ target: { module: ${JSON.stringify(TARGETS)}, export: 'touch' }, args: [marker], startMethod });
      p.start();
      // Busy without a turn of our event loop until the task has run (or 30 s went by).
      for (const deadline = Date.now() + 30_000; !existsSync(marker) && Date.now() < deadline; ) {
        Atomics.wait(nap, 0, 0, 5);
      }
      ran[startMethod] = existsSync(marker);
      ran[startMethod + 'Value'] = (await p.join()) === marker;
    }
    await forkserver.stop();
    report(ran);
  `,
    { timeout: 150_000 },
  );
  assert.deepEqual(result, {
    fork: true,
    forkValue: true,
    forkserver: true,
    forkserverValue: true,
    spawn: true,
    spawnValue: true,
  });
});
