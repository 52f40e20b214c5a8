// fd inheritance: swaps, parent fds sitting where a target goes, closeFds,
// real pipes, streams with fds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { openSync, closeSync, readdirSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { spawn, posix } from 'forkexec';
import { runNode, tempDir, openFds } from './helpers.mjs';

const METHODS = ['posix_spawn', 'vfork', 'fork'];

test('stdout and stderr swapped (1 <-> 2) under every method', () => {
  for (const method of METHODS) {
    const r = runNode(`
      import { spawn } from 'forkexec';
      const result = await spawn('sh', ['-c', 'echo to-stdout; echo to-stderr >&2'], {
        stdio: ['ignore', 2, 1], method: '${method}' });
      if (result.method !== '${method}') process.exit(3);
    `);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'to-stderr\n', method);
    assert.equal(r.stderr, 'to-stdout\n', method);
  }
});

test('parent fds that sit where a target fd goes (swap of fds 30 and 31)', () => {
  const { dir, cleanup } = tempDir();
  try {
    for (const method of METHODS) {
      const a = join(dir, `a-${method}`);
      const b = join(dir, `b-${method}`);
      const r = runNode(`
        import { spawn, posix } from 'forkexec';
        import { openSync, closeSync } from 'node:fs';
        const fa = openSync(${JSON.stringify(a)}, 'w');
        const fb = openSync(${JSON.stringify(b)}, 'w');
        posix.dup2(fa, 30, { cloexec: true });
        posix.dup2(fb, 31, { cloexec: true });
        closeSync(fa); closeSync(fb);
        // child fd 30 <- parent fd 31 and child fd 31 <- parent fd 30
        await spawn('bash', ['-c', 'echo into-30 >&30; echo into-31 >&31'], {
          stdio: 'inherit', fds: { 30: 31, 31: 30 }, method: '${method}' });
      `);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(readFileSync(a, 'utf8'), 'into-31\n', method);
      assert.equal(readFileSync(b, 'utf8'), 'into-30\n', method);
    }
  } finally {
    cleanup();
  }
});

test('closeFds: secret fds without close-on-exec stay in the parent', async () => {
  const { dir, cleanup } = tempDir();
  const file = openSync(join(dir, 'secret'), 'w');
  const secret = posix.dup2(file, 77); // not close-on-exec
  try {
    assert.equal(posix.getCloexec(secret), false);
    for (const method of METHODS) {
      const closed = await spawn('ls', ['/proc/self/fd'], { method });
      assert.doesNotMatch(closed.stdout, /^77$/m, method);
      const open = await spawn('ls', ['/proc/self/fd'], { method, closeFds: false });
      assert.match(open.stdout, /^77$/m, `${method} with closeFds: false`);
    }
    // Gaps between targets are closed too.
    const gap = await spawn('ls', ['/proc/self/fd'], { fds: { 90: file } });
    assert.doesNotMatch(gap.stdout, /^77$/m);
    assert.match(gap.stdout, /^90$/m);
  } finally {
    posix.close(secret);
    closeSync(file);
    cleanup();
  }
});

test('a child inherits exactly fds 0-2 and the fds it was given: no secret file, socket or pipe', async (t) => {
  const { dir, cleanup } = tempDir();
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = connect(server.address().port, '127.0.0.1');
  await once(client, 'connect');
  const file = openSync(join(dir, 'secret'), 'w');
  const [pipeRead, pipeWrite] = posix.pipe();
  const given = openSync(join(dir, 'given'), 'w');
  // Secrets the parent holds without close-on-exec, as a careless library would.
  const secrets = [file, server._handle.fd, client._handle.fd, pipeRead, pipeWrite].map((fd, i) =>
    posix.dup2(fd, 80 + i),
  );
  t.after(() => {
    for (const fd of [...secrets, pipeRead, pipeWrite]) posix.close(fd);
    closeSync(file);
    closeSync(given);
    client.destroy();
    server.close();
    cleanup();
  });
  for (const fd of secrets) assert.equal(posix.getCloexec(fd), false);
  for (const method of METHODS) {
    // The child's fd table, read from outside while it runs: nothing of its own adds to it.
    const child = spawn('sleep', ['30'], { method, stdio: 'ignore', fds: { 5: given } });
    // spawn() returns once the child has exec'd (its error pipe closed on exec).
    assert.equal(readFileSync(`/proc/${child.pid}/comm`, 'utf8').trim(), 'sleep', method);
    // sleep opens files while it starts (locale data): read its fds once it sleeps.
    const deadline = Date.now() + 10_000;
    while (
      !/sleep/.test(readFileSync(`/proc/${child.pid}/wchan`, 'utf8')) &&
      Date.now() < deadline
    ) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
    const fds = readdirSync(`/proc/${child.pid}/fd`)
      .map(Number)
      .sort((a, b) => a - b);
    child.kill('SIGKILL');
    await child.catch(() => undefined);
    assert.deepEqual(fds, [0, 1, 2, 5], method);
  }
});

test('a close-on-exec parent fd mapped to its own number is inherited', async () => {
  const { dir, cleanup } = tempDir();
  const file = openSync(join(dir, 'same'), 'w');
  const fd = posix.dup2(file, 40, { cloexec: true });
  try {
    for (const method of METHODS) {
      const r = await spawn('ls', ['/proc/self/fd'], { method, fds: { 40: fd, 41: fd } });
      assert.match(r.stdout, /^40$/m, method);
      assert.match(r.stdout, /^41$/m, method);
    }
  } finally {
    posix.close(fd);
    closeSync(file);
    cleanup();
  }
});

test("'pipe' is a real pipe: /dev/stdout can be opened, fds map to pipes", async () => {
  const r = await spawn('sh', [
    '-c',
    'readlink /proc/self/fd/1; echo via-dev-stdout > /dev/stdout',
  ]);
  assert.match(r.stdout, /^pipe:\[\d+\]\nvia-dev-stdout\n$/);
});

test('a stream with an fd in stdio, and an fd in fds', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, 'out');
    const fd = openSync(path, 'w');
    const { createWriteStream } = await import('node:fs');
    const stream = createWriteStream(null, { fd, autoClose: false });
    await spawn('sh', ['-c', 'echo via-stream; echo via-fd-4 >&4'], {
      stdio: ['ignore', stream, 'inherit'],
      fds: { 4: fd },
    });
    closeSync(fd);
    assert.equal(readFileSync(path, 'utf8'), 'via-stream\nvia-fd-4\n');
  } finally {
    cleanup();
  }
});

test('no fd of the parent leaks or stays behind after spawns', async () => {
  // Pidfds of earlier children are closed by libuv on the next turn of the loop.
  // (close callbacks run after the check phase: two turns make sure.)
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  const settled = async () => {
    await turn();
    await turn();
  };
  await settled();
  const before = openFds().length;
  for (let i = 0; i < 20; i++) {
    const child = spawn('cat', [], { input: 'x' });
    await child;
  }
  await settled();
  assert.equal(openFds().length, before);
});

test("an extra 'pipe' slot (fd 3) is a Readable for the caller", async () => {
  const child = spawn('sh', ['-c', 'echo side >&3; echo main'], {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  const chunks = [];
  child.stdio[3].on('data', (c) => chunks.push(c));
  const ended = new Promise((resolve) => child.stdio[3].on('end', resolve));
  const result = await child;
  await ended;
  assert.equal(result.stdout, 'main\n');
  assert.equal(Buffer.concat(chunks).toString(), 'side\n');
});

test('gaps below a high target fd are closed, whether open in the parent or not', async () => {
  const { dir, cleanup } = tempDir();
  const file = openSync(join(dir, 'high'), 'w');
  const secret = posix.dup2(file, 70); // open, not close-on-exec, inside the gap
  try {
    for (const method of METHODS) {
      const r = await spawn('ls', ['/proc/self/fd'], {
        method,
        stdio: 'ignore',
        fds: { 500: file },
      });
      assert.equal(r.exitCode, 0);
    }
    for (const method of METHODS) {
      const r = await spawn('sh', ['-c', 'ls /proc/$$/fd'], {
        method,
        stdio: ['ignore', 'pipe', 'ignore'],
        fds: { 500: file },
      });
      const fds = r.stdout.trim().split('\n').map(Number);
      assert.ok(!fds.includes(70), `${method}: fd 70 leaked`);
      assert.ok(fds.includes(500), `${method}: fd 500 missing`);
    }
  } finally {
    posix.close(secret);
    closeSync(file);
    cleanup();
  }
});
