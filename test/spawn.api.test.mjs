// The awaitable API: results, SubprocessError, timeout, AbortSignal,
// killSignal, maxBuffer, input, encoding, reject: false; and spawnSync.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn as nodeSpawn } from 'node:child_process';
import { spawn, spawnSync, SubprocessError } from 'forkexec';

test('resolves on exit 0 with the result', async () => {
  const result = await spawn('sh', ['-c', 'echo out; echo err >&2']);
  assert.equal(result.exitCode, 0);
  assert.equal(result.signal, null);
  assert.equal(result.stdout, 'out\n');
  assert.equal(result.stderr, 'err\n');
  assert.ok(result.durationMs >= 0);
  assert.ok(Number.isInteger(result.pid));
  assert.equal(result.command, 'sh -c echo out; echo err >&2');
});

test('rejects with SubprocessError on a non-zero exit or a signal; reject: false resolves', async () => {
  const e = await spawn('sh', ['-c', 'echo partial; exit 3']).catch((error) => error);
  assert.ok(e instanceof SubprocessError);
  assert.equal(e.exitCode, 3);
  assert.equal(e.signal, null);
  assert.equal(e.stdout, 'partial\n');
  assert.equal(e.command, 'sh -c echo partial; exit 3');
  assert.match(e.message, /exit code 3/);

  const killed = await spawn('sh', ['-c', 'kill -9 $$']).catch((error) => error);
  assert.equal(killed.signal, 'SIGKILL');
  assert.equal(killed.exitCode, null);

  const result = await spawn('sh', ['-c', 'exit 4'], { reject: false });
  assert.equal(result.exitCode, 4);
});

test('timeout kills with killSignal and rejects with timedOut', async () => {
  const e = await spawn('sleep', ['30'], { timeout: 50, killSignal: 'SIGKILL' }).catch((x) => x);
  assert.ok(e instanceof SubprocessError);
  assert.equal(e.timedOut, true);
  assert.equal(e.code, 'ETIMEDOUT');
  assert.equal(e.signal, 'SIGKILL');
  const r = await spawn('sleep', ['30'], { timeout: 50, reject: false });
  assert.equal(r.timedOut, true);
  assert.equal(r.signal, 'SIGTERM');
});

test('an AbortSignal kills the child; an aborted signal never starts it', async () => {
  const controller = new AbortController();
  const child = spawn('sleep', ['30'], { signal: controller.signal });
  controller.abort();
  const e = await child.catch((x) => x);
  assert.equal(e.isCanceled, true);
  assert.equal(e.code, 'ABORT_ERR');
  assert.equal(e.signal, 'SIGTERM');

  const never = spawn('sleep', ['30'], { signal: AbortSignal.abort() });
  assert.equal(never.pid, undefined);
  await assert.rejects(never, { code: 'ABORT_ERR', name: 'SubprocessError', isCanceled: true });
});

test('maxBuffer truncates, kills and rejects', async () => {
  const e = await spawn('sh', ['-c', 'head -c 100000 /dev/zero; exec sleep 30'], {
    maxBuffer: 1000,
    encoding: 'buffer',
  }).catch((x) => x);
  assert.equal(e.maxBufferExceeded, true);
  assert.equal(e.code, 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER');
  assert.equal(e.stdout.length, 1000);
  assert.equal(e.signal, 'SIGTERM');
});

test('input is written to stdin; large output is all collected', async () => {
  const big = 'x'.repeat(1_000_000);
  const r = await spawn('cat', [], { input: big });
  assert.equal(r.stdout.length, big.length);
  const b = await spawn('cat', [], { input: Buffer.from([0xff, 0x00, 0x01]), encoding: 'buffer' });
  assert.deepEqual(b.stdout, Buffer.from([0xff, 0x00, 0x01]));
  const hex = await spawn('printf', ['AB'], { encoding: 'hex' });
  assert.equal(hex.stdout, '4142');
});

test('stdout is a Node Readable, stdin a Writable', async () => {
  const child = spawn('tr', ['a-z', 'A-Z']);
  const chunks = [];
  child.stdout.on('data', (c) => chunks.push(c));
  child.stdin.write('hello ');
  child.stdin.end('world');
  const result = await child;
  assert.equal(Buffer.concat(chunks).toString(), 'HELLO WORLD');
  assert.equal(result.stdout, 'HELLO WORLD');
});

test('args may be left out: spawn(file, options)', async () => {
  const r = await spawn('pwd', { cwd: '/' });
  assert.equal(r.stdout, '/\n');
  assert.equal(spawnSync('pwd', { cwd: '/' }).stdout, '/\n');
});

test('argv0 and env reach the child; PATH lookup uses env.PATH', async () => {
  const r = await spawn('sh', ['-c', 'echo "$0 $FOO"'], {
    argv0: 'renamed',
    env: { FOO: 'bar', PATH: '/usr/bin:/bin' },
  });
  assert.equal(r.stdout, 'renamed bar\n');
  const empty = await spawn('/usr/bin/env', [], { env: {} });
  assert.equal(empty.stdout, '');
});

test('changes to process.env reach children that use the default env', async (t) => {
  process.env.FORKEXEC_TEST_VAR = 'from-js';
  t.after(() => delete process.env.FORKEXEC_TEST_VAR);
  const r = await spawn('sh', ['-c', 'echo "$FORKEXEC_TEST_VAR"']);
  assert.equal(r.stdout, 'from-js\n');
  delete process.env.FORKEXEC_TEST_VAR;
  const gone = spawnSync('sh', ['-c', 'echo "${FORKEXEC_TEST_VAR-unset}"']);
  assert.equal(gone.stdout, 'unset\n');
});

test('spawnSync: same options, result or SubprocessError', () => {
  const r = spawnSync('sh', ['-c', 'echo out; echo err >&2; exit 0']);
  assert.equal(r.stdout, 'out\n');
  assert.equal(r.stderr, 'err\n');
  assert.equal(r.exitCode, 0);
  assert.throws(
    () => spawnSync('sh', ['-c', 'exit 5']),
    (e) => e instanceof SubprocessError && e.exitCode === 5,
  );
  assert.equal(spawnSync('sh', ['-c', 'exit 5'], { reject: false }).exitCode, 5);
  assert.equal(spawnSync('cat', [], { input: 'piped' }).stdout, 'piped');
  for (const method of ['posix_spawn', 'vfork', 'fork']) {
    assert.equal(spawnSync('true', [], { method }).method, method);
  }
  const t = spawnSync('sleep', ['30'], { timeout: 50, reject: false });
  assert.equal(t.timedOut, true);
  assert.equal(t.signal, 'SIGTERM');
  const m = spawnSync('head', ['-c', '100000', '/dev/zero'], { maxBuffer: 10, reject: false });
  assert.equal(m.maxBufferExceeded, true);
  assert.equal(m.stdout.length, 10);
});

test('spawnSync never blocks on a child that fills its pipes', () => {
  // 4 MB on stdout and on stderr, far beyond a pipe's 64 KiB, and 4 MB of input.
  const r = spawnSync(
    'sh',
    ['-c', 'cat; head -c 4000000 /dev/zero; head -c 4000000 /dev/zero >&2'],
    {
      input: Buffer.alloc(4_000_000, 1),
      encoding: 'buffer',
    },
  );
  assert.equal(r.stdout.length, 8_000_000);
  assert.equal(r.stderr.length, 4_000_000);
});

test('spawnSync does not steal exits from child_process (no waitpid(-1))', async () => {
  const exits = [];
  const theirs = [];
  for (let i = 0; i < 10; i++) {
    theirs.push(
      new Promise((resolve) => {
        nodeSpawn('sh', ['-c', `exit ${i + 1}`]).on('exit', (code) => {
          exits.push(code);
          resolve();
        });
      }),
    );
  }
  // While they exit, the loop is blocked in spawnSync calls.
  for (let i = 0; i < 10; i++) spawnSync('sh', ['-c', 'sleep 0.01']);
  await Promise.all(theirs);
  assert.deepEqual(
    exits.sort((a, b) => a - b),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  );
});
