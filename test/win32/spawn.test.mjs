// spawn() and spawnSync() on Windows: the same API through CreateProcess
// (child_process), the same result and errors, and the POSIX-only options
// refused by name. Runs under the real Windows build of Node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, spawnSync, SubprocessError } from 'forkexec';
import { tempDir, testIsWindowsNode, windowsOnly } from './helpers.mjs';

const node = process.execPath;
/** A node.exe child that runs `code`. */
const script = (code) => ['-e', code];

testIsWindowsNode();

test(
  'spawn collects stdout and stderr, resolves on exit 0, reports CreateProcess',
  { skip: windowsOnly },
  async () => {
    const child = spawn(node, script('console.log("out"); console.error("err")'));
    assert.equal(typeof child.pid, 'number');
    assert.equal(child.method, 'CreateProcess');
    const result = await child;
    assert.equal(result.exitCode, 0);
    assert.equal(result.signal, null);
    assert.equal(result.stdout.trim(), 'out');
    assert.equal(result.stderr.trim(), 'err');
    assert.equal(result.pid, child.pid);
    assert.equal(result.method, 'CreateProcess');
    assert.deepEqual(child.spawnargs.slice(1), ['-e', 'console.log("out"); console.error("err")']);
  },
);

test(
  'a non-zero exit rejects with SubprocessError; reject: false resolves',
  { skip: windowsOnly },
  async () => {
    await assert.rejects(
      spawn(node, script('console.log("partial"); process.exit(3)')),
      (error) => {
        assert.ok(error instanceof SubprocessError);
        assert.equal(error.exitCode, 3);
        assert.equal(error.stdout.trim(), 'partial');
        assert.match(error.message, /exit code 3/);
        return true;
      },
    );
    const result = await spawn(node, script('process.exitCode = 4'), { reject: false });
    assert.equal(result.exitCode, 4);
  },
);

test('input, cwd, env and arguments reach the child', { skip: windowsOnly }, async (t) => {
  const dir = tempDir(t);
  const code =
    'let input = ""; process.stdin.on("data", (d) => (input += d)); process.stdin.on("end", () => ' +
    'console.log(JSON.stringify({ input, cwd: process.cwd(), probe: process.env.FORKEXEC_PROBE, argv: process.argv.slice(1) })))';
  const result = await spawn(node, [...script(code), 'a b', 'c"d', 'ünï'], {
    input: 'from the parent',
    cwd: dir,
    env: { ...process.env, FORKEXEC_PROBE: 'set' },
  });
  assert.deepEqual(JSON.parse(result.stdout), {
    input: 'from the parent',
    cwd: dir,
    probe: 'set',
    argv: ['a b', 'c"d', 'ünï'],
  });
});

test(
  'encoding: buffer gives Buffers; stdio inherit and ignore give none',
  { skip: windowsOnly },
  async () => {
    const raw = await spawn(node, script('process.stdout.write("xyz")'), { encoding: 'buffer' });
    assert.ok(Buffer.isBuffer(raw.stdout));
    assert.equal(raw.stdout.toString(), 'xyz');
    const quiet = await spawn(node, script('console.log("nowhere")'), { stdio: 'ignore' });
    assert.equal(quiet.stdout, undefined);
    assert.equal(quiet.stderr, undefined);
    const shared = await spawn(node, script('process.exitCode = 0'), { stdio: 'inherit' });
    assert.equal(shared.exitCode, 0);
    assert.equal(shared.stdout, undefined);
    assert.equal(shared.stderr, undefined);
  },
);

test(
  'timeout and AbortSignal kill the child; kill() after the exit is false',
  { skip: windowsOnly },
  async () => {
    const hang = script('setInterval(() => {}, 1000)');
    await assert.rejects(spawn(node, hang, { timeout: 300 }), (error) => {
      assert.equal(error.timedOut, true);
      assert.equal(error.code, 'ETIMEDOUT');
      assert.equal(error.signal, 'SIGTERM');
      return true;
    });
    const controller = new AbortController();
    const aborted = spawn(node, hang, { signal: controller.signal });
    setTimeout(() => controller.abort(), 300);
    await assert.rejects(aborted, (error) => {
      assert.equal(error.isCanceled, true);
      assert.equal(error.code, 'ABORT_ERR');
      return true;
    });
    assert.equal(aborted.kill(), false, 'the child was already reaped');
    const child = spawn(node, hang);
    assert.throws(() => child.kill('SIGHUP'), { code: 'ERR_FORKEXEC_UNSUPPORTED_PLATFORM' });
    const exit = new Promise((resolve) => child.once('exit', (...args) => resolve(args)));
    assert.equal(child.kill('SIGKILL'), true);
    assert.deepEqual(await exit, [null, 'SIGKILL']);
    assert.equal(child.killed, true);
    assert.equal((await child.exited).signal, 'SIGKILL');
  },
);

test('maxBuffer cuts the output off with a clear error', { skip: windowsOnly }, async () => {
  await assert.rejects(
    spawn(node, script('process.stdout.write("x".repeat(1 << 20))'), { maxBuffer: 1000 }),
    (error) => {
      assert.equal(error.maxBufferExceeded, true);
      assert.match(error.message, /maxBuffer/);
      assert.ok(error.stdout.length <= 1000);
      return true;
    },
  );
});

test(
  'a missing executable or cwd rejects with ENOENT, path and spawnargs',
  { skip: windowsOnly },
  async (t) => {
    const dir = tempDir(t);
    const missing = join(dir, 'no-such-program.exe');
    const child = spawn(missing, ['x']);
    await assert.rejects(child, (error) => {
      assert.equal(error.code, 'ENOENT');
      assert.equal(typeof error.errno, 'number');
      assert.match(error.syscall, /^spawn/);
      assert.equal(error.path, missing);
      assert.deepEqual(error.spawnargs, ['x']);
      return true;
    });
    assert.equal(child.pid, undefined);
    await assert.rejects(child.exited, { code: 'ENOENT' });
    const gone = join(dir, 'no-such-dir');
    await assert.rejects(spawn(node, ['-v'], { cwd: gone }), {
      code: 'ENOENT',
      syscall: 'chdir',
      path: gone,
    });
  },
);

test('spawnSync: the same options and result, ENOENT thrown', { skip: windowsOnly }, async (t) => {
  const ok = spawnSync(node, script('process.stdin.pipe(process.stdout)'), { input: 'echoed' });
  assert.equal(ok.exitCode, 0);
  assert.equal(ok.stdout, 'echoed');
  assert.equal(ok.method, 'CreateProcess');
  assert.throws(
    () => spawnSync(node, script('process.exit(2)')),
    (error) => {
      assert.ok(error instanceof SubprocessError);
      assert.equal(error.exitCode, 2);
      return true;
    },
  );
  const slow = spawnSync(node, script('setInterval(() => {}, 1000)'), {
    timeout: 300,
    reject: false,
  });
  assert.equal(slow.timedOut, true);
  const missing = join(tempDir(t), 'absent.exe');
  assert.throws(() => spawnSync(missing), { code: 'ENOENT', path: missing });
});

test(
  'POSIX-only options are refused with ERR_FORKEXEC_UNSUPPORTED_PLATFORM before any start',
  { skip: windowsOnly },
  () => {
    const refused = [
      { setsid: true },
      { pgid: 0 },
      { uid: 0 },
      { gid: 0 },
      { groups: [] },
      { umask: 0o22 },
      { rlimits: { nofile: 64 } },
      { pdeathsig: 'SIGTERM' },
      { method: 'vfork' },
      { closeFds: false },
    ];
    for (const options of refused) {
      const [key] = Object.keys(options);
      for (const call of [spawn, spawnSync]) {
        assert.throws(
          () => call(node, ['-v'], options),
          (error) => {
            assert.equal(error.code, 'ERR_FORKEXEC_UNSUPPORTED_PLATFORM', key);
            assert.match(error.message, new RegExp(`options\\.${key} is not supported on win32`));
            return true;
          },
        );
      }
    }
    // A kill signal Windows lacks is refused up front, not thrown from a timer.
    for (const call of [spawn, spawnSync]) {
      assert.throws(() => call(node, ['-v'], { timeout: 100, killSignal: 'SIGHUP' }), {
        code: 'ERR_FORKEXEC_UNSUPPORTED_PLATFORM',
        message: /options\.killSignal SIGHUP is not supported on win32/,
      });
    }
    // The values that ask for nothing are accepted.
    const fine = spawnSync(node, ['-e', ''], { setsid: false, method: 'auto', closeFds: true });
    assert.equal(fine.exitCode, 0);
  },
);

test(
  'fds passes an extra file to the child at the fd asked for',
  { skip: windowsOnly },
  async (t) => {
    const path = join(tempDir(t), 'extra.txt');
    const fd = openSync(path, 'w');
    try {
      await spawn(node, script('require("fs").writeSync(3, "through fd 3")'), { fds: { 3: fd } });
    } finally {
      closeSync(fd);
    }
    assert.equal(readFileSync(path, 'utf8'), 'through fd 3');
  },
);
