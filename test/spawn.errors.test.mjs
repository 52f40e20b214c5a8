// Bad input, each class, with Node-style codes; failures in the child path
// reported with errno and step; nothing left behind by failed spawns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync as nodeSpawnSync } from 'node:child_process';
import { spawn, spawnSync } from 'forkexec';
import { cannotRunAs, children, openFds, tempDir } from './helpers.mjs';

test('argument and option errors throw at once with Node codes', () => {
  const cases = [
    [() => spawn(42), 'ERR_INVALID_ARG_TYPE'],
    [() => spawn(''), 'ERR_INVALID_ARG_VALUE'],
    [() => spawn('true', ['a\0b']), 'ERR_INVALID_ARG_VALUE'],
    [() => spawn('tr\0ue'), 'ERR_INVALID_ARG_VALUE'],
    [() => spawn('true', [], { env: { A: 'x\0y' } }), 'ERR_INVALID_ARG_VALUE'],
    [() => spawn('true', [], { env: { 'A=B': 'x' } }), 'ERR_INVALID_ARG_VALUE'],
    [() => spawn('true', [], { cwd: '/tmp\0x' }), 'ERR_INVALID_ARG_VALUE'],
    [() => spawn('true', [], { stdio: ['pipe', 'pipes', 'pipe'] }), 'ERR_INVALID_ARG_VALUE'],
    [() => spawn('true', [], { stdio: 'everything' }), 'ERR_INVALID_ARG_VALUE'],
    [() => spawn('true', [], { stdio: [{}] }), 'ERR_INVALID_ARG_TYPE'],
    [() => spawn('true', [], { uid: 1.5 }), 'ERR_OUT_OF_RANGE'],
    [() => spawn('true', [], { uid: '0' }), 'ERR_INVALID_ARG_TYPE'],
    [() => spawn('true', [], { gid: -1 }), 'ERR_OUT_OF_RANGE'],
    [() => spawn('true', [], { groups: [1, 'x'] }), 'ERR_INVALID_ARG_TYPE'],
    [() => spawn('true', [], { fds: { x: 1 } }), 'ERR_INVALID_ARG_VALUE'],
    [() => spawn('true', [], { fds: { 1: 1 } }), 'ERR_INVALID_ARG_VALUE'],
    [() => spawn('true', [], { method: 'clone' }), 'ERR_INVALID_ARG_VALUE'],
    [() => spawn('true', [], { cwdd: '/' }), 'ERR_INVALID_ARG_VALUE'],
    [() => spawn('true', [], { rlimits: { bogus: 1 } }), 'ERR_INVALID_ARG_VALUE'],
    [() => spawn('true', [], { killSignal: 'SIGNOPE' }), 'ERR_INVALID_ARG_VALUE'],
    [() => spawn('true', [], { timeout: -1 }), 'ERR_OUT_OF_RANGE'],
    [() => spawn('true', [], { signal: {} }), 'ERR_INVALID_ARG_TYPE'],
    [() => spawn('true', [], { input: 5 }), 'ERR_INVALID_ARG_TYPE'],
    [() => spawn('true', [], { input: 'x', stdio: 'ignore' }), 'ERR_INVALID_ARG_VALUE'],
    [() => spawn('true', [], { encoding: 'klingon' }), 'ERR_INVALID_ARG_VALUE'],
    [() => spawnSync('true', [], { uid: NaN }), 'ERR_OUT_OF_RANGE'],
  ];
  for (const [call, code] of cases) assert.throws(call, { code }, call.toString());
});

test('start errors reject with code, negative errno, syscall, path, spawnargs', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const plain = join(dir, 'not-executable');
    writeFileSync(plain, 'echo hi\n');
    chmodSync(plain, 0o644);
    const missing = join(dir, 'missing');

    await assert.rejects(spawn(missing, ['a']), {
      code: 'ENOENT',
      errno: -2,
      syscall: 'execve',
      path: missing,
      spawnargs: ['a'],
    });
    await assert.rejects(spawn('no-such-program-anywhere'), {
      code: 'ENOENT',
      path: 'no-such-program-anywhere',
    });
    await assert.rejects(spawn(plain), { code: 'EACCES', errno: -13, path: plain });
    await assert.rejects(spawn(dir), { code: 'EACCES', path: dir });
    await assert.rejects(spawn('true', [], { cwd: missing }), {
      code: 'ENOENT',
      syscall: 'chdir',
      path: missing,
    });
    await assert.rejects(spawn('true', [], { fds: { 3: 987654 } }), { code: 'EBADF', errno: -9 });
    await assert.rejects(spawn('true', [], { stdio: ['ignore', 987654, 'ignore'] }), {
      code: 'EBADF',
    });
    // PATH is the child's: a program found only there.
    await assert.rejects(spawn('true', [], { env: { PATH: dir } }), { code: 'ENOENT' });
    assert.throws(() => spawnSync(missing), { code: 'ENOENT', syscall: 'execve' });
    // A failed start has no pid, kill() is a no-op, and 'error' is emitted for listeners.
    const child = spawn(missing);
    assert.equal(child.pid, undefined);
    assert.equal(child.kill(), false);
    const emitted = await new Promise((resolve) => child.on('error', resolve));
    assert.equal(emitted.code, 'ENOENT');
    await assert.rejects(child.exited, { code: 'ENOENT' });
  } finally {
    cleanup();
  }
});

test('failures inside the child path come back with errno and step', async () => {
  const { dir, cleanup } = tempDir();
  try {
    // Executable bits but no valid format: execve itself fails in the child.
    const bogus = join(dir, 'bogus');
    writeFileSync(bogus, '\x7fELF garbage');
    chmodSync(bogus, 0o755);
    for (const method of ['posix_spawn', 'vfork', 'fork']) {
      await assert.rejects(spawn(bogus, [], { method }), {
        code: 'ENOEXEC',
        syscall: 'execve',
        path: bogus,
      });
    }
    // soft > hard: setrlimit fails in the child.
    for (const method of ['vfork', 'fork']) {
      await assert.rejects(spawn('true', [], { method, rlimits: { nofile: [100, 50] } }), {
        code: 'EINVAL',
        syscall: 'setrlimit',
      });
    }
  } finally {
    cleanup();
  }
});

test('setuid failing in the child makes spawn fail (EPERM when not root)', (t) => {
  const why = cannotRunAs(65534);
  if (why) {
    t.skip(why);
    return;
  }
  const source = `
    import { spawn } from 'forkexec';
    for (const method of ['auto', 'fork']) {
      try {
        await spawn('true', [], { uid: 0, method });
        console.log(method, 'started');
      } catch (e) {
        console.log(method, e.code, e.syscall);
      }
    }
  `;
  const r = nodeSpawnSync(process.execPath, ['--input-type=module', '-e', source], {
    uid: 65534,
    gid: 65534,
    cwd: process.cwd(),
    encoding: 'utf8',
  });
  assert.ifError(r.error);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'auto EPERM setuid\nfork EPERM setuid\n');
});

test('1000 failed spawns leave the fd count and the zombie count unchanged', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const bogus = join(dir, 'bogus');
    writeFileSync(bogus, 'not a program');
    chmodSync(bogus, 0o755);
    const zombies = () => children().filter((c) => c.state === 'Z').length;
    // Pidfds of earlier children are closed by libuv after the loop's check phase.
    for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve));
    const fdsBefore = openFds().length;
    const zombiesBefore = zombies();
    const kinds = [
      () => spawn(join(dir, 'missing')),
      () => spawn('true', [], { cwd: join(dir, 'missing') }),
      () => spawn('true', [], { fds: { 3: 999999 } }),
      () => spawn(bogus, [], { method: 'posix_spawn' }),
      () => spawn(bogus, [], { method: 'vfork' }),
      () => spawn(bogus, [], { method: 'fork' }),
      () => spawn('true', [], { rlimits: { nofile: [10, 5] } }),
    ];
    let failed = 0;
    for (let i = 0; i < 1000; i++) {
      const child = kinds[i % kinds.length]();
      await child.then(
        () => assert.fail('should not start'),
        () => failed++,
      );
    }
    assert.equal(failed, 1000);
    for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(openFds().length, fdsBefore);
    assert.equal(zombies(), zombiesBefore);
  } finally {
    cleanup();
  }
});
