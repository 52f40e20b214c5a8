// The spawn start method's entry point (issue #15): a Process's child reads
// its one task synchronously, loads nothing it does not use (no addon, no
// net, no v8 for a CommonJS target with primitive arguments and answer),
// and leaves once its answer is written; everything else behaves as before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool, Process } from 'forkexec';
import { FrameDecoder, encodeCompactTaskFrame } from '../dist/channel/framedChannel.js';
import { root, runNode, tempDir } from './helpers.mjs';

const ESM_TARGETS = join(root, 'test', 'fixtures', 'targets.mjs');

// CommonJS targets (the synchronous path), in a directory of their own.
const { dir, cleanup } = tempDir('forkexec-spawn-entry-');
test.after(cleanup);
const CJS = join(dir, 'entry-targets.cjs');
writeFileSync(
  CJS,
  `
const { readFileSync } = require('node:fs');
exports.loaded = () => JSON.stringify({
  addon: readFileSync('/proc/self/maps', 'utf8').split('\\n').some((l) => l.endsWith('forkexec.node')),
  net: process.moduleLoadList.includes('NativeModule net'),
  v8: process.moduleLoadList.includes('NativeModule v8'),
});
exports.builtins = () => process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).join(',');
exports.argv = () => JSON.stringify(process.argv.slice(2));
exports.bytes = (n) => Buffer.alloc(n, 7);
exports.length = (buffer) => buffer.length;
exports.waitForever = () => new Promise(() => setInterval(() => {}, 1000));
exports.leavesATimer = () => { setInterval(() => {}, 1000); return 'answered'; };
`,
);
const spawnRun = (name, args = []) =>
  new Process({ target: { module: CJS, export: name }, args, startMethod: 'spawn' }).run();

test('a one-task child of a CommonJS target loads neither the addon, net nor v8', async () => {
  assert.deepEqual(JSON.parse(await spawnRun('loaded')), { addon: false, net: false, v8: false });
});

test('beyond its own files, a one-task child loads no Node module a bare `node file.js` does not', async () => {
  const bare = join(dir, 'bare.cjs');
  writeFileSync(bare, `process.stdout.write(require(${JSON.stringify(CJS)}).builtins())`);
  const run = spawnSync(process.execPath, [...process.execArgv, bare], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const loadedByBare = new Set(run.stdout.split(','));
  const extra = (await spawnRun('builtins')).split(',').filter((m) => !loadedByBare.has(m));
  assert.deepEqual(extra, []);
});

test("the entry point's own argument is gone from process.argv before the target runs", async () => {
  assert.deepEqual(JSON.parse(await spawnRun('argv')), []);
  const pool = new Pool({ size: 1, startMethod: 'spawn' });
  try {
    assert.deepEqual(JSON.parse(await pool.run({ module: CJS, export: 'argv' })), []);
  } finally {
    await pool.close();
  }
});

test('a first task larger than the socket buffer and a large answer cross whole', async () => {
  const big = 4 << 20;
  assert.equal(await spawnRun('length', [Buffer.alloc(big, 1)]), big);
  assert.equal((await spawnRun('bytes', [big])).length, big);
  // An ES module target loads asynchronously: its answer goes through the event loop.
  const esm = (name, args) =>
    new Process({ target: { module: ESM_TARGETS, export: name }, args, startMethod: 'spawn' });
  assert.equal(await esm('byteLength', [Buffer.alloc(big, 1)]).run(), big);
  assert.equal((await esm('bytes', [big]).run()).length, big);
});

test('a one-task child leaves once it has answered, even with a timer left running', async () => {
  const p = new Process({ target: { module: CJS, export: 'leavesATimer' }, startMethod: 'spawn' });
  assert.equal(await p.run(), 'answered');
  assert.equal(p.exitCode, 0);
});

test('a one-task child whose parent dies while its task waits leaves too', () => {
  // (runNode returns once the child, which shares its stdout, has left too.)
  const run = runNode(`
    import { Process } from 'forkexec';
    const p = new Process({ target: { module: ${JSON.stringify(CJS)}, export: 'waitForever' }, startMethod: 'spawn' }).start();
    p.join().catch(() => {});
    setTimeout(() => { console.log(p.pid); process.exit(0); }, 1000);
  `);
  assert.equal(run.status, 0, run.stderr);
  const pid = Number(run.stdout.trim());
  assert.ok(pid > 0);
  // Orphaned, it is reaped by init once it leaves; 30 s is a watchdog, not a timing.
  const deadline = Date.now() + 30_000;
  const alive = () =>
    existsSync(`/proc/${pid}`) && !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (alive() && Date.now() < deadline) Atomics.wait(pause, 0, 0, 50);
  const stayed = alive();
  if (stayed) process.kill(pid, 'SIGKILL');
  assert.equal(stayed, false, `child ${pid} still ran after its parent died`);
});

test('a compact task can carry its module target; a truncated target is garbage', () => {
  const target = { kind: 'module', path: '/tmp/wörk.cjs', export: 'run' };
  const args = [1, 'two', null, undefined, true];
  const frame = encodeCompactTaskFrame(7, 0, args, false, target);
  assert.deepEqual(new FrameDecoder().push(frame), [
    { type: 'task', id: 7, slot: 0, args, each: false, target },
  ]);
  assert.equal(encodeCompactTaskFrame(7, 0, [1n], false, target), undefined);
  // The path's length runs past the frame.
  const truncated = Buffer.from(frame);
  truncated.writeUInt32LE(1000, 8 + 18);
  const decoder = new FrameDecoder();
  assert.deepEqual(decoder.push(truncated), []);
  assert.equal(decoder.failure?.code, 'ERR_FORKEXEC_CHANNEL_GARBAGE');
});
