// Exit watching without threads: many children at once, side by side with
// child_process, forgotten children reaped, no signal after the reap, the
// SIGCHLD fallback, pdeathsig.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { spawn as nodeSpawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn } from 'forkexec';
import { children, runNode } from './helpers.mjs';

/** Polls `check` on the event loop until it holds (or gives up after many tries). */
async function eventually(check, tries = 500) {
  for (let i = 0; i < tries; i++) {
    if (check()) return true;
    await sleep(20);
  }
  return check();
}

test('200 children alive at once and fs.readFile still completes', async () => {
  const kids = [];
  for (let i = 0; i < 200; i++) kids.push(spawn('sleep', ['60'], { stdio: 'ignore' }));
  try {
    const alive = children().filter((c) => kids.some((k) => k.pid === c.pid) && c.state !== 'Z');
    assert.equal(alive.length, 200);
    // The threadpool is free: no thread waits for a child.
    const text = await readFile(new URL(import.meta.url), 'utf8');
    assert.match(text, /200 children alive/);
  } finally {
    for (const k of kids) k.kill('SIGKILL');
  }
  const results = await Promise.all(kids.map((k) => k.then(undefined, (e) => e)));
  for (const r of results) assert.equal(r.signal, 'SIGKILL');
});

test('forkexec and child_process side by side: every exit reaches its owner', async () => {
  const runs = [];
  for (let i = 0; i < 60; i++) {
    const code = i % 50;
    runs.push(
      spawn('sh', ['-c', `exit ${code}`], { reject: false, stdio: 'ignore' }).then((r) => {
        assert.equal(r.exitCode, code, 'forkexec child');
      }),
    );
    runs.push(
      new Promise((resolve, reject) => {
        const c = nodeSpawn('sh', ['-c', `exit ${code + 100}`], { stdio: 'ignore' });
        c.on('error', reject);
        c.on('exit', (exitCode) => {
          if (exitCode === code + 100) resolve();
          else reject(new Error(`child_process child exited ${exitCode}, wanted ${code + 100}`));
        });
      }),
    );
  }
  await Promise.all(runs);
});

test('a child nobody awaits is still reaped (no zombie)', async () => {
  const pids = [];
  for (let i = 0; i < 10; i++) pids.push(spawn('true', [], { stdio: 'ignore' }).pid);
  // Not awaited; the exit watcher reaps on the loop.
  const gone = await eventually(() => !children().some((c) => pids.includes(c.pid)));
  assert.ok(gone, 'forgotten children were reaped');
});

test('a failing child nobody awaits is not an unhandled rejection', () => {
  const r = runNode(`
    import { spawn } from 'forkexec';
    spawn('false');
    spawn('/no/such/file');
    setTimeout(() => console.log('still here'), 200);
  `);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'still here\n');
});

test('kill() after the reap never signals (returns false)', async () => {
  const child = spawn('true');
  const result = await child;
  assert.equal(result.exitCode, 0);
  assert.equal(child.kill('SIGKILL'), false);
  assert.equal(child.kill(0), false);
  assert.equal(child.killed, false);

  const sleeper = spawn('sleep', ['60']);
  assert.equal(sleeper.kill(), true);
  assert.equal(sleeper.killed, true);
  const e = await sleeper.catch((error) => error);
  assert.equal(e.signal, 'SIGTERM');
  assert.equal(sleeper.kill(), false);
});

test("'exit' and 'close' events, the exited promise, exitCode and signalCode", async () => {
  const child = spawn('sh', ['-c', 'echo out; exit 7'], { reject: false });
  const events = [];
  child.on('exit', (code, signal) => events.push(['exit', code, signal]));
  child.on('close', (code, signal) => events.push(['close', code, signal]));
  const status = await child.exited;
  assert.equal(status.exitCode, 7);
  const result = await child;
  assert.deepEqual(events, [
    ['exit', 7, null],
    ['close', 7, null],
  ]);
  assert.equal(child.exitCode, 7);
  assert.equal(child.signalCode, null);
  assert.equal(result.stdout, 'out\n');
  assert.equal(typeof result.durationMs, 'number');
  assert.equal(result.pid, child.pid);
  assert.equal(result.command, 'sh -c echo out; exit 7');
});

test('SIGCHLD fallback (kernels without pidfds) reaps only our own pids', () => {
  const r = runNode(
    `
    import { spawn } from 'forkexec';
    import { spawn as nodeSpawn } from 'node:child_process';
    const ours = [];
    const theirs = [];
    for (let i = 0; i < 20; i++) {
      ours.push(spawn('sh', ['-c', 'exit ' + i], { reject: false, stdio: 'ignore' }).then((r) => r.exitCode));
      theirs.push(new Promise((resolve) => nodeSpawn('sh', ['-c', 'exit ' + (i + 50)]).on('exit', resolve)));
    }
    const killed = spawn('sleep', ['60']);
    killed.kill('SIGKILL');
    const k = await killed.catch((e) => e.signal);
    console.log(JSON.stringify({ ours: await Promise.all(ours), theirs: await Promise.all(theirs), k, again: killed.kill() }));
  `,
    { env: { ...process.env, FORKEXEC_EXIT_WATCH: 'sigchld' } },
  );
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(
    out.ours,
    Array.from({ length: 20 }, (_, i) => i),
  );
  assert.deepEqual(
    out.theirs,
    Array.from({ length: 20 }, (_, i) => i + 50),
  );
  assert.equal(out.k, 'SIGKILL');
  assert.equal(out.again, false);
});

test('SIGCHLD fallback: a child reaped behind our back rejects with ECHILD instead of hanging', () => {
  const r = runNode(
    `
    import { spawn, posix } from 'forkexec';
    const child = spawn('sleep', ['0.2'], { stdio: 'ignore' });
    // Someone else reaps it (here: a blocking waitpid on its pid).
    const stolen = posix.waitpid(child.pid);
    const error = await child.then(() => null, (e) => ({ code: e.code, syscall: e.syscall }));
    console.log(JSON.stringify({ stolen: stolen.exitCode, error }));
  `,
    { env: { ...process.env, FORKEXEC_EXIT_WATCH: 'sigchld' } },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), {
    stolen: 0,
    error: { code: 'ECHILD', syscall: 'waitpid' },
  });
});

test('pdeathsig: the child gets the signal when the parent dies', async () => {
  const r = runNode(`
    import { spawn } from 'forkexec';
    const child = spawn('sleep', ['60'], { pdeathsig: 'SIGKILL', stdio: 'ignore' });
    child.unref();
    console.log(child.pid, child.method);
  `);
  assert.equal(r.status, 0, r.stderr);
  const [pid, method] = r.stdout.trim().split(' ');
  assert.equal(method, 'vfork');
  const dead = await eventually(() => {
    if (!existsSync(`/proc/${pid}`)) return true;
    try {
      return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
    } catch {
      return true;
    }
  });
  assert.ok(dead, `sleep ${pid} outlived its parent`);
});

test('spawn in a Worker; the Worker ends while its child runs; the process exits cleanly', () => {
  const r = runNode(`
    import { Worker } from 'node:worker_threads';
    const worker = new Worker(
      \`import { spawn } from 'forkexec';
       import { parentPort } from 'node:worker_threads';
       spawn('sh', ['-c', 'echo from-worker-child']).then((r) => {
         const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
         parentPort.postMessage({ out: r.stdout, pid: sleeper.pid });
       });\`,
      { eval: true },
    );
    const { out, pid } = await new Promise((resolve) => worker.once('message', resolve));
    await worker.terminate();
    process.kill(pid, 'SIGKILL');
    console.log(out.trim());
  `);
  assert.equal(r.signal, null);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'from-worker-child\n');
});
