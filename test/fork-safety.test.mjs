// The fork safety recipe, each point of DESIGN.md's "Fork for JavaScript":
// the V8 heap put back after the fork (also when it fails), a child with its
// own loop and working I/O, none of the parent's events stolen, and the
// refusal of unsafe modes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import nodeCrypto from 'node:crypto';
import { runForkScenario, prelude } from './fork-helpers.mjs';
import { cannotRunAs, root, runNode, safeFlags } from './helpers.mjs';

// The MADV_DONTFORK ("dc") state of the parent's mappings, checked after a
// fork against before it: every part of a mapping that was dc and is still
// mapped must still be dc.
const smapsCheck = `
import { readFileSync } from 'node:fs';
function mappings() {
  const found = [];
  let current;
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\\n')) {
    const range = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (range) { current = { start: BigInt('0x' + range[1]), end: BigInt('0x' + range[2]), dc: false }; found.push(current); }
    else if (line.startsWith('VmFlags:')) current.dc = line.slice(8).trim().split(' ').includes('dc');
  }
  return found;
}
function lostDontFork(before, after) {
  const lost = [];
  for (const was of before.filter((m) => m.dc)) {
    for (const now of after) {
      if (now.end <= was.start || now.start >= was.end) continue;
      if (!now.dc) lost.push(now.start.toString(16) + '-' + now.end.toString(16));
    }
  }
  return lost;
}
// Mappings that were not MADV_DONTFORK and are still there, unchanged, must
// not have become so (the restore spans holes between flagged mappings).
function gainedDontFork(before, after) {
  const key = (m) => m.start + '-' + m.end;
  const was = new Map(before.map((m) => [key(m), m.dc]));
  return after.filter((m) => m.dc && was.get(key(m)) === false).map(key);
}
`;

test('the V8 heap is forkable in the child and the parent keeps its MADV_DONTFORK mappings', () => {
  const { result } = runForkScenario(`${prelude}${smapsCheck}
    const big = Array.from({ length: 300000 }, (_, i) => ({ i, text: 'item ' + i }));
    const lookup = new Map(big.slice(0, 1000).map((o) => [o.text, o]));
    const results = [];
    let lost = [];
    let dcCount = 0;
    for (let round = 0; round < 5; round++) {
      const before = mappings();
      dcCount = before.filter((m) => m.dc).length;
      const child = watchdog(fork(async () => {
        // closures, a module loaded in the child, the parent's big array, new allocations
        const { deflateSync } = await import('node:zlib');
        const more = big.map((o) => ({ ...o, twice: o.i * 2 }));
        return { n: more.length, hit: lookup.get('item 999').i, zipped: deflateSync(JSON.stringify(big.slice(0, 100))).length > 0 };
      }));
      const after = mappings();
      lost.push(...lostDontFork(before, after), ...gainedDontFork(before, after));
      results.push(await child);
      lost.push(...lostDontFork(before, mappings()));
    }
    report({ dcCount, lost, results: results.map((r) => [r.exitCode, r.signal, r.value]) });
  `);
  assert.ok(
    result.dcCount > 0,
    'Node marks its V8 heap MADV_DONTFORK (else this test proves nothing)',
  );
  assert.deepEqual(
    result.lost,
    [],
    'mappings that were MADV_DONTFORK before the fork are no longer',
  );
  for (const [exitCode, signal, value] of result.results) {
    assert.equal(signal, null, 'the child touched the heap and died of a signal');
    assert.equal(exitCode, 0);
    assert.deepEqual(value, { n: 300000, hit: 999, zipped: true });
  }
});

// RLIMIT_NPROC makes the kernel refuse the fork itself, after the heap was
// re-marked. Root is exempt from that limit, so as root the scenario runs as
// nobody.
const asNobody = process.getuid?.() === 0;
const cannotLimitProcesses = !existsSync('/usr/bin/prlimit')
  ? 'needs prlimit (util-linux) to lower RLIMIT_NPROC'
  : asNobody && cannotRunAs(65534);

test(
  'a fork the kernel refuses (RLIMIT_NPROC) leaves the MADV_DONTFORK mappings as they were, runs the after hooks, and the next fork works',
  { skip: cannotLimitProcesses },
  () => {
    const source = `${prelude}${smapsCheck}
      import { spawn, spawnSync } from 'node:child_process';
      import { stat } from 'node:fs/promises';
      // libuv's threadpool starts now: a thread is a process to RLIMIT_NPROC.
      await stat('.');
      const hard = /^Max processes +\\S+ +(\\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))[1];
      // Started before the limit, with a limit of its own: puts ours back when told.
      const restorer = spawn('sh', ['-c', 'read line && exec prlimit --pid "$0" --nproc="$1":', String(process.pid), hard], { stdio: ['pipe', 'inherit', 'inherit'] });
      const restored = new Promise((resolve) => restorer.once('exit', resolve));
      // Allowed no more processes than this user has.
      const lowered = spawnSync('prlimit', ['--pid', String(process.pid), '--nproc=1:']).status;
      const log = [];
      atFork({ before: () => log.push('before'), afterInParent: () => log.push('afterInParent') });
      const before = mappings();
      let error;
      try { await fork(() => 1); } catch (e) { error = e; }
      const after = mappings();
      restorer.stdin.end('go\\n');
      const restoredStatus = await restored;
      const ok = await watchdog(fork(() => 'works again'));
      report({ lowered, restoredStatus, code: error?.code, syscall: error?.syscall, lost: [...lostDontFork(before, after), ...gainedDontFork(before, after)], dc: before.filter((m) => m.dc).length, log, value: ok.value });
    `;
    const nobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
    const [command, ...prefix] = asNobody ? [...nobody, process.execPath] : [process.execPath];
    const run = spawnSync(command, [...prefix, ...safeFlags, '--input-type=module', '-e', source], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    });
    const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    assert.ok(line, `no RESULT (status ${run.status}, signal ${run.signal}): ${run.stderr}`);
    const result = JSON.parse(line.slice(7));
    assert.equal(result.lowered, 0, 'prlimit lowered RLIMIT_NPROC');
    assert.equal(result.restoredStatus, 0, 'prlimit put RLIMIT_NPROC back');
    assert.equal(result.code, 'EAGAIN');
    assert.equal(result.syscall, 'fork');
    assert.ok(
      result.dc > 0,
      'Node marks its V8 heap MADV_DONTFORK (else this test proves nothing)',
    );
    assert.deepEqual(result.lost, []);
    assert.deepEqual(result.log, ['before', 'afterInParent', 'before', 'afterInParent']);
    assert.equal(result.value, 'works again');
  },
);

test('in the child: timers, fs (threadpool), zlib, crypto and a TCP server on loopback all work', () => {
  const { result } = runForkScenario(`${prelude}
    import net from 'node:net';
    import { createReadStream } from 'node:fs';
    const [r, w] = posix.pipe();
    const child = watchdog(fork(async () => {
      const out = {};
      const t0 = Date.now();
      await new Promise((res) => setTimeout(res, 20));
      out.timer = Date.now() - t0 >= 15;
      out.interval = await new Promise((res) => { let n = 0; const i = setInterval(() => { if (++n === 3) { clearInterval(i); res(n); } }, 1); });
      const fsp = await import('node:fs/promises');
      out.fs = JSON.parse(await fsp.readFile('package.json', 'utf8')).name;
      out.fsMany = (await Promise.all(Array.from({ length: 16 }, () => fsp.stat('package.json')))).length;
      const zlib = await import('node:zlib');
      const { promisify } = await import('node:util');
      out.zlib = (await promisify(zlib.gunzip)(await promisify(zlib.gzip)('hello zlib'))).toString();
      const crypto = await import('node:crypto');
      out.pbkdf2 = (await promisify(crypto.pbkdf2)('pw', 'salt', 1000, 16, 'sha256')).toString('hex');
      out.hash = crypto.createHash('sha256').update('x').digest('hex').slice(0, 8);
      // A server in the child: a client in the child and one in the parent.
      let served = 0;
      let allServed;
      const bothServed = new Promise((res) => (allServed = res));
      const server = net.createServer((s) => {
        s.on('data', (d) => s.end('echo:' + d));
        if (++served === 2) allServed();
      });
      await new Promise((res) => server.listen(0, '127.0.0.1', res));
      const { port } = server.address();
      writeSync(w, String(port) + '\\n');
      out.selfClient = await new Promise((res, rej) => {
        const c = net.connect(port, '127.0.0.1', () => c.write('child'));
        let got = ''; c.on('data', (d) => (got += d)); c.on('end', () => res(got)); c.on('error', rej);
      });
      await bothServed;
      await new Promise((res) => server.close(res));
      return out;
    }));
    posix.close(w);
    const port = await new Promise((res) => {
      let text = '';
      createReadStream(null, { fd: r }).on('data', (d) => { text += d; if (text.includes('\\n')) res(Number(text.trim())); });
    });
    const parentClient = await new Promise((res, rej) => {
      const c = net.connect(port, '127.0.0.1', () => c.write('parent'));
      let got = ''; c.on('data', (d) => (got += d)); c.on('end', () => res(got)); c.on('error', rej);
    });
    const res = await child;
    report({ ...res.value, parentClient, exitCode: res.exitCode });
  `);
  const crypto = nodeCrypto;
  assert.deepEqual(result, {
    timer: true,
    interval: 3,
    fs: 'forkexec',
    fsMany: 16,
    zlib: 'hello zlib',
    pbkdf2: crypto.pbkdf2Sync('pw', 'salt', 1000, 16, 'sha256').toString('hex'),
    hash: crypto.createHash('sha256').update('x').digest('hex').slice(0, 8),
    selfClient: 'echo:child',
    parentClient: 'echo:parent',
    exitCode: 0,
  });
});

test("the parent's timers and a busy loopback socket lose no events while it forks", () => {
  const { result } = runForkScenario(`${prelude}
    import net from 'node:net';
    // A ping-pong of numbered messages over loopback, both ends in the parent.
    const server = net.createServer((s) => s.on('data', (d) => s.write(d)));
    await new Promise((res) => server.listen(0, '127.0.0.1', res));
    const client = net.connect(server.address().port, '127.0.0.1');
    await new Promise((res) => client.on('connect', res));
    let sent = 0;
    let buffered = '';
    const received = [];
    let pumping = true;
    const pump = () => { if (pumping) client.write((sent++) + '\\n'); };
    client.on('data', (d) => {
      buffered += d;
      let nl;
      while ((nl = buffered.indexOf('\\n')) >= 0) { received.push(Number(buffered.slice(0, nl))); buffered = buffered.slice(nl + 1); pump(); }
    });
    for (let i = 0; i < 8; i++) pump();
    // Timers of the parent, due while the forks happen.
    let fired = 0;
    const scheduled = 300;
    for (let i = 0; i < scheduled; i++) setTimeout(() => fired++, i % 150);
    let ticks = 0;
    const interval = setInterval(() => ticks++, 1);
    // Children that run for a while on their own loops, with their own timers.
    for (let i = 0; i < 30; i++) {
      const child = await watchdog(fork(async () => { await new Promise((r) => setTimeout(r, 5)); return i; }));
      if (child.value !== i) throw new Error('child ' + i + ' returned ' + child.value);
    }
    await new Promise((r) => setTimeout(r, 200));
    pumping = false;
    clearInterval(interval);
    await new Promise((r) => setTimeout(r, 50));
    const inOrder = received.every((n, i) => i === 0 || n > received[i - 1]);
    const expected = new Set(Array.from({ length: sent }, (_, i) => i));
    const missing = [...expected].filter((n) => !received.includes(n)).length;
    client.destroy(); server.close();
    report({ fired, scheduled, sent, received: received.length, missing, inOrder, ticks: ticks > 0 });
  `);
  assert.equal(result.fired, result.scheduled, 'every parent timer fired');
  assert.ok(result.sent > 100, `the socket was busy (${result.sent} messages)`);
  assert.equal(result.missing, 0, 'no message was stolen by a child');
  assert.equal(result.received, result.sent);
  assert.ok(result.inOrder);
  assert.ok(result.ticks);
});

test('unsafe modes are refused with ERR_FORK_UNSAFE saying how to get the safe mode', () => {
  for (const execArgv of [
    [],
    ['--single-threaded-gc'],
    ['--single-threaded', '--no-single-threaded'],
    // V8 14 needs more than --single-threaded (safeModeFlags)
    ...(safeFlags.length > 1 ? [['--single-threaded']] : []),
  ]) {
    const run = runNode(
      `import { fork } from 'forkexec';
       for (const call of [() => fork(), () => fork(() => 1)]) {
         // fork() throws; fork(fn) rejects (argument errors alone throw): await covers both.
         try { await call(); console.log('RESULT forked'); } catch (e) { console.log('RESULT ' + JSON.stringify({ code: e.code, message: e.message })); }
       }`,
      { execArgv },
    );
    const lines = run.stdout.split('\n').filter((l) => l.startsWith('RESULT '));
    assert.equal(lines.length, 2, run.stderr);
    for (const line of lines) {
      const result = JSON.parse(line.slice(7));
      assert.equal(result.code, 'ERR_FORK_UNSAFE', `${execArgv.join(' ')}: ${line}`);
      assert.match(result.message, new RegExp(`node ${safeFlags.join(' ')} app\\.js`));
      assert.match(result.message, /forkexec-node/);
    }
  }
});

test('the forkexec-node launcher runs node in the safe mode', () => {
  const run = spawnSync(
    process.execPath,
    [
      'bin/forkexec-node.js',
      '--input-type=module',
      '-e',
      `import { fork } from 'forkexec'; const r = await fork(() => process.execArgv); console.log('RESULT ' + JSON.stringify(r.value));`,
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  assert.ok(line, run.stderr);
  const execArgv = JSON.parse(line.slice(7));
  for (const flag of safeFlags) assert.ok(execArgv.includes(flag), `${flag} in ${execArgv}`);
});

test('Worker threads: fork refuses while one runs, and works again once it has exited', () => {
  const { result } = runForkScenario(`${prelude}
    import { Worker } from 'node:worker_threads';
    const worker = new Worker('setInterval(() => {}, 1000)', { eval: true });
    await new Promise((r) => worker.once('online', r));
    const attempt = async () => { try { await fork(() => 1); return 'forked'; } catch (e) { return { code: e.code, message: e.message }; } };
    const whileRunning = await attempt();
    await worker.terminate();
    const after = await watchdog(fork(() => 'ok'));
    // fork() inside a Worker is refused too.
    const inside = new Worker(\`
      const { parentPort } = require('node:worker_threads');
      const { fork } = require(\${JSON.stringify(process.cwd())});
      fork(() => 1).then(() => parentPort.postMessage('forked'), (e) => parentPort.postMessage({ code: e.code, message: e.message }));
    \`, { eval: true, execArgv: [] });
    const insideCode = await new Promise((r) => inside.once('message', r));
    await inside.terminate();
    report({ whileRunning, after: after.value, insideCode });
  `);
  assert.equal(result.whileRunning.code, 'ERR_FORK_UNSAFE');
  assert.match(result.whileRunning.message, /Worker/);
  assert.match(result.whileRunning.message, /terminate/);
  assert.equal(result.after, 'ok');
  assert.equal(result.insideCode.code, 'ERR_FORK_UNSAFE');
  assert.match(result.insideCode.message, /Worker thread/);
});

test("an idle parent forks without waking libuv's threadpool; one with pool work in flight still holds it; both children's pools work", () => {
  const { result } = runForkScenario(`${prelude}
    import { readdirSync, readFileSync } from 'node:fs';
    import { pbkdf2 } from 'node:crypto';
    import { readFile } from 'node:fs/promises';
    const size = (await readFile(process.execPath)).length; // the pool has started
    const wakeups = () => new Map(readdirSync('/proc/self/task').filter((t) => Number(t) !== process.pid).map((t) => [
      t, Number(/voluntary_ctxt_switches:\\s+(\\d+)/.exec(readFileSync('/proc/self/task/' + t + '/status', 'utf8'))?.[1] ?? 0),
    ]));
    const before = wakeups();
    for (let i = 0; i < 3; i++) await watchdog(fork(() => 1));
    const after = wakeups();
    // A barrier gives every pool thread (4) one job per fork: each wakes 3 times.
    const woken = [...after].filter(([t, n]) => n - (before.get(t) ?? n) >= 3).length;
    // Pool work of the parent's in flight at the fork (a callback API: see the report of issue #15 on fs.promises).
    const inFlight = new Promise((resolve) => pbkdf2('p', 'q', 200000, 16, 'sha256', (e, key) => resolve(e ? -1 : key.length)));
    const busy = await watchdog(fork(() => new Promise((resolve, reject) =>
      pbkdf2('a', 'b', 1, 8, 'sha1', (e, key) => (e ? reject(e) : resolve(key.length))))));
    const read = await watchdog(fork(() => readFile(process.execPath).then((b) => b.length)));
    report({ poolWoken: woken >= 4, busy: busy.value, inFlight: await inFlight, read: read.value === size });
  `);
  assert.deepEqual(result, { poolWoken: false, busy: 8, inFlight: 16, read: true });
});

test('a promise-based fs read in flight in the parent: the child never continues it, the parent loses no byte', () => {
  // fs.promises reads from the file's current offset, which parent and child
  // share: a child that resumed the parent's read would take bytes from it.
  const { result, context } = runForkScenario(`${prelude}
    import { readFile } from 'node:fs/promises';
    import { readFileSync, openSync, closeSync, mkdtempSync, rmSync } from 'node:fs';
    import { tmpdir } from 'node:os';
    import { join } from 'node:path';
    import { pbkdf2 } from 'node:crypto';
    const expected = readFileSync(process.execPath);
    const dir = mkdtempSync(join(tmpdir(), 'forkexec-test-'));
    const marks = join(dir, 'continued');
    const pending = readFile(process.execPath).then((data) => {
      // The parent's continuation: it must run in the parent only.
      const fd = openSync(marks, 'a');
      writeSync(fd, process.pid + '\\n');
      closeSync(fd);
      return data;
    });
    const outcomes = [];
    for (let i = 0; i < 3; i++) {
      const child = fork(() => new Promise((r) => pbkdf2('a', 'b', 1, 8, 'sha1', (e, k) => r(k.length))));
      watchdog(child);
      outcomes.push(await child);
    }
    const data = await pending;
    const continuedIn = readFileSync(marks, 'utf8').trim().split('\\n').map(Number);
    rmSync(dir, { recursive: true });
    report({ length: data.length, expected: expected.length, same: data.equals(expected),
      continuedIn, parent: process.pid, outcomes: outcomes.map((o) => o.value ?? o) });
  `);
  assert.deepEqual(
    result.continuedIn,
    [result.parent],
    `only the parent continues its read\n${context}`,
  );
  assert.equal(result.length, result.expected, context);
  assert.ok(result.same, 'the parent read every byte, in order');
});
