// What comes back from a child (lib/channel/resultCodec.ts) over the one
// framed channel (lib/channel/framedChannel.ts): the same for fork(fn),
// Process and Pool, whatever the start method; and bytes on a channel that
// are not frames end it with a clear error, never a crash or a hang.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn as cpSpawn } from 'node:child_process';
import { join } from 'node:path';
import { Pool, Process, posix } from 'forkexec';
import { runForkScenario } from './fork-helpers.mjs';
import { children, root } from './helpers.mjs';

const MODULE = join(root, 'test', 'fixtures', 'targets.mjs');
const target = (name) => ({ module: MODULE, export: name });

/** Rejects (after killing what `kill` names) when `promise` has not settled in `ms`. */
function bounded(promise, what, kill = () => undefined, ms = 60_000) {
  let timer;
  const watchdog = new Promise((_, reject) => {
    timer = setTimeout(() => {
      kill();
      reject(new Error(`${what} hung: its watchdog ended it`));
    }, ms);
  });
  return Promise.race([promise, watchdog]).finally(() => clearTimeout(timer));
}

test('fork(fn), Process and Pool reject with the same Error for the same thrown error', () => {
  const { result } = runForkScenario(`
    import { fork, Process, Pool } from 'forkexec';
    import { writeSync } from 'node:fs';
    import * as targets from ${JSON.stringify(MODULE)};
    const report = (value) => writeSync(1, 'RESULT ' + JSON.stringify(value) + '\\n');
    const target = { module: ${JSON.stringify(MODULE)}, export: 'fail' };
    const shape = (e, pid) => ({
      isError: e instanceof Error,
      constructor: e.constructor.name,
      name: e.name,
      message: e.message,
      code: e.code,
      keys: Object.keys(e).sort(),
      childPidIsTheChild: pid === undefined ? e.childPid > 0 && e.childPid !== process.pid : e.childPid === pid,
      stackHead: e.stack.split('\\n')[0],
      stackFromChild: /at (Module\\.)?fail .*targets\\.mjs/.test(e.stack),
    });
    const shapes = {};
    const child = fork(() => targets.fail('same-marker'));
    shapes.forkFn = await child.then(() => 'resolved', (e) => shape(e, child.pid));
    for (const startMethod of ['fork', 'forkserver', 'spawn']) {
      const p = new Process({ target, args: ['same-marker'], startMethod });
      shapes[startMethod] = await p.run().then(() => 'resolved', (e) => shape(e, p.pid));
    }
    const pool = new Pool({ size: 1, startMethod: 'forkserver' });
    shapes.pool = await pool.run(target, ['same-marker']).then(() => 'resolved', (e) => shape(e));
    await pool.close();
    const plain = fork(() => { throw 'plain-marker'; });
    const plainFork = await plain.then(() => 'resolved', (e) => [e.message, e.childPid === plain.pid]);
    const plainProcess = await new Process({ target: () => { throw 'plain-marker'; }, startMethod: 'fork' })
      .run().then(() => 'resolved', (e) => [e.message, e.childPid > 0]);
    report({ shapes, plainFork, plainProcess });
  `);
  const { forkFn, ...others } = result.shapes;
  assert.deepEqual(forkFn, {
    isError: true,
    constructor: 'RangeError',
    name: 'RangeError',
    message: 'same-marker',
    code: 'E_TARGET',
    keys: ['childPid', 'code'],
    childPidIsTheChild: true,
    stackHead: 'RangeError: same-marker',
    stackFromChild: true,
  });
  for (const [how, shape] of Object.entries(others)) assert.deepEqual(shape, forkFn, how);
  assert.deepEqual(result.plainFork, result.plainProcess);
  assert.match(result.plainFork[0], /non-Error value: plain-marker/);
});

test('a Process child that writes foreign bytes on its channel rejects with ERR_FORKEXEC_CHANNEL_GARBAGE and is ended', async () => {
  const p = new Process({ target: target('garbage'), startMethod: 'spawn' }).start();
  const error = await bounded(
    p.join().then(
      () => null,
      (e) => e,
    ),
    'Process.join() after garbage',
    () => p.kill('SIGKILL'),
  );
  assert.equal(error?.code, 'ERR_FORKEXEC_CHANNEL_GARBAGE', String(error?.stack));
  assert.match(error.message, /not a forkexec message/);
  assert.match(error.message, /this is not a forkexec frame/, 'it shows the bytes');
  assert.equal(p.signalCode, 'SIGKILL');
  assert.deepEqual(
    children().filter((c) => c.pid === p.pid),
    [],
  );
});

test('a Pool worker that writes foreign bytes fails its task clearly and is replaced', async () => {
  const pool = new Pool({ size: 1, startMethod: 'spawn' });
  try {
    const error = await bounded(
      pool.run(target('garbage')).then(
        () => null,
        (e) => e,
      ),
      'Pool.run() after garbage',
      () => void pool.terminate(),
    );
    assert.equal(error?.code, 'ERR_FORKEXEC_CHANNEL_GARBAGE', String(error?.stack));
    assert.equal(await bounded(pool.run(target('add'), [2, 3]), 'the next task'), 5);
  } finally {
    await pool.close();
  }
});

// fork(fn)'s parent reads its result with readResult (the same channel);
// fn cannot name its result fd, so a real writer process is given the pipe.
async function readFromWriter(script) {
  const { readResult } = await import(join(root, 'dist', 'fork', 'resultChannel.js'));
  const [readFd, writeFd] = posix.pipe();
  const writer = cpSpawn(process.execPath, ['-e', script], {
    stdio: ['ignore', 'ignore', 'inherit', writeFd],
  });
  posix.close(writeFd);
  const { result } = readResult(readFd);
  const [read, [code]] = await bounded(
    Promise.all([result, new Promise((resolve) => writer.once('exit', (...a) => resolve(a)))]),
    'readResult',
    () => writer.kill('SIGKILL'),
  );
  assert.equal(code, 0, 'the writer ran');
  return read;
}

test('the fork(fn) result pipe: foreign bytes, a frame cut short, a large frame', async () => {
  const garbage = await readFromWriter(`require('fs').writeSync(3, 'Error: oops\\n')`);
  assert.ok(garbage instanceof Error);
  assert.equal(garbage.code, 'ERR_FORKEXEC_CHANNEL_GARBAGE');
  assert.match(garbage.message, /Error: oops/);

  const badPayload = await readFromWriter(
    `require('fs').writeSync(3, Buffer.concat([Buffer.from('FXC1'), Buffer.from([4, 0, 0, 0]), Buffer.from('junk')]))`,
  );
  assert.equal(badPayload?.code, 'ERR_FORKEXEC_CHANNEL_GARBAGE', 'a frame v8 cannot read');
  assert.match(badPayload.message, /v8\.deserialize/);

  const { encodeFrame } = await import(join(root, 'dist', 'channel', 'framedChannel.js'));
  const frame = encodeFrame({ ok: true, value: 'x'.repeat(100) });
  const cut = await readFromWriter(
    `require('fs').writeSync(3, Buffer.from(${JSON.stringify(frame.subarray(0, 40).toString('base64'))}, 'base64'))`,
  );
  assert.equal(cut, null, 'a writer that died mid-frame sent no result');

  const large = await readFromWriter(`
    const { encodeFrame, writeFrameSync } = require(${JSON.stringify(join(root, 'dist', 'channel', 'framedChannel.js'))});
    const value = Buffer.alloc(24 * 1024 * 1024, 7);
    value[value.length - 1] = 9;
    writeFrameSync(3, encodeFrame({ ok: true, value }));
  `);
  assert.equal(large.ok, true);
  assert.equal(large.value.length, 24 * 1024 * 1024);
  assert.equal(large.value[0], 7);
  assert.equal(large.value[large.value.length - 1], 9);
});

test('a large value crosses whole: fork(fn) and a spawn Process', async () => {
  const big = Buffer.alloc(16 * 1024 * 1024, 3);
  const back = await new Process({
    target: target('roundTrip'),
    args: [big],
    startMethod: 'spawn',
  }).run();
  assert.ok(Buffer.from(back).equals(big));
  const { result } = runForkScenario(`
    import { fork } from 'forkexec';
    import { writeSync } from 'node:fs';
    const { value } = await fork(() => Buffer.alloc(16 * 1024 * 1024, 5));
    writeSync(1, 'RESULT ' + JSON.stringify({ length: value.length, every: value.every((b) => b === 5) }) + '\\n');
  `);
  assert.deepEqual(result, { length: 16 * 1024 * 1024, every: true });
});
