// fork() depends on how Node works inside (lib/fork/nodeInternals.ts). Each
// piece it looks up is hidden here in turn, in a real node started with a
// preload that removes it: fork() must then throw ERR_FORK_UNSUPPORTED_NODE
// naming the piece, before anything is forked, and the rest of the package
// must go on working in that same process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { children, root, runNode, safeFlags, tempDir } from './helpers.mjs';

const major = Number(process.versions.node.split('.')[0]);

/** Runs a --single-threaded node that first requires `preload`, then tries fork() and spawn. */
function withHidden(preload) {
  const { dir, cleanup } = tempDir('forkexec-hide-');
  try {
    const file = join(dir, 'hide.cjs');
    writeFileSync(file, preload);
    const run = runNode(
      `
      import { fork, spawn } from 'forkexec';
      import { writeSync } from 'node:fs';
      let error = null;
      try { await fork(() => 1); } catch (e) { error = { code: e.code, message: e.message }; }
      const spawned = await spawn('/bin/echo', ['still works']);
      writeSync(2, 'RESULT ' + JSON.stringify({ error, spawned: spawned.stdout }) + '\\n');
      `,
      { execArgv: [...safeFlags, '--require', file], timeout: 30_000 },
    );
    const line = run.stderr.split('\n').find((l) => l.startsWith('RESULT '));
    assert.ok(line, `no RESULT line (status ${run.status})\n${run.stderr}`);
    return JSON.parse(line.slice('RESULT '.length));
  } finally {
    cleanup();
  }
}

function assertRefused(result, piece) {
  assert.equal(result.error?.code, 'ERR_FORK_UNSUPPORTED_NODE', JSON.stringify(result));
  assert.ok(result.error.message.includes(piece), result.error.message);
  assert.ok(result.error.message.includes(process.version), result.error.message);
  assert.equal(result.spawned, 'still works\n');
}

test('nothing hidden: fork() works in the same harness (the refusals below are not the harness)', () => {
  const result = withHidden('// nothing hidden');
  assert.equal(result.error, null);
  assert.equal(result.spawned, 'still works\n');
});

test('hidden: the inspector (Runtime.terminateExecution) -> ERR_FORK_UNSUPPORTED_NODE', () => {
  assertRefused(withHidden("require('node:inspector').Session = undefined;"), 'node:inspector');
});

test('hidden: process._getActiveHandles -> ERR_FORK_UNSUPPORTED_NODE', () => {
  assertRefused(withHidden('delete process._getActiveHandles;'), 'process._getActiveHandles()');
});

test('hidden: process.reallyExit -> ERR_FORK_UNSUPPORTED_NODE', () => {
  assertRefused(withHidden('delete process.reallyExit;'), 'process.reallyExit()');
});

test('hidden: the callback slot of timers -> ERR_FORK_UNSUPPORTED_NODE', () => {
  const preload = `
    const original = globalThis.setTimeout;
    globalThis.setTimeout = function (...args) {
      const timer = original.apply(this, args);
      return new Proxy(timer, {
        get: (target, key) => (key === '_onTimeout' ? undefined : Reflect.get(target, key)),
      });
    };`;
  assertRefused(withHidden(preload), '_onTimeout');
});

test('hidden: the write queue of stdio streams -> ERR_FORK_UNSUPPORTED_NODE', () => {
  const preload = `
    Object.defineProperty(process.stdout._writableState, 'buffered', { get: () => undefined });`;
  assertRefused(withHidden(preload), '_writableState.buffered');
});

test('an uncaught-exception capture callback: the internal way on Node <= 22, a clear refusal after', () => {
  const result = withHidden('process.setUncaughtExceptionCaptureCallback(() => {});');
  if (major <= 22) {
    // process.binding('async_wrap') still exists there: fork() works.
    assert.equal(result.error, null, JSON.stringify(result));
    assert.equal(result.spawned, 'still works\n');
  } else {
    assertRefused(result, 'uncaught-exception capture callback');
  }
});

test('a Node line fork() was not tested on: refused at the call unless the override is set', () => {
  const preload = "Object.defineProperty(process.versions, 'node', { value: '99.0.0' });";
  const result = withHidden(preload);
  assert.equal(result.error?.code, 'ERR_FORK_UNSUPPORTED_NODE');
  assert.match(result.error.message, /FORKEXEC_FORK_UNTESTED_NODE=1/);
  assert.equal(result.spawned, 'still works\n');
});

test('the addon is Node-API only: it imports no V8 C++ symbol', () => {
  const addon = join(root, 'build', 'Release', 'forkexec.node');
  const undefinedSymbols = execFileSync('nm', ['-D', '--undefined-only', addon], {
    encoding: 'utf8',
  });
  const v8 = undefinedSymbols.split('\n').filter((line) => /_ZN\w*2v8|_ZNK\w*2v8/.test(line));
  assert.deepEqual(v8, [], 'V8 C++ symbols would tie the binary to one Node ABI');
  assert.match(undefinedSymbols, /napi_fatal_exception/, 'the check reads real symbols');
});

test('a child whose loop drains after V8 scavenges exits (no wait for platform workers)', () => {
  const run = runNode(
    `
    import { fork, posix } from 'forkexec';
    import { writeSync } from 'node:fs';
    const codes = [];
    for (let i = 0; i < 5; i++) {
      const pid = fork();
      if (pid === 0) {
        let keep = [];
        for (let j = 0; j < 60; j++) {
          keep.push(Array.from({ length: 20000 }, (_, k) => ({ k })));
          if (keep.length > 10) keep.shift();
        }
        process.exitCode = 3;
        break;
      }
      codes.push(posix.waitpid(pid).exitCode);
    }
    if (codes.length === 5) writeSync(1, 'RESULT ' + JSON.stringify(codes) + '\\n');
    `,
    { execArgv: safeFlags, timeout: 60_000 },
  );
  assert.notEqual(run.signal, 'SIGTERM', `hung\n${run.stderr}`);
  const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  assert.deepEqual(JSON.parse(line.slice(7)), [3, 3, 3, 3, 3]);
  assert.deepEqual(children(), []);
});

test(
  "V8 honours the safe mode: Node's platform worker threads never wake while the heap churns",
  { skip: major < 22 ? 'Node 20 does not name its threads (the fork soak covers it)' : false },
  () => {
    const run = runNode(
      `
      import { readdirSync, readFileSync, writeSync } from 'node:fs';
      import { posix } from 'forkexec';
      const self = String(posix.getpid());
      const workers = () => {
        const out = {};
        for (const tid of readdirSync('/proc/self/task')) {
          const name = readFileSync('/proc/self/task/' + tid + '/comm', 'utf8').trim();
          if (tid === self || (!/V8Worker/.test(name) && ${major} >= 24)) continue;
          const status = readFileSync('/proc/self/task/' + tid + '/status', 'utf8');
          out[tid] = name + ' ' + /\\nvoluntary_ctxt_switches:\\s+(\\d+)/.exec(status)[1];
        }
        return out;
      };
      const before = workers();
      let keep = [];
      for (let i = 0; i < 300; i++) {
        keep.push(Array.from({ length: 20000 }, (_, j) => ({ j })));
        if (keep.length > 10) keep.shift();
      }
      const after = workers();
      const woken = Object.keys(before).filter((tid) => after[tid] !== before[tid]);
      writeSync(1, 'RESULT ' + JSON.stringify({ threads: Object.keys(before).length, woken: woken.map((t) => before[t]) }) + '\\n');
      `,
      { execArgv: safeFlags, timeout: 60_000 },
    );
    const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    assert.ok(line, run.stderr);
    const result = JSON.parse(line.slice(7));
    assert.ok(result.threads > 0, 'the check saw the threads it watches');
    assert.deepEqual(result.woken, [], `with ${safeFlags.join(' ')}`);
  },
);
