// fork() for JavaScript: both shapes, exit paths, at-fork hooks, fresh state
// in the child, bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, atFork } from 'forkexec';
import { runForkScenario, prelude } from './fork-helpers.mjs';

test('POSIX shape: 0 in the child, which continues with the right pid and ppid', () => {
  const { result } = runForkScenario(`${prelude}
    const before = { pid: process.pid };
    const [r, w] = posix.pipe();
    const pid = fork();
    if (pid === 0) {
      writeSync(w, JSON.stringify({ pid: process.pid, ppid: process.ppid, kernelPid: posix.getpid(), kernelPpid: posix.getppid() }));
      process.exit(0);
    }
    posix.close(w);
    const status = posix.waitpid(pid);
    const { readFileSync } = await import('node:fs');
    const child = JSON.parse(readFileSync(r, 'utf8'));
    report({ pid, parent: before.pid, child, status: status.exitCode, pidAfter: process.pid });
  `);
  assert.ok(result.pid > 0);
  assert.equal(result.pidAfter, result.parent, 'the parent keeps its pid');
  assert.equal(result.child.pid, result.pid, 'process.pid is the child pid');
  assert.equal(result.child.pid, result.child.kernelPid);
  assert.equal(result.child.ppid, result.parent, 'process.ppid is the parent');
  assert.equal(result.status, 0);
});

test('POSIX shape: process.exit, an uncaught exception and a drained loop end the child with the right code', () => {
  const { result, stderr } = runForkScenario(`${prelude}
    const cases = {
      exit7: () => { process.on('exit', (c) => writeSync(1, 'exit listener ' + c + '\\n')); process.exit(7); },
      exitCode5: () => { process.exitCode = 5; setTimeout(() => {}, 20); },
      uncaught: () => { setTimeout(() => { throw new Error('child-uncaught-marker'); }, 5); },
      rejection: () => { Promise.reject(new Error('child-rejection-marker')); },
      drained: () => { setTimeout(() => { setImmediate(() => {}); }, 10); },
      exitInExitListener: () => { process.on('exit', () => process.exit(9)); },
    };
    const codes = {};
    for (const [name, body] of Object.entries(cases)) {
      const pid = fork();
      if (pid === 0) { body(); break; }
      codes[name] = posix.waitpid(pid).exitCode;
    }
    if (Object.keys(codes).length === Object.keys(cases).length) report(codes);
  `);
  assert.deepEqual(result, {
    exit7: 7,
    exitCode5: 5,
    uncaught: 1,
    rejection: 1,
    drained: 0,
    exitInExitListener: 9,
  });
  assert.match(stderr, /child-uncaught-marker/, 'the child prints its uncaught exception');
  assert.match(stderr, /child-rejection-marker/);
});

test('function shape: value, async value, pid, exit status', () => {
  const { result } = runForkScenario(`${prelude}
    const big = Array.from({ length: 200000 }, (_, i) => ({ i, s: 'x' + i }));
    const closure = ((k) => () => k * 2)(21);
    const sync = await watchdog(fork(() => big.length + closure()));
    const child = watchdog(fork(async () => {
      await new Promise((r) => setTimeout(r, 10));
      const { gzipSync, gunzipSync } = await import('node:zlib');
      return { pid: process.pid, sum: big.reduce((a, o) => a + o.i, 0), round: gunzipSync(gzipSync('abc')).toString(), map: new Map([[1, 2]]) };
    }));
    const pidSync = child.pid;
    const res = await child;
    report({ sync, pidSync, res: { ...res, value: { ...res.value, map: [...res.value.map] } } });
  `);
  assert.equal(result.sync.value, 200042);
  assert.equal(result.sync.exitCode, 0);
  assert.equal(result.sync.signal, null);
  assert.equal(result.res.pid, result.pidSync);
  assert.equal(result.res.value.pid, result.pidSync);
  assert.equal(result.res.value.sum, (199999 * 200000) / 2);
  assert.equal(result.res.value.round, 'abc');
  assert.deepEqual(result.res.value.map, [[1, 2]]);
});

test("function shape: a throwing fn rejects with the child's stack, the child prints it and exits 1", () => {
  const { result, stderr } = runForkScenario(`${prelude}
    const child = watchdog(fork(function () { return (function thrownInChildFrame() { throw new RangeError('child-throw-marker'); })(); }));
    let error;
    try { await child; } catch (e) { error = e; }
    const status = await child.exited;
    const async = await fork(async () => { await null; throw Object.assign(new Error('async-marker'), { code: 'E_CHILD' }); }).then(() => null, (e) => e);
    report({ name: error?.name, message: error?.message, stack: error?.stack, childPid: error?.childPid, pid: child.pid, exitCode: status.exitCode, asyncCode: async?.code, asyncMessage: async?.message });
  `);
  assert.equal(result.name, 'RangeError');
  assert.equal(result.message, 'child-throw-marker');
  assert.match(result.stack, /thrownInChildFrame/, "the parent's error carries the child's stack");
  assert.equal(result.pid, result.childPid);
  assert.equal(result.exitCode, 1);
  assert.equal(result.asyncCode, 'E_CHILD');
  assert.equal(result.asyncMessage, 'async-marker');
  assert.match(stderr, /child-throw-marker/);
});

test('function shape: a value v8.serialize cannot handle rejects with an Error naming the problem; the child still exits', () => {
  const { result } = runForkScenario(`${prelude}
    const child = watchdog(fork(() => ({ ok: 1, fn: function notCloneable() {} })));
    const error = await child.then(() => null, (e) => e);
    const status = await child.exited;
    report({ code: error?.code, message: error?.message, exitCode: status.exitCode });
  `);
  assert.equal(result.code, 'ERR_FORK_RESULT_UNSERIALIZABLE');
  assert.match(result.message, /v8\.serialize/);
  assert.match(result.message, /notCloneable|could not be cloned/);
  assert.equal(result.exitCode, 1);
});

test("function shape: the child never runs its caller's next line, from any kind of callback", () => {
  const { result } = runForkScenario(`${prelude}
    const fn = async () => { await new Promise((r) => setTimeout(r, 2)); await new Promise((r) => setImmediate(r)); return process.pid; };
    const parentPid = posix.getpid();
    const [r, w] = posix.pipe();
    const leak = (where) => writeSync(w, where + '\\n');
    const run = (where, schedule) => new Promise((resolve) => schedule(() => {
      let child;
      try { child = fork(fn); leak(where); } finally { if (!child) leak(where + '-finally'); }
      Promise.resolve().then(() => { if (posix.getpid() !== parentPid) leak(where + '-microtask'); });
      resolve({ child });
    }));
    const values = {};
    values.top = (await watchdog(fork(fn))).value;
    for (const [where, schedule] of Object.entries({
      timeout: (f) => setTimeout(f, 1),
      interval: (f) => { const i = setInterval(() => { clearInterval(i); f(); }, 1); },
      immediate: setImmediate,
      nextTick: process.nextTick,
      microtask: queueMicrotask,
    })) {
      const res = await watchdog((await run(where, schedule)).child);
      values[where] = res.exitCode === 0 && res.value === res.pid;
    }
    posix.close(w);
    const { readFileSync } = await import('node:fs');
    const lines = readFileSync(r, 'utf8').split('\\n').filter(Boolean);
    report({ values, lines });
  `);
  assert.deepEqual(result.values, {
    top: result.values.top,
    timeout: true,
    interval: true,
    immediate: true,
    nextTick: true,
    microtask: true,
  });
  assert.ok(result.values.top > 0);
  // Each parent writes its own line once; a child that continued would add more.
  assert.deepEqual(result.lines, ['timeout', 'interval', 'immediate', 'nextTick', 'microtask']);
});

test('atFork hooks: before in reverse registration order, after hooks in registration order', () => {
  const { result } = runForkScenario(`${prelude}
    const log = [];
    for (const name of ['A', 'B', 'C']) {
      atFork({ before: () => log.push('before' + name), afterInParent: () => log.push('parent' + name), afterInChild: () => log.push('child' + name) });
    }
    const off = atFork({ before: () => log.push('removed') });
    off();
    const child = await watchdog(fork(() => log));
    report({ parent: log, child: child.value });
  `);
  assert.deepEqual(result.parent, [
    'beforeC',
    'beforeB',
    'beforeA',
    'parentA',
    'parentB',
    'parentC',
  ]);
  assert.deepEqual(result.child, ['beforeC', 'beforeB', 'beforeA', 'childA', 'childB', 'childC']);
});

test("a handle an afterInChild hook opens stays open in the child (only the parent's are closed)", () => {
  const { result } = runForkScenario(`${prelude}
    import net from 'node:net';
    let server;
    const parentServer = net.createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => parentServer.once('listening', resolve));
    atFork({ afterInChild: () => {
      server = net.createServer((socket) => socket.end('hi')).listen(0); // bound at once: no host to look up
    } });
    const listening = () => server.listening || new Promise((resolve) => server.once('listening', resolve));
    const ask = async () => { await listening(); return new Promise((resolve) => {
      const socket = net.connect(server.address().port, '127.0.0.1');
      let data = '';
      socket.on('data', (chunk) => { data += chunk; });
      socket.on('end', () => resolve(data));
      socket.on('error', (error) => resolve(error.code));
    }); };
    const fromFn = (await watchdog(fork(ask))).value;
    const pid = fork();
    if (pid === 0) {
      const answer = await ask();
      // The parent's server was closed in this child, the hook's was not.
      process.exit(answer === 'hi' && !parentServer.listening ? 0 : 3);
    }
    const posixShape = posix.waitpid(pid).exitCode;
    parentServer.close();
    report({ fromFn, posixShape, parentStillListening: parentServer.listening });
  `);
  assert.deepEqual(result, { fromFn: 'hi', posixShape: 0, parentStillListening: false });
});

test('the child draws fresh Math.random, crypto.randomUUID and crypto.randomInt values', () => {
  const { result } = runForkScenario(`${prelude}
    import { randomUUID, randomInt } from 'node:crypto';
    // Fill the caches before the fork, as a real program would have.
    Math.random(); randomUUID(); randomInt(1000);
    const draw = () => ({
      math: Array.from({ length: 100 }, () => Math.random()),
      uuid: Array.from({ length: 100 }, () => randomUUID()),
      int: Array.from({ length: 100 }, () => randomInt(2 ** 47)),
    });
    const child = watchdog(fork(draw));
    const parent = draw();
    report({ parent, child: (await child).value });
  `);
  const { parent, child } = result;
  for (const kind of ['math', 'uuid', 'int']) {
    assert.equal(child[kind].length, 100);
    const same = parent[kind].filter((v, i) => child[kind][i] === v).length;
    assert.equal(same, 0, `${kind}: ${same} of 100 values equal in parent and child`);
  }
  assert.equal(parent.uuid.filter((u) => child.uuid.includes(u)).length, 0);
  assert.ok(child.math.every((x) => x >= 0 && x < 1));
  assert.equal(new Set(child.math).size, 100);
});

test('the seeds example: a variable set from a random number before the fork holds the same value in the child', () => {
  const { result } = runForkScenario(`${prelude}
    const seed = Math.random();
    const child = await watchdog(fork(() => ({ seed, next: Math.random() })));
    report({ seed, child: child.value, next: Math.random() });
  `);
  assert.equal(result.child.seed, result.seed);
  assert.notEqual(result.child.next, result.next);
});

test('an unawaited child is reaped anyway, and its rejection is not an unhandled one', () => {
  const { result } = runForkScenario(`${prelude}
    import { readdirSync, readFileSync } from 'node:fs';
    const zombies = () => readdirSync('/proc').filter((n) => /^\\d+$/.test(n)).filter((n) => {
      try { const s = readFileSync('/proc/' + n + '/stat', 'utf8'); const f = s.slice(s.lastIndexOf(')') + 2).split(' '); return Number(f[1]) === process.pid && f[0] === 'Z'; } catch { return false; }
    }).length;
    const kids = [fork(() => 1), fork(() => { throw new Error('nobody listens'); }), fork(async () => 3)];
    const pids = kids.map((k) => k.pid);
    const deadline = Date.now() + 20000;
    while (kids.some((k) => k.running) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    report({ running: kids.filter((k) => k.running).length, zombies: zombies(), alive: pids.filter((p) => { try { process.kill(p, 0); return true; } catch { return false; } }).length });
  `);
  assert.deepEqual(result, { running: 0, zombies: 0, alive: 0 });
});

test('kill() signals the child; awaiting it gives the signal', () => {
  const { result } = runForkScenario(`${prelude}
    const child = watchdog(fork(() => new Promise((r) => setTimeout(r, 60000))));
    await new Promise((r) => setTimeout(r, 50));
    const sent = child.kill('SIGTERM');
    const res = await child;
    report({ sent, exitCode: res.exitCode, signal: res.signal, again: child.kill() });
  `);
  assert.deepEqual(result, { sent: true, exitCode: null, signal: 'SIGTERM', again: false });
});

test('bad input: fork(notAFunction) is ERR_INVALID_ARG_TYPE', () => {
  for (const bad of [42, 'fn', {}, null]) {
    assert.throws(() => fork(bad), { code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError' });
  }
  assert.throws(() => atFork({ before: 1 }), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => atFork(5), { code: 'ERR_INVALID_ARG_TYPE' });
});

test('win32: ERR_FORKEXEC_UNSUPPORTED_PLATFORM pointing to the spawn start method', () => {
  const { result } = runForkScenario(`
    Object.defineProperty(process, 'platform', { value: 'win32' });
    const { fork } = await import('forkexec');
    let error;
    try { await fork(() => 1); } catch (e) { error = e; }
    console.log('RESULT ' + JSON.stringify({ code: error?.code, message: error?.message }));
  `);
  assert.equal(result.code, 'ERR_FORKEXEC_UNSUPPORTED_PLATFORM');
  assert.match(result.message, /spawn start method/);
});

test("function shape: the parent's pending timers, immediates and nextTicks do not run in the child, nor fork from it", () => {
  const { result } = runForkScenario(`${prelude}
    const [r, w] = posix.pipe();
    const me = posix.getpid();
    const mark = (what) => { if (posix.getpid() !== me) writeSync(w, what + '\\n'); };
    setInterval(() => mark('interval'), 1);
    setTimeout(() => mark('timeout'), 5);
    setImmediate(() => mark('immediate'));
    process.nextTick(() => mark('nextTick'));
    // A pool that refills itself: in a child, its continuation must not fork.
    let forks = 0;
    const refill = async (n) => { if (n === 0) return; forks++; await watchdog(fork(async () => { await new Promise((res) => setTimeout(res, 20)); return n; })); await refill(n - 1); };
    await Promise.all([refill(3), refill(3)]);
    posix.close(w);
    const { readFileSync } = await import('node:fs');
    report({ forks, marks: readFileSync(r, 'utf8').split('\\n').filter(Boolean) });
    process.exit(0);
  `);
  assert.equal(result.forks, 6);
  assert.deepEqual(result.marks, []);
});

test('nested: fn may fork(fn) itself, at its start or later, and a POSIX child may fork(fn)', () => {
  const { result, stderr } = runForkScenario(`${prelude}
    const inners = {
      sync: () => 'sync',
      immediate: () => new Promise((r) => setImmediate(() => r('immediate'))),
      timer: () => new Promise((r) => setTimeout(() => r('timer'), 5)),
    };
    const got = {};
    for (const [name, inner] of Object.entries(inners)) {
      got[name] = (await watchdog(fork(async () => (await fork(inner)).value))).value;
      got[name + 'Later'] = (await watchdog(fork(async () => { await new Promise((r) => setTimeout(r, 1)); return (await fork(inner)).value; }))).value;
    }
    const pid = fork();
    if (pid === 0) { const x = await fork(() => 'from a POSIX child'); process.exit(x.value === 'from a POSIX child' ? 4 : 5); }
    got.posix = posix.waitpid(pid).exitCode;
    report(got);
  `);
  assert.deepEqual(result, {
    sync: 'sync',
    syncLater: 'sync',
    immediate: 'immediate',
    immediateLater: 'immediate',
    timer: 'timer',
    timerLater: 'timer',
    posix: 4,
  });
  assert.doesNotMatch(stderr, /Error/);
});
