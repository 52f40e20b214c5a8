// One error class for everything a subprocess can end in (#17): a missing
// program, a failing start step, an abort before the start, a non-zero exit,
// a signal, a timeout; the stderr tail in the message; env values converted
// to strings as child_process does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { spawn, spawnSync, SubprocessError } from 'forkexec';
import { tempDir } from './helpers.mjs';

test('a missing program rejects with SubprocessError carrying the system-error fields', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const missing = join(dir, 'missing');
    const child = spawn(missing, ['a', 'b']);
    const emitted = new Promise((resolve) => child.on('error', resolve));
    const e = await child.catch((x) => x);
    assert.ok(e instanceof SubprocessError, String(e));
    assert.equal(e.name, 'SubprocessError');
    assert.equal(e.code, 'ENOENT');
    assert.equal(e.errno, -2);
    assert.equal(e.syscall, 'execve');
    assert.equal(e.path, missing);
    assert.deepEqual(e.spawnargs, ['a', 'b']);
    assert.equal(e.exitCode, null);
    assert.equal(e.pid, undefined);
    assert.equal(e.cause.code, 'ENOENT');
    assert.match(e.message, /failed to start/);
    assert.ok(e.message.includes(`${missing} a b`), e.message);
    // The same error everywhere the failure is reported.
    assert.equal(await emitted, e);
    assert.equal(await child.exited.catch((x) => x), e);

    const bad = spawn('true', [], { cwd: missing }).catch((x) => x);
    assert.ok((await bad) instanceof SubprocessError);
    assert.equal((await bad).syscall, 'chdir');

    assert.throws(
      () => spawnSync(missing),
      (x) => x instanceof SubprocessError && x.code === 'ENOENT' && x.syscall === 'execve',
    );
  } finally {
    cleanup();
  }
});

test('exits, signals, timeouts and aborts are SubprocessError too; argument errors stay TypeErrors', async () => {
  const exit = await spawn('sh', ['-c', 'exit 4']).catch((x) => x);
  assert.ok(exit instanceof SubprocessError);
  assert.equal(exit.exitCode, 4);
  assert.equal(exit.errno, undefined);
  assert.equal('errno' in exit, false);
  const timeout = await spawn('sleep', ['30'], { timeout: 50 }).catch((x) => x);
  assert.ok(timeout instanceof SubprocessError);
  assert.equal(timeout.code, 'ETIMEDOUT');
  const aborted = await spawn('sleep', ['30'], { signal: AbortSignal.abort() }).catch((x) => x);
  assert.ok(aborted instanceof SubprocessError);
  assert.equal(aborted.code, 'ABORT_ERR');
  assert.equal(aborted.isCanceled, true);
  assert.throws(
    () => spawnSync('true', [], { signal: AbortSignal.abort() }),
    (x) => x instanceof SubprocessError && x.code === 'ABORT_ERR',
  );
  assert.throws(
    () => spawn(42),
    (x) => x instanceof TypeError && !(x instanceof SubprocessError),
  );
});

test("the message ends with the last lines of the command's stderr, bounded", async () => {
  const script =
    'i=1; while [ $i -le 20 ]; do echo "line $i" >&2; i=$((i+1)); done; ' +
    'head -c 5000 /dev/zero | tr "\\0" x >&2; echo >&2; echo "the reason" >&2; exit 3';
  for (const encoding of ['utf8', 'buffer']) {
    const e = await spawn('sh', ['-c', script], { encoding }).catch((x) => x);
    assert.ok(e instanceof SubprocessError);
    const lines = e.message.split('\n');
    assert.match(lines[0], /^Command failed with exit code 3: sh -c/);
    assert.equal(lines.at(-1), 'the reason');
    assert.ok(lines.includes('line 20'), e.message);
    assert.ok(lines.includes('line 18'), e.message);
    assert.ok(!lines.includes('line 16'), e.message);
    assert.ok(e.message.length < 2000, `bounded: ${e.message.length}`);
    assert.equal(e.stderr.length > 5000, true, 'the whole stderr stays on the error');
  }
  const sync = (() => {
    try {
      spawnSync('sh', ['-c', 'echo sync-reason >&2; exit 1']);
    } catch (x) {
      return x;
    }
  })();
  assert.match(sync.message, /exit code 1: .*\nsync-reason$/);
  const quiet = await spawn('sh', ['-c', 'exit 2']).catch((x) => x);
  assert.equal(quiet.message, 'Command failed with exit code 2: sh -c exit 2');
});

test('env values that are numbers, bigints or booleans become strings; objects are refused', async () => {
  const env = { PATH: process.env.PATH, PORT: 3000, DEBUG: true, BIG: 10n, GONE: undefined };
  const r = await spawn('sh', ['-c', 'echo "$PORT $DEBUG $BIG ${GONE-unset}"'], { env });
  assert.equal(r.stdout, '3000 true 10 unset\n');
  assert.equal(spawnSync('sh', ['-c', 'echo $PORT'], { env }).stdout, '3000\n');
  for (const bad of [{}, [], null, Symbol('s'), () => 1]) {
    assert.throws(() => spawn('true', [], { env: { X: bad } }), {
      code: 'ERR_INVALID_ARG_TYPE',
      message: /options\.env\.X/,
    });
  }
});
