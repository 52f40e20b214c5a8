// fork() for library authors (#17): fork(fn) is a real Promise; argument
// errors throw, everything operational (ERR_FORK_UNSAFE included) rejects;
// forkSafety() says whether fork() will run and why not; a Worker is refused
// from the tick it is made in, before its 'online'; the 'auto' start method
// forks when that is safe and spawns otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, forkSafety, Process } from 'forkexec';
import { runNode, safeFlags } from './helpers.mjs';

const TARGETS = new URL('./fixtures/targets.mjs', import.meta.url).href;

/** Runs `source` (an ES module) in a node with the safe-mode flags; returns its stdout lines as JSON values. */
function inSafeNode(source) {
  const r = runNode(source, { execArgv: safeFlags });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}

test('fork(fn) returns a real Promise with .catch and .finally, and the child controls', () => {
  const [out] = inSafeNode(`
    import { fork } from 'forkexec';
    const child = fork(() => 6 * 7);
    const finallyRan = [];
    const value = await child.finally(() => finallyRan.push(true));
    const failing = fork(() => { throw new RangeError('inside'); });
    const caught = await failing.catch((e) => e.message);
    console.log(JSON.stringify({
      isPromise: child instanceof Promise,
      pid: typeof child.pid,
      value: value.value,
      finallyRan: finallyRan.length,
      caught,
      exited: (await child.exited).exitCode,
      running: child.running,
      kill: child.kill(),
    }));
  `);
  assert.deepEqual(out, {
    isPromise: true,
    pid: 'number',
    value: 42,
    finallyRan: 1,
    caught: 'inside',
    exited: 0,
    running: false,
    kill: false,
  });
});

test('one rule: argument errors throw, a refused fork rejects (fork(fn)); fork() throws', async () => {
  // This test process runs without --single-threaded: fork is refused here.
  assert.throws(() => fork('not a function'), { code: 'ERR_INVALID_ARG_TYPE' });
  const refused = fork(() => 1);
  assert.ok(refused instanceof Promise);
  assert.equal(refused.pid, undefined);
  assert.equal(refused.running, false);
  assert.equal(refused.kill(), false);
  await assert.rejects(refused, { code: 'ERR_FORK_UNSAFE', reason: 'ERR_FORK_SAFE_MODE_MISSING' });
  await assert.rejects(refused.exited, { code: 'ERR_FORK_UNSAFE' });
  const viaCatch = await fork(() => 1).catch((e) => e.code);
  assert.equal(viaCatch, 'ERR_FORK_UNSAFE');
  assert.throws(() => fork(), { code: 'ERR_FORK_UNSAFE' });
});

test('forkSafety() says whether fork() will run, and why not', () => {
  const here = forkSafety();
  assert.equal(here.safe, false);
  assert.deepEqual(
    here.reasons.map((r) => r.code),
    ['ERR_FORK_SAFE_MODE_MISSING'],
  );
  assert.match(here.reasons[0].message, /--single-threaded/);
  const [safe, inWorker] = inSafeNode(`
    import { forkSafety } from 'forkexec';
    import { Worker } from 'node:worker_threads';
    console.log(JSON.stringify(forkSafety()));
    // The eval'd Worker is an ES module here (node runs with --input-type=module).
    const worker = new Worker(
      "import { parentPort } from 'node:worker_threads'; import { forkSafety } from 'forkexec';" +
        'parentPort.postMessage(forkSafety().reasons.map((r) => r.code));',
      { eval: true },
    );
    const [codes] = await Promise.all([new Promise((resolve) => worker.once('message', resolve))]);
    await worker.terminate();
    console.log(JSON.stringify(codes));
  `);
  assert.deepEqual(safe, { safe: true, reasons: [] });
  assert.ok(inWorker.includes('ERR_FORK_IN_WORKER'), JSON.stringify(inWorker));
});

test("a Worker is refused from the tick it is made in, before 'online'", () => {
  const lines = inSafeNode(`
    import { fork, forkSafety } from 'forkexec';
    import { Worker } from 'node:worker_threads';
    let online = false;
    const worker = new Worker('setTimeout(() => {}, 60000)', { eval: true });
    worker.on('online', () => { online = true; });
    // Same tick as new Worker(): its thread exists, 'online' has not come.
    const safety = forkSafety();
    const refused = await fork(() => 1).then(() => 'forked', (e) => e.code + ' ' + e.reason);
    console.log(JSON.stringify({ online, safe: safety.safe, codes: safety.reasons.map((r) => r.code), refused }));
    await worker.terminate();
    console.log(JSON.stringify({ after: forkSafety().safe, value: (await fork(() => 5)).value }));
  `);
  assert.deepEqual(lines[0], {
    online: false,
    safe: false,
    codes: ['ERR_FORK_WORKERS_RUNNING'],
    refused: 'ERR_FORK_UNSAFE ERR_FORK_WORKERS_RUNNING',
  });
  assert.deepEqual(lines[1], { after: true, value: 5 });
});

test("startMethod 'auto': fork where it is safe, spawn otherwise (module targets run either way)", async () => {
  const target = { module: TARGETS, export: 'add' };
  const here = new Process({ target, args: [1, 2], startMethod: 'auto' });
  assert.equal(here.startMethod, 'spawn');
  assert.equal(await here.run(), 3);
  const [safe, withWorker] = inSafeNode(`
    import { Process } from 'forkexec';
    import { Worker } from 'node:worker_threads';
    const target = { module: ${JSON.stringify(TARGETS)}, export: 'add' };
    const p = new Process({ target, args: [2, 2], startMethod: 'auto' });
    console.log(JSON.stringify([p.startMethod, await p.run()]));
    const worker = new Worker('setTimeout(() => {}, 60000)', { eval: true });
    const q = new Process({ target, args: [3, 3], startMethod: 'auto' });
    console.log(JSON.stringify([q.startMethod, await q.run()]));
    await worker.terminate();
  `);
  assert.deepEqual(safe, ['fork', 4]);
  assert.deepEqual(withWorker, ['spawn', 6]);
  assert.throws(() => new Process({ target, startMethod: 'automatic' }), {
    code: 'ERR_INVALID_ARG_VALUE',
  });
});
