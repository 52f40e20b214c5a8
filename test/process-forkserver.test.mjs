// The forkserver start method: children are copies of a clean server process
// started once; only the process that started it can use it, and it never
// outlives that process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn as cpSpawn } from 'node:child_process';
import { existsSync, openSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Process, Pool, forkserver } from 'forkexec';
import * as targets from './fixtures/targets.mjs';
import { children, openFds, root, safeFlags, tempDir } from './helpers.mjs';

const MODULE = join(root, 'test', 'fixtures', 'targets.mjs');
const target = (name) => ({ module: MODULE, export: name });
const run = (name, args) =>
  new Process({ target: target(name), args, startMethod: 'forkserver' }).run();
const alive = (pid) =>
  existsSync(`/proc/${pid}`) && !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));

/**
 * True once `pid` is gone (or a zombie), false if it still runs after 20 s.
 * A process that is not our child cannot be waited for: a signal sent to it
 * is delivered, but its death is seen only by polling /proc.
 */
async function gone(pid) {
  for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
    if (!alive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return !alive(pid);
}

test.afterEach(() => forkserver.stop());

test("forkserver children run module targets; they are the server's children, not ours", async () => {
  assert.equal(await run('add', [2, 3]), 5);
  assert.ok(forkserver.pid > 0, 'the server started on first use');
  const p = new Process({
    target: { module: '/proc/self/fd/../../../' + MODULE.slice(1), export: 'getPid' },
    startMethod: 'forkserver',
  });
  const childPid = await p.run();
  assert.equal(childPid, p.pid);
  assert.equal(p.exitCode, 0);
  // A module target runs in a fresh copy: its module-level random value is not ours.
  assert.notEqual(await run('getSeed'), targets.seed);
  assert.deepEqual(
    children().filter((c) => c.pid !== forkserver.pid),
    [],
    'no child of ours but the server',
  );
});

test('preloaded modules are imported once in the server: every child shares its state', async () => {
  forkserver.start({ preload: [MODULE] });
  const [a, b] = [await run('getSeed'), await run('getSeed')];
  assert.equal(a, b, 'both children are copies of the same preloaded server');
  assert.notEqual(a, targets.seed);
  assert.throws(() => forkserver.start(), { code: 'ERR_FORKSERVER_RUNNING' });
});

test('closures are refused under forkserver', () => {
  assert.throws(() => new Process({ target: () => 1, startMethod: 'forkserver' }).start(), {
    code: 'ERR_FORKEXEC_CLOSURE_UNSUPPORTED',
  });
});

test('a killed forkserver: its children die, waiting tasks reject, the next request restarts it', async () => {
  const hanging = new Process({ target: target('hang'), startMethod: 'forkserver' }).start();
  const first = forkserver.pid;
  process.kill(first, 'SIGKILL');
  await assert.rejects(hanging.join(), { code: 'ERR_FORKEXEC_CHILD_DIED' });
  assert.equal(await gone(hanging.pid), true, 'the child died with its server');
  assert.equal(await run('add', [1, 1]), 2);
  assert.notEqual(forkserver.pid, first);
});

test('a forkserver Pool, and stop() kills and reaps what runs', async () => {
  const pool = new Pool({ size: 2, startMethod: 'forkserver' });
  assert.deepEqual(
    await Promise.all([1, 2, 3].map((x) => pool.run({ module: MODULE }, [x]))),
    [2, 4, 6],
  );
  await pool.close();
  const hanging = new Process({ target: target('hang'), startMethod: 'forkserver' }).start();
  const server = forkserver.pid;
  await forkserver.stop();
  assert.equal(forkserver.pid, undefined);
  await assert.rejects(hanging.join(), { code: 'ERR_FORKEXEC_CHILD_DIED' });
  assert.equal(await gone(server), true);
  assert.equal(await gone(hanging.pid), true);
});

test('only the process that started the server can reach it', async () => {
  await run('add', [0, 0]);
  const server = forkserver.pid;
  // Its control socket is one end of a socketpair: nothing to connect to,
  // and another process cannot open it through /proc.
  const target = `/proc/${server}/fd/3`;
  // Node 24 names the main thread MainThread there.
  assert.match(
    readFileSync(`/proc/${server}/fd/../stat`, 'utf8'),
    /\((node|node-MainThread|MainThread)\)/,
  );
  assert.throws(() => openSync(target, 'r+'), { code: 'ENXIO' });
  // A server started by someone else refuses to serve (its peer is not its parent).
  const child = cpSpawn(
    process.execPath,
    [
      ...safeFlags,
      join(root, 'dist', 'process', 'forkserver', 'serverMain.js'),
      JSON.stringify({ preload: [], parentPid: process.pid + 1 }),
    ],
    { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] },
  );
  const [code] = await new Promise((resolve) => child.on('exit', (...a) => resolve(a)));
  assert.equal(code, 2);
});

test(
  'a server whose control socket leads to another process refuses it (peer credentials)',
  // A server that accepted the stranger would wait for requests: the timeout fails the test.
  { timeout: 30_000 },
  async () => {
    // The server is our child (getppid passes), but its control socket is a
    // connection accepted from another process: SO_PEERCRED names that one.
    const { dir, cleanup } = tempDir('forkexec-peer-');
    const listener = createServer();
    const path = join(dir, 'control.sock');
    await new Promise((resolve) => listener.listen(path, resolve));
    const accepted = once(listener, 'connection');
    const stranger = cpSpawn(
      process.execPath,
      ['-e', `require('net').connect(${JSON.stringify(path)}); setInterval(() => {}, 1000)`],
      { stdio: 'ignore' },
    );
    try {
      const [socket] = await accepted;
      const server = cpSpawn(
        process.execPath,
        [
          ...safeFlags,
          join(root, 'dist', 'process', 'forkserver', 'serverMain.js'),
          JSON.stringify({ preload: [], parentPid: process.pid }),
        ],
        { stdio: ['ignore', 'ignore', 'inherit', socket._handle.fd] },
      );
      const exited = new Promise((resolve) => server.on('exit', (...a) => resolve(a)));
      socket.destroy();
      const watchdog = setTimeout(() => server.kill('SIGKILL'), 20_000);
      const [code] = await exited;
      clearTimeout(watchdog);
      assert.equal(code, 2, 'refused: the peer is the stranger, not the parent');
    } finally {
      stranger.kill('SIGKILL');
      listener.close();
      cleanup();
    }
  },
);

test('the forkserver and its children never outlive a parent killed with SIGKILL', async () => {
  const parent = cpSpawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `
      import { Process, forkserver } from 'forkexec';
      const p = new Process({ target: { module: ${JSON.stringify(MODULE)}, export: 'hang' }, startMethod: 'forkserver' }).start();
      console.log(JSON.stringify({ server: forkserver.pid, child: p.pid }));
      setInterval(() => {}, 1000);
    `,
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const line = await new Promise((resolve) =>
    parent.stdout.once('data', (d) => resolve(String(d))),
  );
  const { server, child } = JSON.parse(line);
  assert.ok(alive(server) && alive(child));
  parent.kill('SIGKILL');
  // A watchdog, not a speed check: both must be gone within 20 s.
  const deadline = Date.now() + 20_000;
  while ((alive(server) || alive(child)) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  assert.equal(alive(server), false, 'the server is gone');
  assert.equal(alive(child), false, 'its child is gone');
});

test('forkserver children that return, crash or are killed: exits as the server saw them; no zombie, no fd left', async () => {
  const fdsBefore = openFds();
  assert.equal(await run('add', [1, 2]), 3);
  const crashed = new Process({ target: target('crash'), startMethod: 'forkserver' }).start();
  await assert.rejects(crashed.join(), { code: 'ERR_FORKEXEC_CHILD_DIED' });
  const killed = new Process({ target: target('hang'), startMethod: 'forkserver' }).start();
  // Let it start the task, then kill it through the pidfd the server sent.
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(killed.kill('SIGKILL'), true);
  await assert.rejects(killed.join(), { code: 'ERR_FORKEXEC_CHILD_DIED', signal: 'SIGKILL' });
  assert.equal(killed.signalCode, 'SIGKILL');
  assert.equal(killed.exitCode, null);
  // Its exit was reported and its pidfd closed: nothing is signalled any more.
  assert.equal(killed.kill('SIGKILL'), false);
  await forkserver.stop();
  assert.deepEqual(children(), []);
  // Only what this test opened counts (an earlier test may still be closing its own).
  const known = new Set(fdsBefore.map((f) => `${f.fd} ${f.target}`));
  assert.deepEqual(
    openFds().filter((f) => !known.has(`${f.fd} ${f.target}`)),
    [],
  );
});
