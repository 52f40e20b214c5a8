// Hardening of the TypeScript layer (issue 11): a timeout that bounds the
// whole call even when a grandchild holds the pipes, a Subprocess pipe handed
// to another child with every byte, the bench's C floor built only in a
// private directory, non-UTF-8 Buffer paths byte for byte, and the forkserver
// client closing each fd exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync as cpSpawnSync } from 'node:child_process';
import { once } from 'node:events';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Process, forkserver, spawn, spawnSync } from 'forkexec';
import { root, tempDir } from './helpers.mjs';

const require = createRequire(import.meta.url);
const METHODS = ['posix_spawn', 'vfork', 'fork'];

/** Settles like `promise`, or rejects after `ms` (a hang fails the test instead of stalling it). */
function watchdog(promise, ms, what) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still waiting after ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

/** The outcome of a Subprocess, resolved either way. */
const settled = (subprocess) =>
  subprocess.then(
    (result) => ({ result }),
    (error) => ({ error }),
  );

/** Kills the background grandchild whose pid is the first line of `stdout`. */
function killGrandchild(stdout) {
  const pid = Number(String(stdout).split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

// ---- 4: timeout bounds the whole call ----

// The child prints its grandchild's pid, then the grandchild (sleep) keeps
// stdout open long after the child is gone.
const WITH_GRANDCHILD = 'sleep 1000 & echo $!';

test('timeout bounds the whole call: a grandchild holding stdout does not keep spawn waiting', async () => {
  const child = spawn('sh', ['-c', `${WITH_GRANDCHILD}; exec sleep 1000`], { timeout: 300 });
  const { error } = await watchdog(settled(child), 60_000, 'spawn with timeout: 300');
  try {
    assert.ok(error, 'a timed-out child rejects');
    assert.equal(error.code, 'ETIMEDOUT');
    assert.equal(error.timedOut, true);
    assert.equal(error.signal, 'SIGTERM');
    assert.match(error.stdout, /^\d+\n$/, 'what the child wrote before the deadline is kept');
  } finally {
    killGrandchild(error?.stdout);
  }
});

test('a child that exits before the deadline while a grandchild holds its pipe: timedOut at the deadline, as spawnSync', async () => {
  let exitCode;
  const child = spawn('sh', ['-c', WITH_GRANDCHILD], { timeout: 1000, reject: false });
  child.once('exit', (code) => (exitCode = code));
  const { result } = await watchdog(settled(child), 60_000, 'spawn with timeout: 1000');
  killGrandchild(result.stdout);
  assert.equal(exitCode, 0, "'exit' came with the child's own exit");
  assert.equal(result.exitCode, 0);
  assert.equal(result.timedOut, true, 'the deadline cut the wait for the pipes');
  assert.match(result.stdout, /^\d+\n$/);

  const sync = spawnSync('sh', ['-c', WITH_GRANDCHILD], { timeout: 1000, reject: false });
  killGrandchild(sync.stdout);
  assert.equal(sync.exitCode, 0);
  assert.equal(sync.timedOut, true, 'spawnSync reports the same');
});

test('output written as the child is killed is kept whole (the pipe is drained, then cut)', async () => {
  // On SIGTERM the shell writes 50,000 bytes and exits; the grandchild keeps
  // stdout open. The abort comes once the trap is set (the pid line follows it).
  const script = `trap 'head -c 50000 /dev/zero; exit 3' TERM; ${WITH_GRANDCHILD}; wait`;
  for (let run = 0; run < 8; run++) {
    const controller = new AbortController();
    const child = spawn('sh', ['-c', script], {
      signal: controller.signal,
      reject: false,
      encoding: 'buffer',
    });
    await once(child.stdout, 'data');
    controller.abort();
    const { result } = await watchdog(settled(child), 60_000, `run ${run}`);
    killGrandchild(result.stdout);
    assert.equal(result.exitCode, 3, `run ${run}: the trap ran`);
    assert.equal(result.isCanceled, true);
    const pidLine = result.stdout.indexOf(10) + 1;
    assert.ok(pidLine > 1, `run ${run}: the pid line`);
    assert.equal(result.stdout.length - pidLine, 50_000, `run ${run}: every byte of the trap`);
  }
});

test('an abort after the exit stops the wait for a pipe a grandchild holds (isCanceled)', async () => {
  const controller = new AbortController();
  const child = spawn('sh', ['-c', WITH_GRANDCHILD], { signal: controller.signal });
  await once(child, 'exit');
  controller.abort();
  const { error } = await watchdog(settled(child), 60_000, 'abort after exit');
  killGrandchild(error?.stdout);
  assert.equal(error?.code, 'ABORT_ERR');
  assert.equal(error.isCanceled, true);
  assert.equal(error.exitCode, 0);
});

test('without timeout the result waits for the pipes: it comes when the grandchild closes them', async () => {
  const child = spawn('sh', ['-c', `${WITH_GRANDCHILD}; echo child done`]);
  let stdout = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
  let resolved = false;
  const outcome = settled(child).finally(() => (resolved = true));
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(resolved, false, 'still waiting for EOF while the grandchild runs');
  killGrandchild(stdout);
  const { result } = await watchdog(outcome, 60_000, 'after the grandchild died');
  assert.equal(result.timedOut, false);
  assert.match(result.stdout, /^\d+\nchild done\n$/);
});

// ---- 6: a Subprocess pipe handed to another child ----

for (const method of METHODS) {
  test(`seq | wc through a.stdout handed to wc: 200000 lines every time (${method})`, async () => {
    for (let run = 0; run < 20; run++) {
      const a = spawn('seq', ['1', '200000'], { method });
      const b = spawn('wc', ['-l'], { stdio: [a.stdout, 'pipe', 'pipe'], method });
      const [ra, rb] = await watchdog(Promise.all([a, b]), 60_000, `run ${run}`);
      assert.equal(rb.stdout.trim(), '200000', `run ${run}`);
      assert.equal(ra.stdout, undefined, 'the handed-over stdout is not in a’s result');
      assert.equal(ra.exitCode, 0);
    }
  });
}

test('a.stdout handed to spawnSync: every line', async () => {
  for (let run = 0; run < 10; run++) {
    const a = spawn('seq', ['1', '200000']);
    const b = spawnSync('wc', ['-l'], { stdio: [a.stdout, 'pipe', 'pipe'] });
    assert.equal(b.stdout.trim(), '200000', `spawnSync run ${run}`);
    assert.equal((await a).stdout, undefined);
  }
});

test('a.stdout handed over through fds: the parent closes its end and stops collecting it', async () => {
  // (Above fd 2 the pipe keeps the O_NONBLOCK libuv gave it, as with
  // child_process, so the reader here is one that copes with that.)
  const a = spawn('seq', ['1', '200000']);
  const b = spawn(
    process.execPath,
    [
      '-e',
      `let n = 0; new (require('net').Socket)({ fd: 3 }).on('data', (c) => { for (const x of c) if (x === 10) n++; }).on('end', () => console.log(n));`,
    ],
    { fds: { 3: a.stdout } },
  );
  assert.equal(a.stdout.destroyed, true, 'closed in the same tick');
  const [ra, rb] = await watchdog(Promise.all([a, b]), 60_000, 'fds hand-over');
  assert.equal(rb.stdout.trim(), '200000');
  assert.equal(ra.stdout, undefined);
});

test("b.stdin handed to a producer: the parent's end is closed, so b sees EOF and counts every line", async () => {
  const b = spawn('wc', ['-l']);
  const a = spawn('seq', ['1', '200000'], { stdio: ['ignore', b.stdin, 'pipe'] });
  const [rb] = await watchdog(Promise.all([b, a]), 60_000, 'wc waiting for EOF');
  assert.equal(rb.stdout.trim(), '200000');
});

test('a Subprocess pipe the parent already read from is refused before anything starts, and keeps every byte', async () => {
  const a = spawn('seq', ['1', '200000']);
  await once(a.stdout, 'data');
  assert.throws(() => spawn('wc', ['-l'], { stdio: [a.stdout, 'pipe', 'pipe'] }), {
    code: 'ERR_INVALID_ARG_VALUE',
    message: /already read from/,
  });
  assert.throws(() => spawnSync('wc', ['-l'], { fds: { 3: a.stdout } }), {
    code: 'ERR_INVALID_ARG_VALUE',
  });
  const result = await a;
  assert.equal(result.stdout.split('\n').length - 1, 200000, 'a still collected all of it');
});

test('a handed-over pipe whose second child could not start stays with the first child', async () => {
  const a = spawn('seq', ['1', '1000']);
  await assert.rejects(spawn('/nonexistent/wc', [], { stdio: [a.stdout, 'pipe', 'pipe'] }), {
    code: 'ENOENT',
  });
  assert.equal((await a).stdout.split('\n').length - 1, 1000);
});

// ---- 7: the bench's C floor ----

const hasCc = cpSpawnSync('cc', ['--version'], { stdio: 'ignore' }).status === 0;
const uid = process.getuid();

test(
  'the C floor is compiled into a fresh private 0700 directory, never the shared one, and removed',
  { skip: hasCc ? false : 'no C compiler (cc) on this machine' },
  () => {
    const { buildCFloor } = require(join(root, 'dist', 'bench', 'cFloor.js'));
    const first = buildCFloor();
    const second = buildCFloor();
    try {
      for (const build of [first, second]) {
        const stat = statSync(build.dir);
        assert.equal(stat.mode & 0o777, 0o700, build.dir);
        assert.equal(stat.uid, uid);
        assert.notEqual(build.dir, join(process.env.TMPDIR ?? '/tmp', `forkexec-bench-${uid}`));
        assert.ok(build.program.startsWith(`${build.dir}/`));
        assert.match(execFileSync(build.program, ['2'], { encoding: 'utf8' }), /^\d+\n\d+\n$/);
      }
      assert.notEqual(first.dir, second.dir, 'never reused');
    } finally {
      first.remove();
      second.remove();
    }
    assert.equal(existsSync(first.dir), false, 'removed');
  },
);

const canPlantAsNobody = uid === 0 && existsSync('/usr/bin/setpriv');

test(
  'forkexec bench never runs a floor planted at the old shared location by another user',
  { skip: hasCc ? false : 'no C compiler (cc) on this machine', timeout: 300_000 },
  () => {
    const { dir: shared, cleanup } = tempDir('forkexec-shared-tmp-');
    try {
      chmodSync(shared, 0o1777); // a tmpdir like /tmp, private to this test
      const marker = join(shared, 'planted-floor-ran');
      const plantedDir = join(shared, `forkexec-bench-${uid}`);
      const plant = `mkdir -p ${plantedDir} && printf '%s\\n' '#!/bin/sh' 'touch ${marker}' 'i=0; while [ $i -lt "$1" ]; do echo 1000; i=$((i+1)); done' > ${plantedDir}/floor && chmod 755 ${plantedDir}/floor`;
      // Planted by another uid when we can (nobody), else by us: either way never run.
      const planter = canPlantAsNobody
        ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', 'sh', '-c', plant]
        : ['sh', '-c', plant];
      execFileSync(planter[0], planter.slice(1));
      if (canPlantAsNobody) assert.equal(statSync(`${plantedDir}/floor`).uid, 65534);

      const out = join(shared, 'out');
      const cli = join(root, 'dist', 'cli.js');
      const args = ['bench', '--quick', '--methods', 'c.posix_spawn', '--sizes', '50MB'];
      execFileSync(process.execPath, [cli, ...args, '--iterations', '3', '--out', out], {
        env: { ...process.env, TMPDIR: shared },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      assert.equal(existsSync(marker), false, 'the planted floor never ran');
      const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
      const row = results.rows.find((r) => r.method === 'c.posix_spawn');
      assert.ok(row && row.median > 0 && row.median !== 1000 / 1e6, JSON.stringify(results));
      const left = readdirSync(shared).filter((n) => n.startsWith('forkexec-bench-'));
      assert.deepEqual(left, [`forkexec-bench-${uid}`], 'its own directory was removed');
    } finally {
      cleanup();
    }
  },
);

// ---- 9: non-UTF-8 Buffer paths ----

/** A fresh dir holding `bin\xff/x\xff`, a script that prints its cwd. */
function nonUtf8Tree() {
  const { dir, cleanup } = tempDir('forkexec-bytes-');
  const bin = Buffer.concat([Buffer.from(`${dir}/bin`), Buffer.of(0xff)]);
  mkdirSync(bin);
  const name = Buffer.from([0x78, 0xff]); // "x\xff"
  const exe = Buffer.concat([bin, Buffer.from('/'), name]);
  writeFileSync(exe, '#!/bin/sh\necho "ran in $PWD"\n');
  chmodSync(exe, 0o755);
  return { dir, bin, name, cleanup };
}

const ranIn = (cwd) => Buffer.concat([Buffer.from('ran in '), cwd, Buffer.from('\n')]);

test('non-UTF-8 Buffer paths are found byte for byte: PATH search, ./name with cwd, cwd, env.PATH', async () => {
  const { dir, bin, name, cleanup } = nonUtf8Tree();
  try {
    const here = Buffer.from(process.cwd());
    const b = { encoding: 'buffer' };
    const cases = {
      'PATH search for a Buffer name': [name, [], { ...b, env: { PATH: bin } }, here],
      'a Buffer env.PATH with other entries': [
        name,
        [],
        { ...b, env: { PATH: Buffer.concat([Buffer.from(`${dir}/none:`), bin]) } },
        here,
      ],
      './name relative to a Buffer cwd': [
        Buffer.concat([Buffer.from('./'), name]),
        [],
        { ...b, cwd: bin },
        bin,
      ],
      'a Buffer cwd that exists': [
        '/bin/sh',
        ['-c', 'echo "ran in $PWD"'],
        { ...b, cwd: bin },
        bin,
      ],
      'a file: URL cwd with %FF': [
        '/bin/sh',
        ['-c', 'echo "ran in $PWD"'],
        { ...b, cwd: new URL(`${pathToFileURL(dir).href}/bin%FF`) },
        bin,
      ],
    };
    for (const [what, [file, args, options, cwd]] of Object.entries(cases)) {
      const result = await spawn(file, args, options).catch((error) =>
        assert.fail(`${what}: ${error.message}`),
      );
      assert.deepEqual(result.stdout, ranIn(cwd), what);
      assert.deepEqual(spawnSync(file, args, options).stdout, ranIn(cwd), `${what} (spawnSync)`);
    }
    // Byte for byte also when it is missing: a neighbouring byte is another name.
    await assert.rejects(spawn(Buffer.from([0x78, 0xfe]), [], { env: { PATH: bin } }), {
      code: 'ENOENT',
      syscall: 'execve',
    });
  } finally {
    cleanup();
  }
});

// ---- 12: the forkserver client closes each fd once ----

const FD_REUSER = `
const { workerData, parentPort } = require('node:worker_threads');
const { openSync, readlinkSync, readSync } = require('node:fs');
const { state, file, serverPid } = workerData;
const sleep = (ms) => Atomics.wait(state, 7, 0, ms);
const link = (fd) => { try { return readlinkSync('/proc/self/fd/' + fd); } catch { return null; } };
// Opened now, before the fd numbers are probed: reading it later opens nothing.
const syscallFd = openSync('/proc/self/task/' + process.pid + '/syscall', 'r');
const buffer = Buffer.alloc(64);
// /proc/<tid>/syscall starts with the syscall number: 7 is poll on x86_64, 73 ppoll on arm64.
const inPoll = () => /^(7|73) /.test(buffer.toString('latin1', 0, readSync(syscallFd, buffer, 0, 64, 0)));
parentPort.postMessage('ready');
while (Atomics.load(state, 0) === 0) sleep(5);
const parentEnd = Atomics.load(state, 1);
const childEnd = Atomics.load(state, 2);
// The request is under way once the main thread waits in poll(2) for the
// reply: its child end was sent and closed before, so that number is the
// lowest free one.
const until = Date.now() + 30000;
while (!(inPoll() && link(parentEnd)?.startsWith('socket:') && link(childEnd) === null) && Date.now() < until) sleep(1);
Atomics.store(state, 3, openSync(file, 'r'));
process.kill(serverPid, 'SIGKILL');
// Stay until terminated: a Worker that ends takes the fds it opened along.
Atomics.wait(state, 6, 0);
`;

test('forkserver: a request that fails after its socket end was sent does not close that number again', async () => {
  const { dir, cleanup } = tempDir('forkexec-fd-reuse-');
  const file = join(dir, 'reused');
  writeFileSync(file, 'mine');
  const target = { module: join(root, 'test', 'fixtures', 'targets.mjs'), export: 'add' };
  const state = new Int32Array(new SharedArrayBuffer(32));
  let worker;
  try {
    assert.equal(await new Process({ target, args: [1, 2], startMethod: 'forkserver' }).run(), 3);
    // Let the first child's channel finish closing, so the fd numbers stay put.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const serverPid = forkserver.pid;
    worker = new Worker(FD_REUSER, { eval: true, workerData: { state, file, serverPid } });
    await once(worker, 'message');
    // The two lowest free numbers: the request's socketpair takes them.
    const parentEnd = openSync('/dev/null', 'r');
    const childEnd = openSync('/dev/null', 'r');
    closeSync(childEnd);
    closeSync(parentEnd);
    Atomics.store(state, 1, parentEnd);
    Atomics.store(state, 2, childEnd);
    process.kill(serverPid, 'SIGSTOP'); // it will not answer; the worker kills it
    Atomics.store(state, 0, 1);
    let failure;
    try {
      new Process({ target, args: [1, 2], startMethod: 'forkserver' }).start();
    } catch (error) {
      failure = error;
    }
    const reused = Atomics.load(state, 3);
    assert.equal(reused, childEnd, "the worker's file got the number of the request's sent end");
    assert.equal(readlinkSync(`/proc/self/fd/${reused}`), file, 'and it is still open');
    // (The worker's fds close with it.)
    assert.equal(failure?.code, 'ERR_FORKSERVER_DIED', String(failure));
  } finally {
    await worker?.terminate();
    await forkserver.stop();
    cleanup();
  }
});
