// Hardening of the native layer: exits that arrive while an environment
// closes, children that outlive the Worker that started them, kill() of a
// child that has exited, a parent that its child's credentials must not
// change, fd targets near RLIMIT_NOFILE, honest start errors, and a child path
// that no sanitizer instruments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync as cpSpawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, spawnSync } from 'forkexec';
import { cannotRunAs, children, root, runNode, tempDir } from './helpers.mjs';

/** The state letter of /proc/<pid>/stat ('Z' for a zombie), or undefined when it is gone. */
function procState(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0];
  } catch {
    return undefined;
  }
}

/** Blocks this thread (the event loop cannot run) until `pid` is a zombie. */
function waitUntilZombie(pid) {
  const deadline = Date.now() + 30_000;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  while (procState(pid) !== 'Z') {
    if (Date.now() > deadline) throw new Error(`child ${pid} never became a zombie`);
    Atomics.wait(nap, 0, 0, 5);
  }
}

test('an unref()ed child whose exit arrives while the process exits: exit 0, no abort', () => {
  for (let i = 0; i < 10; i++) {
    const r = runNode(`import { spawn } from 'forkexec'; spawn('/bin/true').unref();`);
    assert.equal(r.signal, null, r.stderr);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
  }
});

// The Worker starts children and ends: terminated, or at its natural end
// with its children unref()ed. The process goes on; the children must not
// stay zombies (nobody is left on the Worker's loop to reap them).
for (const ending of ['terminate', 'unref']) {
  test(`children of a Worker that ended (${ending}) are reaped, and the process lives on`, () => {
    const r = runNode(`
      import { Worker } from 'node:worker_threads';
      import { readFileSync } from 'node:fs';
      const worker = new Worker(\`
        const { spawn } = require('forkexec');
        const { parentPort } = require('node:worker_threads');
        const started = [];
        for (let i = 0; i < 10; i++) started.push(spawn('/bin/true'));
        for (let i = 0; i < 10; i++) started.push(spawn('sleep', ['0.3']));
        if (${JSON.stringify(ending)} === 'unref') for (const c of started) c.unref();
        parentPort.postMessage(started.map((c) => c.pid));
        if (${JSON.stringify(ending)} === 'terminate') setInterval(() => {}, 1000);
      \`, { eval: true, execArgv: [] });
      const pids = await new Promise((resolve) => worker.once('message', resolve));
      if (${JSON.stringify(ending)} === 'terminate') await worker.terminate();
      else await new Promise((resolve) => worker.once('exit', resolve));
      const state = (pid) => {
        try { return readFileSync('/proc/' + pid + '/stat', 'utf8').split(') ')[1][0]; } catch { return 'gone'; }
      };
      const deadline = Date.now() + 20000;
      while (Date.now() < deadline && pids.some((p) => state(p) !== 'gone')) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      console.log(JSON.stringify(pids.map(state)));
    `);
    assert.equal(r.status, 0, r.stderr);
    const states = JSON.parse(r.stdout);
    assert.equal(states.length, 20);
    assert.deepEqual(
      states.filter((s) => s !== 'gone'),
      [],
      'every child was reaped',
    );
  });
}

test('pdeathsig in a Worker is refused with ERR_FORKEXEC_PDEATHSIG_IN_WORKER', () => {
  const r = runNode(`
    import { Worker } from 'node:worker_threads';
    const worker = new Worker(\`
      const { spawn, spawnSync } = require('forkexec');
      const { parentPort } = require('node:worker_threads');
      const codes = [];
      for (const start of [spawn, spawnSync]) {
        try {
          start('true', [], { pdeathsig: 'SIGKILL' });
          codes.push('started');
        } catch (e) {
          codes.push(e.code + ' ' + /Worker/.test(e.message));
        }
      }
      parentPort.postMessage(codes);
    \`, { eval: true, execArgv: [] });
    console.log(JSON.stringify(await new Promise((resolve) => worker.once('message', resolve))));
  `);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), [
    'ERR_FORKEXEC_PDEATHSIG_IN_WORKER true',
    'ERR_FORKEXEC_PDEATHSIG_IN_WORKER true',
  ]);
  // On the main thread it stays available.
  assert.equal(spawnSync('true', [], { pdeathsig: 'SIGKILL' }).exitCode, 0);
});

test('kill() of a child that exited but is not yet reaped: false, killed stays false', async () => {
  for (const method of ['posix_spawn', 'vfork', 'fork']) {
    const child = spawn('sleep', ['0.1'], { method });
    waitUntilZombie(child.pid);
    assert.equal(child.kill('SIGKILL'), false, method);
    assert.equal(child.killed, false, method);
    const result = await child;
    assert.equal(result.exitCode, 0, method);
    assert.equal(result.signal, null, method);
  }
  // A running child is still signalled.
  const sleeper = spawn('sleep', ['30'], { reject: false });
  assert.equal(sleeper.kill(), true);
  assert.equal(sleeper.killed, true);
  assert.equal((await sleeper).signal, 'SIGTERM');
});

test('kill() of an exited, unreaped child is false on the SIGCHLD exit watch too', () => {
  const r = runNode(
    `
    import { spawn } from 'forkexec';
    import { readFileSync } from 'node:fs';
    // Still running when spawn() registers it (the SIGCHLD watch looks once then).
    const child = spawn('sleep', ['0.2']);
    const nap = new Int32Array(new SharedArrayBuffer(4));
    while (readFileSync('/proc/' + child.pid + '/stat', 'utf8').split(') ')[1][0] !== 'Z') {
      Atomics.wait(nap, 0, 0, 5);
    }
    const sent = child.kill('SIGKILL');
    const result = await child;
    console.log(JSON.stringify({ sent, killed: child.killed, exitCode: result.exitCode }));
  `,
    { env: { ...process.env, FORKEXEC_EXIT_WATCH: 'sigchld' } },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { sent: false, killed: false, exitCode: 0 });
});

test("a child's uid/gid/groups never change the parent (it stays dumpable)", (t) => {
  assert.throws(() => spawn('true', [], { uid: 1, method: 'vfork' }), {
    code: 'ERR_INVALID_ARG_VALUE',
    message: /options\.method.*non-dumpable/,
  });
  assert.throws(() => spawnSync('true', [], { groups: [], method: 'vfork' }), {
    code: 'ERR_INVALID_ARG_VALUE',
  });
  const setpriv = cpSpawnSync('setpriv', ['--version']);
  if (process.getuid() !== 0 || setpriv.status !== 0) {
    t.skip('needs root and setpriv to start a parent that is not root but may change ids');
    return;
  }
  const unreadable = cannotRunAs(1000);
  if (unreadable) {
    t.skip(unreadable);
    return;
  }
  // A parent that is not root (so that /proc/self shows its own uid while it
  // is dumpable, and root's once it is not) but has CAP_SETUID/CAP_SETGID.
  const source = `
    import { spawn, spawnSync } from 'forkexec';
    import { statSync } from 'node:fs';
    const owner = () => statSync('/proc/self/status').uid;
    const seen = [owner()];
    const methods = [];
    for (const ids of [{ uid: 1001 }, { gid: 1001 }, { uid: 1001, gid: 1001, groups: [1001] }]) {
      methods.push(spawnSync('true', [], ids).method);
      seen.push(owner());
      methods.push((await spawn('true', [], { ...ids, method: 'fork' })).method);
      seen.push(owner());
    }
    console.log(JSON.stringify({ uid: process.getuid(), seen, methods }));
  `;
  const r = cpSpawnSync(
    'setpriv',
    [
      '--reuid=1000',
      '--regid=1000',
      '--clear-groups',
      '--inh-caps=+setuid,+setgid',
      '--ambient-caps=+setuid,+setgid',
      process.execPath,
      '--input-type=module',
      '-e',
      source,
    ],
    { cwd: root, encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  const { uid, seen, methods } = JSON.parse(r.stdout);
  assert.equal(uid, 1000);
  assert.deepEqual(seen, [1000, 1000, 1000, 1000, 1000, 1000, 1000]);
  assert.deepEqual(methods, ['fork', 'fork', 'fork', 'fork', 'fork', 'fork']);
});

test('fds targets up to RLIMIT_NOFILE - 1 work with every method; at the limit, a RangeError names options.fds', () => {
  const { dir, cleanup } = tempDir();
  try {
    const r = runNode(`
      import { spawnSync } from 'forkexec';
      import { spawnSync as cpSpawnSync } from 'node:child_process';
      import { closeSync, openSync, readFileSync } from 'node:fs';
      const set = cpSpawnSync('prlimit', ['--pid', String(process.pid), '--nofile=20000:20000']);
      if (set.status !== 0) throw new Error('prlimit: ' + set.stderr);
      const out = [];
      for (const method of ['posix_spawn', 'vfork', 'fork']) {
        for (const target of [19998, 19999]) {
          const file = ${JSON.stringify(dir)} + '/' + method + target;
          const fd = openSync(file, 'w');
          try {
            spawnSync('bash', ['-c', 'echo ' + target + ' >&' + target], { fds: { [target]: fd }, method });
          } finally {
            closeSync(fd);
          }
          out.push(method + ' ' + readFileSync(file, 'utf8').trim());
        }
        try {
          spawnSync('true', [], { fds: { 20000: 1 }, method });
          out.push(method + ' started');
        } catch (e) {
          out.push(method + ' ' + e.code + ' ' + /options\\.fds\\.20000/.test(e.message));
        }
      }
      console.log(JSON.stringify(out));
    `);
    assert.equal(r.status, 0, r.stderr);
    const lines = JSON.parse(r.stdout);
    for (const method of ['posix_spawn', 'vfork', 'fork']) {
      assert.ok(lines.includes(`${method} 19998`), lines.join('\n'));
      assert.ok(lines.includes(`${method} 19999`), lines.join('\n'));
      assert.ok(lines.includes(`${method} ERR_OUT_OF_RANGE true`), lines.join('\n'));
    }
  } finally {
    cleanup();
  }
});

/** A process group id that no process has (setpgid to it fails with EPERM). */
function unusedPgid() {
  const max = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
  for (let pid = max - 1; pid > 1; pid--) if (!existsSync(`/proc/${pid}`)) return pid;
  throw new Error('no free pid');
}

test('a failing setpgid under posix_spawn is not reported as execve of the file', async () => {
  const pgid = unusedPgid();
  // auto: the step is found (the child path names it).
  assert.throws(
    () => spawnSync('true', [], { pgid }),
    (e) => e.code === 'EPERM' && e.syscall === 'setpgid' && e.path === undefined,
  );
  await assert.rejects(
    spawn('true', [], { pgid }),
    (e) => e.code === 'EPERM' && e.syscall === 'setpgid' && e.path === undefined,
  );
  // Forced posix_spawn: the step is unknown, and said to be.
  assert.throws(
    () => spawnSync('true', [], { pgid, method: 'posix_spawn' }),
    (e) => e.code === 'EPERM' && e.syscall === 'posix_spawn' && e.path === undefined,
  );
  assert.deepEqual(children(), []);
});

test('spawnSync whose child is reaped by someone else throws ECHILD (not "exit code ?")', () => {
  // A Worker reaps the main thread's child behind its back (as a
  // waitpid(-1) elsewhere in the process would). It spins on WNOHANG so as
  // to win the race for the exit against spawnSync's own wait; a round that
  // spawnSync wins is not counted.
  const r = runNode(`
    import { Worker } from 'node:worker_threads';
    import { spawnSync } from 'forkexec';
    const seen = [];
    for (let round = 0; round < 20 && !seen.includes('reaped ECHILD waitid'); round++) {
      const shared = new Int32Array(new SharedArrayBuffer(4));
      const worker = new Worker(\`
        const { posix } = require('forkexec');
        const { readFileSync, readdirSync } = require('node:fs');
        const { parentPort, workerData: shared } = require('node:worker_threads');
        parentPort.postMessage('ready');
        const deadline = Date.now() + 30000;
        let pid = 0;
        while (pid === 0 && Date.now() < deadline) {
          for (const task of readdirSync('/proc/self/task')) {
            const kids = readFileSync('/proc/self/task/' + task + '/children', 'utf8').trim();
            for (const kid of kids ? kids.split(' ') : []) {
              let comm = '';
              try { comm = readFileSync('/proc/' + kid + '/comm', 'utf8').trim(); } catch {}
              if (comm === 'sleep') pid = Number(kid);
            }
          }
        }
        try {
          while (posix.waitpid(pid, posix.constants.WNOHANG) === null) {}
          Atomics.store(shared, 0, 1);
        } catch {
          Atomics.store(shared, 0, 2);
        }
      \`, { eval: true, execArgv: [], workerData: shared });
      await new Promise((resolve) => worker.once('message', resolve));
      let outcome;
      try {
        outcome = 'returned ' + spawnSync('sleep', ['0.2']).exitCode;
      } catch (e) {
        outcome = e.code + ' ' + e.syscall;
      }
      await new Promise((resolve) => worker.once('exit', resolve));
      seen.push((Atomics.load(shared, 0) === 1 ? 'reaped ' : 'lost ') + outcome);
    }
    console.log(JSON.stringify(seen));
  `);
  assert.equal(r.status, 0, r.stderr);
  const seen = JSON.parse(r.stdout);
  // Whoever lost the race: spawnSync says ECHILD when the Worker reaped first.
  for (const round of seen) assert.match(round, /^(reaped ECHILD waitid|lost returned 0)$/);
  assert.ok(seen.includes('reaped ECHILD waitid'), seen.join('\n'));
});

test('the child path is not instrumented by the sanitizers (Fail() included)', (t) => {
  const gcc = cpSpawnSync('gcc', ['--version']);
  const objdump = cpSpawnSync('objdump', ['--version']);
  if (gcc.status !== 0 || objdump.status !== 0) {
    t.skip('needs gcc and objdump');
    return;
  }
  const { dir, cleanup } = tempDir();
  try {
    const object = join(dir, 'child_path.o');
    const cc = cpSpawnSync('gcc', [
      '-c',
      '-O2',
      '-D_GNU_SOURCE',
      '-fsanitize=address,undefined',
      join(root, 'native', 'child_path.c'),
      '-o',
      object,
    ]);
    if (cc.status !== 0 && /libasan|sanitize/.test(String(cc.stderr))) {
      t.skip('gcc here cannot build with the sanitizers');
      return;
    }
    assert.equal(cc.status, 0, String(cc.stderr));
    const listing = cpSpawnSync('objdump', ['-dr', object], { encoding: 'utf8' }).stdout;
    // Every function of the file runs in the child, but the one that names
    // a step for the parent.
    const functions = listing.split(/\n(?=[0-9a-f]+ <)/).filter((f) => /^[0-9a-f]+ </.test(f));
    const names = functions.map((f) => /<([^>]+)>/.exec(f)[1]);
    assert.ok(names.includes('ChildPathRun'), names.join(' '));
    assert.ok(names.includes('Fail'), `Fail is a function of its own: ${names.join(' ')}`);
    for (const f of functions) {
      const name = /<([^>]+)>/.exec(f)[1];
      if (name === 'ChildStepSyscall' || name.startsWith('_sub_')) continue;
      assert.doesNotMatch(f, /__asan|__ubsan/, `${name} is instrumented`);
    }
  } finally {
    cleanup();
  }
});
