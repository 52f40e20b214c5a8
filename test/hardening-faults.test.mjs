// Faults: the kernel refusing (EMFILE, EAGAIN), an exec that fails after the
// lookup succeeded, children killed by every common signal, a child that
// stops reading. Each gives a clear error or status, and the parent keeps
// working afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn as cpSpawn, spawnSync as cpSpawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { spawn } from 'forkexec';
import { cannotRunAs, children, root, runNode, tempDir } from './helpers.mjs';

test('RLIMIT_NOFILE reached: pipes cannot be made, spawn rejects with EMFILE, then works again', () => {
  const run = runNode(`
    import { spawn } from 'forkexec';
    import { openSync, closeSync, readdirSync } from 'node:fs';
    import { spawnSync } from 'node:child_process';
    const limit = readdirSync('/proc/self/fd').length + 16;
    spawnSync('prlimit', ['--pid', String(process.pid), '--nofile=' + limit + ':' + limit]);
    const filler = [];
    try { for (;;) filler.push(openSync('/dev/null', 'r')); } catch (e) { if (e.code !== 'EMFILE') throw e; }
    let failure;
    try { await spawn('/bin/echo', ['no']); } catch (e) { failure = { code: e.code, syscall: e.syscall, errno: e.errno }; }
    for (const fd of filler) closeSync(fd);
    const after = await spawn('/bin/echo', ['works again']);
    console.log(JSON.stringify({ failure, after: after.stdout.trim() }));
  `);
  assert.equal(run.status, 0, run.stderr);
  const { failure, after } = JSON.parse(run.stdout);
  assert.equal(failure.code, 'EMFILE');
  assert.equal(failure.errno, -24);
  assert.equal(typeof failure.syscall, 'string');
  assert.equal(after, 'works again');
});

const canDropToNobody =
  process.getuid?.() === 0 && existsSync('/usr/bin/setpriv') && existsSync('/usr/bin/prlimit');

test(
  'RLIMIT_NPROC reached: spawn rejects with EAGAIN, then works again once the limit is raised',
  {
    skip: canDropToNobody
      ? cannotRunAs(65534)
      : 'needs root, setpriv and prlimit to run as a limited user',
    timeout: 120_000,
  },
  async () => {
    // RLIMIT_NPROC does not bind root: the parent runs as nobody. Its soft
    // limit is moved by a prlimit that also runs as nobody (a process may
    // move another's limits only with matching ids, or CAP_SYS_RESOURCE,
    // which this machine's root lacks); the hard limit stays, so the soft
    // one can go back up.
    const script = `
      import { spawn } from 'forkexec';
      import { createInterface } from 'node:readline';
      const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
      console.log('ready');
      await lines.next();
      let failure;
      try { await spawn('/bin/true', [], { stdio: 'ignore' }); } catch (e) { failure = e.code; }
      console.log(JSON.stringify({ failure }));
      await lines.next();
      const after = await spawn('/bin/echo', ['works again'], { stdio: ['ignore', 'pipe', 'ignore'] });
      console.log(JSON.stringify({ after: after.stdout.trim() }));
      process.exit(0);
    `;
    const asNobody = ['--reuid=65534', '--regid=65534', '--clear-groups'];
    // setpriv execs node in place: the pid is the script's.
    const parent = cpSpawn(
      'setpriv',
      [...asNobody, process.execPath, '--input-type=module', '-e', script],
      {
        cwd: root,
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    const exited = new Promise((resolve) => parent.on('exit', resolve));
    const setSoftNproc = (soft) =>
      cpSpawnSync(
        'setpriv',
        [...asNobody, 'prlimit', '--pid', String(parent.pid), `--nproc=${soft}:`],
        {
          encoding: 'utf8',
        },
      );
    try {
      const out = createInterface({ input: parent.stdout })[Symbol.asyncIterator]();
      assert.equal((await out.next()).value, 'ready');
      const hard = /^Max processes\s+\S+\s+(\S+)/m.exec(
        readFileSync(`/proc/${parent.pid}/limits`, 'utf8'),
      )?.[1];
      assert.ok(hard, 'the hard RLIMIT_NPROC of the parent');
      // Fewer tasks allowed than nobody has now (the parent's threads): no new process.
      const lowered = setSoftNproc(1);
      assert.equal(lowered.status, 0, lowered.stderr);
      parent.stdin.write('go\n');
      assert.deepEqual(JSON.parse((await out.next()).value), { failure: 'EAGAIN' });
      const raised = setSoftNproc(hard);
      assert.equal(raised.status, 0, raised.stderr);
      parent.stdin.write('go\n');
      assert.deepEqual(JSON.parse((await out.next()).value), { after: 'works again' });
      assert.equal(await exited, 0);
    } finally {
      parent.kill('SIGKILL');
      await exited;
    }
  },
);

test('an exec that fails after the lookup succeeded (interpreter gone): ENOENT from execve, no zombie, no fd', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const script = join(dir, 'orphan-script');
    writeFileSync(script, '#!/nonexistent/interpreter\necho never\n');
    chmodSync(script, 0o755);
    for (const method of ['posix_spawn', 'vfork', 'fork']) {
      await assert.rejects(spawn(script, [], { method }), (error) => {
        assert.equal(error.code, 'ENOENT', method);
        assert.equal(error.syscall, 'execve', method);
        assert.equal(error.path, script);
        return true;
      });
    }
    assert.deepEqual(children(), []);
  } finally {
    cleanup();
  }
});

test('a child killed by each common signal reports that signal by name', async () => {
  const signals = [
    'SIGHUP',
    'SIGINT',
    'SIGQUIT',
    'SIGILL',
    'SIGABRT',
    'SIGFPE',
    'SIGKILL',
    'SIGSEGV',
    'SIGPIPE',
    'SIGALRM',
    'SIGTERM',
    'SIGUSR1',
    'SIGUSR2',
    'SIGBUS',
    'SIGSYS',
    'SIGXCPU',
  ];
  for (const signal of signals) {
    // No core files: some of these dump core.
    const result = await spawn('/bin/sh', ['-c', `kill -${signal.slice(3)} $$`], {
      reject: false,
      rlimits: { CORE: 0 },
    });
    assert.equal(result.signal, signal);
    assert.equal(result.exitCode, null);
    await assert.rejects(
      spawn('/bin/sh', ['-c', `kill -${signal.slice(3)} $$`], { rlimits: { CORE: 0 } }),
      { signal },
    );
  }
});

test('a child that closes its stdin early while the parent writes: EPIPE reported, parent alive', async () => {
  const child = spawn('/bin/sh', ['-c', 'head -c 1 >/dev/null'], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  const pipeError = new Promise((resolve) => child.stdin.on('error', resolve));
  const chunk = Buffer.alloc(1 << 20, 0x61);
  for (let i = 0; i < 32; i++) child.stdin.write(chunk);
  child.stdin.end();
  const error = await pipeError;
  assert.equal(error.code, 'EPIPE');
  assert.equal((await child).exitCode, 0);
  // The parent carries on.
  assert.equal((await spawn('/bin/echo', ['alive'])).stdout, 'alive\n');
});
