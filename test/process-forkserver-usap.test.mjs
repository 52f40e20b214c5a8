// The forkserver's pre-forked children (Android's USAP pool): they wait,
// pre-faulted, for a request; a request costs a message, not a fork. Dead
// ones are replaced unseen, they die with their server, hold no fd of
// anyone else's, and every child is still a fresh copy of the server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn as cpSpawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Process, Pool, forkserver, posix } from 'forkexec';
import { maskHas, openFds, root, statFields, statusField } from './helpers.mjs';

const MODULE = join(root, 'test', 'fixtures', 'usapTargets.mjs');
const target = (name) => ({ module: MODULE, export: name });
const run = (name, args) =>
  new Process({ target: target(name), args, startMethod: 'forkserver' }).run();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs and is not a zombie (short-lived processes come and go: a vanished one is not alive). */
function alive(pid) {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Every child of `pid`, zombies too, from /proc/<pid>/task/<tid>/children. */
function allChildrenOf(pid) {
  const found = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text) found.push(...text.split(' ').map(Number));
    }
  } catch {
    // the process is gone
  }
  return found;
}

/** The children of `pid` that run (no zombie). */
function childrenOf(pid) {
  return allChildrenOf(pid).filter(alive);
}

/** The maps of `a` and `b`, read between two equal reads of `a`'s. */
function stableMaps(a, b) {
  const maps = (pid) => readFileSync(`/proc/${pid}/maps`, 'utf8');
  for (let attempt = 0; ; attempt++) {
    const first = maps(a);
    const other = maps(b);
    if (maps(a) === first || attempt === 50) return [first, other];
  }
}

/** Polls `check` until it returns something truthy; fails after 20 s. */
async function until(what, check) {
  for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
    const value = check();
    if (value) return value;
    await sleep(20);
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** The server's children that serve nothing (not in `served`), once there are `count` of them. */
function waitingChildren(count, served = []) {
  return until(`${count} pre-forked children`, () => {
    const waiting = childrenOf(forkserver.pid).filter((pid) => !served.includes(pid));
    return waiting.length === count ? waiting : undefined;
  });
}

/** A field of /proc/<pid>/smaps_rollup, in kB. */
function rollupKb(pid, field) {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  return Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(rollup)[1]);
}

/** The socket inodes a process holds beyond stdio (a test runner's pipes may be sockets). */
function sockets(pid) {
  const found = [];
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    if (Number(fd) <= 2) continue;
    try {
      const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (link.startsWith('socket:')) found.push(link);
    } catch {
      // closed meanwhile
    }
  }
  return found;
}

test.afterEach(() => forkserver.stop());

test('a request is served by a child forked ahead of it, one child per request', async () => {
  forkserver.start({ prefork: 2 });
  const waiting = await waitingChildren(2);
  const first = await run('pid');
  assert.ok(waiting.includes(first), `pid ${first} is one of the waiting ${waiting}`);
  // A replacement is forked; the child that served leaves and never serves again.
  const now = await waitingChildren(2);
  assert.ok(!now.includes(first));
  const second = await run('pid');
  assert.notEqual(second, first);
  assert.ok(now.includes(second));
});

test('every child is a fresh copy: its own pid, Math.random, randomUUID, randomInt and randomBytes', async () => {
  forkserver.start({ prefork: 3 });
  await waitingChildren(3);
  const seen = await Promise.all([1, 2, 3, 4].map(() => run('identity')));
  for (const key of ['pid', 'random', 'uuid', 'int', 'bytes']) {
    assert.equal(
      new Set(seen.map((s) => s[key])).size,
      seen.length,
      `${key} differs in each child`,
    );
  }
  assert.ok(!seen.some((s) => s.pid === process.pid || s.pid === forkserver.pid));
});

test('waiting children are pre-faulted: their copy of the server is written ahead of the request', async () => {
  forkserver.start({ prefork: 1 });
  const [waiting] = await waitingChildren(1);
  // Right after the fork every page it has is the server's too (Shared_Dirty)
  // until one of them writes it. A child that only started has written a few
  // MB of them; pre-faulted, it has its own copy of nearly all of them.
  const own = () => {
    const mine = rollupKb(waiting, 'Private_Dirty');
    return mine / (mine + rollupKb(waiting, 'Shared_Dirty'));
  };
  await until('the waiting child to pre-fault', () => own() >= 0.9);
});

test('forkserver.start() checks prefork and preload before it starts anything', () => {
  for (const prefork of [-1, 65, 1.5, Number.NaN]) {
    assert.throws(() => forkserver.start({ prefork }), { code: 'ERR_OUT_OF_RANGE' });
  }
  assert.throws(() => forkserver.start({ prefork: '2' }), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => forkserver.start({ preload: MODULE }), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => forkserver.start(7), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.equal(forkserver.pid, undefined);
});

test('prefork 0: each request forks its child, as before', async () => {
  forkserver.start({ prefork: 0 });
  assert.equal(typeof (await run('pid')), 'number');
  // The served child's memory holder may outlive it briefly (it yields the CPU).
  await until('no child of the server', () => childrenOf(forkserver.pid).length === 0);
  await sleep(200);
  assert.deepEqual(childrenOf(forkserver.pid), []);
});

test('a waiting child that died is replaced, and the caller never sees it', async () => {
  forkserver.start({ prefork: 2 });
  const [victim, other] = await waitingChildren(2);
  process.kill(victim, 'SIGKILL');
  const replaced = await until('a replacement', () => {
    const now = childrenOf(forkserver.pid);
    return now.length === 2 && !now.includes(victim) ? now : undefined;
  });
  assert.ok(replaced.includes(other));
  assert.equal(typeof (await run('pid')), 'number');
});

test('a request racing with the death of every waiting child still gets a child', async () => {
  forkserver.start({ prefork: 2 });
  for (let round = 0; round < 4; round++) {
    const waiting = await waitingChildren(2);
    // The server hears of these deaths only after the request has come: it
    // hands the channel to a dying child, sees it go, and tries the next,
    // then forks one for the request.
    for (const pid of waiting) process.kill(pid, 'SIGKILL');
    const pid = await run('pid');
    assert.ok(!waiting.includes(pid), `round ${round}: served by a fresh child`);
  }
});

test('a forkserver killed while children wait: they die with it, the waiting request rejects, the next request restarts it', async () => {
  forkserver.start({ prefork: 2 });
  const first = forkserver.pid;
  await waitingChildren(2);
  const hanging = new Process({ target: target('hang'), startMethod: 'forkserver' }).start();
  const waiting = await waitingChildren(2, [hanging.pid]);
  process.kill(first, 'SIGKILL');
  await assert.rejects(hanging.join(), { code: 'ERR_FORKEXEC_CHILD_DIED' });
  // No orphan: every child of the dead server is gone (pdeathsig), none reparented.
  await until('the children to die', () => ![...waiting, hanging.pid].some(alive));
  assert.equal((await run('pid')) > 0, true);
  assert.notEqual(forkserver.pid, first);
});

test('waiting children hold their own socket and nothing of the server or of each other', async () => {
  const baseline = openFds();
  forkserver.start({ prefork: 3 });
  await waitingChildren(3);
  const server = forkserver.pid;
  // Served ones, too, hold no socket of the pool's.
  const hanging = new Process({ target: target('hang'), startMethod: 'forkserver' }).start();
  const now = await waitingChildren(3, [hanging.pid]);
  // A child just forked holds the server's copies until its own code runs: wait for that.
  await until('every child to let go of the copies', () =>
    [...now, hanging.pid].every((pid) => sockets(pid).length === 1),
  );
  const serverSockets = new Set(sockets(server));
  const held = new Map();
  for (const pid of [...now, hanging.pid]) {
    const own = sockets(pid);
    for (const link of own) {
      assert.ok(!serverSockets.has(link), `child ${pid} holds the server's ${link}`);
      assert.ok(!held.has(link), `children ${held.get(link)} and ${pid} share ${link}`);
      held.set(link, pid);
    }
    // A waiting child: its socket to the server. The serving one: its task channel.
    assert.equal(own.length, 1, `child ${pid} holds ${own.join(', ')}`);
  }
  hanging.kill('SIGKILL');
  await assert.rejects(hanging.join());
  await forkserver.stop();
  const known = new Set(baseline.map((f) => `${f.fd} ${f.target}`));
  assert.deepEqual(
    openFds().filter((f) => !known.has(`${f.fd} ${f.target}`)),
    [],
  );
});

test('a forkserver Pool larger than the prefork count', async () => {
  forkserver.start({ prefork: 1 });
  const pool = new Pool({ size: 4, startMethod: 'forkserver' });
  try {
    // Four tasks at once that each outlast the others' start: four workers.
    const pids = await Promise.all([1, 2, 3, 4].map(() => pool.run(target('pidAfter'), [300])));
    assert.equal(new Set(pids).size, 4);
    assert.deepEqual(
      await Promise.all([1, 2].map(() => pool.run(target('pid'), []))).then((p) => p.length),
      2,
    );
  } finally {
    await pool.close();
  }
});

test("a leaving child's memory goes to a holder: same memory, one fd, no signal, low priority; it goes once the child has, and its parent reaps it", async (t) => {
  // A node that makes a holder, says its pid, and leaves when told: the
  // holder is then our child (CLONE_PARENT), as a served child's is the server's.
  const native = JSON.stringify(join(root, 'dist', 'native.js'));
  const child = cpSpawn(
    process.execPath,
    [
      '-e',
      `const holder = require(${native}).binding('test').holdMemoryTeardown();
       let grown;
       process.stdin.on('data', (d) => {
         if (String(d) !== 'grow') process.exit(0);
         grown = Buffer.alloc(64 << 20, 1);
         process.stdout.write('grown\\n');
       });
       process.stdout.write(holder + '\\n');`,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  t.after(() => child.kill('SIGKILL'));
  const holder = Number(String((await once(child.stdout, 'data'))[0]).trim());
  assert.ok(holder > 0, `a holder pid, got ${holder}`);
  const [state, ppid, , , , , , , , , , , , , , , nice] = statFields(
    readFileSync(`/proc/${holder}/stat`, 'utf8'),
  );
  assert.equal(Number(ppid), process.pid, "the holder is its maker's parent's child");
  assert.equal(state, 'S', 'it sleeps, waiting for the exit');
  assert.equal(Number(nice), 10, 'it yields the CPU');
  assert.equal(readdirSync(`/proc/${holder}/fd`).length, 1, 'it keeps only its pipe');
  const blocked = statusField(readFileSync(`/proc/${holder}/status`, 'utf8'), 'SigBlk');
  for (const signal of [1, 2, 10, 12, 13, 14, 15, 17]) {
    assert.ok(maskHas(blocked, signal), `signal ${signal} is blocked in the holder`);
  }
  // Shared, not copied: a mapping the maker makes after the clone shows in
  // the holder too. The maker's threads may map memory at any moment, so
  // the two are compared within a moment in which the maker's map held still.
  const before = readFileSync(`/proc/${holder}/maps`, 'utf8');
  child.stdin.write('grow');
  await once(child.stdout, 'data');
  const [makerMaps, holderMaps] = stableMaps(child.pid, holder);
  assert.notEqual(holderMaps, before, "the maker's new mapping shows in the holder");
  assert.equal(holderMaps, makerMaps, 'it shares the memory of the process that made it');
  child.stdin.write('go');
  await once(child, 'exit');
  let status = null;
  for (const deadline = Date.now() + 20_000; !status && Date.now() < deadline;) {
    status = posix.waitpid(holder, posix.constants.WNOHANG);
    if (!status) await sleep(10);
  }
  assert.deepEqual(status && { exitCode: status.exitCode, signal: status.signal }, {
    exitCode: 0,
    signal: null,
  });
});

test('the server reaps the holder each served child leaves: no zombie, no process stays', async () => {
  forkserver.start({ prefork: 0 });
  const server = forkserver.pid;
  for (let i = 0; i < 5; i++) assert.equal(typeof (await run('pid')), 'number');
  await until('the server without children', () => allChildrenOf(server).length === 0);
});
