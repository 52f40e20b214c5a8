// Every start method runs the same plan to the same child state: signal
// dispositions and mask, fds, cwd, environment, session; the child reports
// it from /proc/self.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { openSync, closeSync, existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { Process, forkserver, spawn } from 'forkexec';
import { root, tempDir, statusField } from './helpers.mjs';

const METHODS = ['posix_spawn', 'vfork', 'fork'];

function sigBit(hex, signal) {
  return (BigInt(`0x${hex}`) >> BigInt(signal - 1)) & 1n;
}

async function childState(method, options) {
  const run = async (file, args) => {
    const result = await spawn(file, args, { ...options, method });
    assert.equal(result.method, method, `${file} ran with ${result.method}`);
    return result.stdout;
  };
  const status = await run('cat', ['/proc/self/status']);
  const fields = {};
  for (const f of ['SigBlk', 'SigIgn', 'SigCgt', 'Uid', 'Gid', 'Groups']) {
    fields[f] = statusField(status, f);
  }
  // ls lists its own fds; pipe inode numbers differ from run to run.
  const fds = (await run('ls', ['-l', '/proc/self/fd']))
    .split('\n')
    .filter((l) => l.includes('->'))
    .map((l) =>
      l
        .slice(l.indexOf(' ', l.indexOf(':')) + 1)
        .replace(/pipe:\[\d+\]/, 'pipe')
        .replace(/\/proc\/\d+\//, '/proc/PID/'),
    )
    .join('\n');
  const shell = await run('sh', ['-c', 'pwd; umask; echo "$FOO"; cat /proc/$$/stat']);
  const [pwd, umask, foo, stat] = shell.split('\n');
  const statFields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const pid = Number(stat.split(' ')[0]);
  return {
    fields,
    fds,
    pwd,
    umask,
    foo,
    sessionLeader: Number(statFields[3]) === pid,
    groupLeader: Number(statFields[2]) === pid,
  };
}

test('posix_spawn, vfork and fork give the same child for the same plan', async () => {
  const { dir, cleanup } = tempDir();
  const extra = openSync(join(dir, 'extra'), 'w');
  try {
    const options = {
      cwd: dir,
      env: { PATH: process.env.PATH, FOO: 'bar' },
      stdio: ['ignore', 'pipe', 'pipe'],
      fds: { 5: extra },
      setsid: true,
    };
    const states = {};
    for (const method of METHODS) states[method] = await childState(method, options);
    const first = states.posix_spawn;
    assert.equal(first.pwd, realpathSync(dir));
    assert.equal(first.foo, 'bar');
    assert.equal(first.sessionLeader, true);
    assert.equal(first.fields.SigBlk, '0000000000000000', 'signal mask cleared');
    assert.equal(sigBit(first.fields.SigIgn, 13), 0n, 'SIGPIPE not ignored (Node ignores it)');
    assert.match(first.fds, /0 -> \/dev\/null/);
    assert.match(first.fds, /1 -> pipe/);
    assert.match(first.fds, /2 -> pipe/);
    assert.match(first.fds, new RegExp(`5 -> ${join(dir, 'extra')}`));
    for (const method of ['vfork', 'fork']) assert.deepEqual(states[method], first, method);
  } finally {
    closeSync(extra);
    cleanup();
  }
});

test('the parent ignoring or handling signals does not reach the child', async (t) => {
  const handler = () => undefined;
  process.on('SIGUSR2', handler);
  t.after(() => process.removeListener('SIGUSR2', handler));
  for (const method of METHODS) {
    const { stdout } = await spawn('cat', ['/proc/self/status'], { method });
    const ignored = statusField(stdout, 'SigIgn');
    const caught = statusField(stdout, 'SigCgt');
    assert.equal(sigBit(ignored, 13), 0n, `${method}: SIGPIPE`);
    assert.equal(sigBit(caught, 12), 0n, `${method}: SIGUSR2`);
    assert.equal(statusField(stdout, 'SigBlk'), '0000000000000000', method);
  }
});

test('what posix_spawn cannot express runs the same under vfork and fork', async () => {
  const options = { umask: 0o027, rlimits: { nofile: [123, 456] }, pgid: 0 };
  const outputs = {};
  for (const method of ['vfork', 'fork']) {
    const r = await spawn('sh', ['-c', 'umask; ulimit -n; ulimit -Hn; cat /proc/$$/stat'], {
      ...options,
      method,
    });
    assert.equal(r.method, method);
    const [umask, soft, hard, stat] = r.stdout.split('\n');
    const pid = Number(stat.split(' ')[0]);
    const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
    outputs[method] = { umask, soft, hard, groupLeader: pgrp === pid };
  }
  assert.deepEqual(outputs.vfork, { umask: '0027', soft: '123', hard: '456', groupLeader: true });
  assert.deepEqual(outputs.fork, outputs.vfork);
  // auto picks vfork for this plan; posix_spawn refuses it.
  assert.equal((await spawn('true', options)).method, 'vfork');
  assert.equal((await spawn('true')).method, 'posix_spawn');
  await assert.rejects(spawn('true', { ...options, method: 'posix_spawn' }), {
    code: 'ENOTSUP',
    syscall: 'posix_spawn',
  });
});

test('uid, gid and groups as root: setgroups, setgid, setuid in the child', async (t) => {
  if (process.getuid() !== 0) {
    t.skip('needs root to change credentials');
    return;
  }
  // Never vfork: see test/hardening-native.test.mjs (the parent would become non-dumpable).
  for (const method of ['fork', 'auto']) {
    const { stdout, method: ran } = await spawn('cat', ['/proc/self/status'], {
      uid: 1234,
      gid: 2345,
      groups: [3456, 4567],
      method,
    });
    assert.equal(ran, 'fork');
    assert.equal(statusField(stdout, 'Uid'), '1234\t1234\t1234\t1234', method);
    assert.equal(statusField(stdout, 'Gid'), '2345\t2345\t2345\t2345', method);
    assert.equal(statusField(stdout, 'Groups'), '3456 4567', method);
  }
});

test("uid alone drops the parent's supplementary groups, as libuv does", (t) => {
  if (process.getuid() !== 0 || !existsSync('/usr/bin/setpriv')) {
    t.skip('needs root and setpriv to give the parent supplementary groups');
    return;
  }
  // The parent runs with groups of its own, so that dropping them shows.
  const script = `
    import { spawn } from 'forkexec';
    import { readFileSync } from 'node:fs';
    const own = readFileSync('/proc/self/status', 'utf8');
    const { stdout } = await spawn('cat', ['/proc/self/status'], { uid: 1234 });
    console.log(JSON.stringify({ own, child: stdout }));
  `;
  const run = spawnSync(
    'setpriv',
    ['--groups=111,222', process.execPath, '--input-type=module', '-e', script],
    { cwd: root, encoding: 'utf8' },
  );
  assert.equal(run.status, 0, run.stderr);
  const { own, child } = JSON.parse(run.stdout);
  assert.equal(statusField(own, 'Groups'), '111 222', 'the parent has the groups');
  assert.equal(statusField(child, 'Groups'), '', 'the child has none of them');
  assert.equal(statusField(child, 'Uid'), '1234\t1234\t1234\t1234');
  assert.equal(statusField(child, 'Gid').split('\t')[0], statusField(own, 'Gid').split('\t')[0]);
});

test('uids and gids of 2^31 and above are set, not wrapped into "leave it"', async (t) => {
  if (process.getuid() !== 0) {
    t.skip('needs root to change credentials');
    return;
  }
  const uid = 2 ** 31 + 5;
  const gid = 2 ** 32 - 2;
  for (const method of ['fork', 'auto']) {
    const { stdout } = await spawn('cat', ['/proc/self/status'], {
      uid,
      gid,
      groups: [gid],
      method,
    });
    assert.equal(statusField(stdout, 'Uid'), Array(4).fill(uid).join('\t'), method);
    assert.equal(statusField(stdout, 'Gid'), Array(4).fill(gid).join('\t'), method);
    assert.equal(statusField(stdout, 'Groups'), String(gid), method);
  }
});

test('pgid > 0 joins an existing group; setsid with pgid is refused before any start', async () => {
  const leader = spawn('sleep', ['30'], { pgid: 0, stdio: 'ignore', reject: false });
  try {
    for (const method of METHODS) {
      const { stdout } = await spawn('cat', ['/proc/self/stat'], { pgid: leader.pid, method });
      // The fifth field of /proc/<pid>/stat (after "pid (comm) state ppid") is the group.
      const pgrp = Number(stdout.slice(stdout.lastIndexOf(')') + 2).split(' ')[2]);
      assert.equal(pgrp, leader.pid, method);
    }
  } finally {
    leader.kill('SIGKILL');
    await leader;
  }
  for (const pgid of [0, 1234]) {
    assert.throws(() => spawn('true', { setsid: true, pgid }), {
      code: 'ERR_INVALID_ARG_VALUE',
      message: /cannot be combined with setsid/,
    });
  }
});

test('SIGPIPE works in the child: a writer into a closed pipe dies quietly', async () => {
  for (const method of METHODS) {
    // With SIGPIPE ignored, `yes` would see EPIPE and complain on stderr.
    const r = await spawn('sh', ['-c', 'yes | head -n 1'], { method });
    assert.equal(r.stdout, 'y\n', method);
    assert.equal(r.stderr, '', method);
  }
});

// What CPython's subprocess gives a child (its _posixsubprocess child path,
// restore_signals=True): the reference for "the state a program normally
// starts in". A child started by a program, never by this node.
function pythonChildState(argv) {
  const run = spawnSync(
    'python3',
    [
      '-c',
      'import subprocess, sys; sys.stdout.write(subprocess.run(sys.argv[1:], capture_output=True, text=True).stdout)',
      ...argv,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(run.status, 0, run.stderr);
  return run.stdout;
}

const SIGNAL_FIELDS = ['SigIgn', 'SigBlk', 'SigCgt'];

function signalFields(status) {
  return Object.fromEntries(SIGNAL_FIELDS.map((f) => [f, statusField(status, f)]));
}

test("every method's child has the signal state of CPython's subprocess child: none ignored, none blocked", async (t) => {
  if (spawnSync('python3', ['-c', 'pass']).status !== 0) {
    t.skip('needs python3 for the reference child');
    return;
  }
  const reference = signalFields(pythonChildState(['cat', '/proc/self/status']));
  assert.deepEqual(reference, {
    SigIgn: '0000000000000000',
    SigBlk: '0000000000000000',
    SigCgt: '0000000000000000',
  });
  for (const method of [...METHODS, 'auto']) {
    const { stdout } = await spawn('cat', ['/proc/self/status'], { method });
    assert.deepEqual(signalFields(stdout), reference, method);
  }
  // The raw posix_spawn, given every signal (32 and 33 by number), too.
  const { stdout } = await spawn(
    'sh',
    [
      '-c',
      `exec ${process.execPath} -e "
      const { posix } = require('forkexec');
      const [r, w] = posix.pipe();
      const every = Array.from({ length: 64 }, (_, i) => i + 1);
      const pid = posix.posixSpawn('/bin/cat', ['cat', '/proc/self/status'], {
        fileActions: [{ action: 'dup2', fd: w, newFd: 1 }], setsigdef: every, setsigmask: [] });
      posix.close(w);
      posix.waitpid(pid);
      process.stdout.write(require('node:fs').readFileSync(r));"`,
    ],
    { cwd: root },
  );
  assert.deepEqual(signalFields(stdout), reference, 'posix.posixSpawn with every signal');
});

for (const startMethod of ['spawn', 'forkserver']) {
  test(`Process children (${startMethod}) start as a node started by CPython's subprocess`, async (t) => {
    if (spawnSync('python3', ['-c', 'pass']).status !== 0) {
      t.skip('needs python3 for the reference child');
      return;
    }
    const module = join(root, 'test', 'fixtures', 'targets.mjs');
    const script = `import { signalState } from ${JSON.stringify(module)}; console.log(JSON.stringify(await signalState()))`;
    // node's own start-up ignores SIGPIPE and SIGXFSZ: the same in every node;
    // anything more ignored or blocked was inherited. Caught signals are not
    // compared: exec resets handlers, so SigCgt is what that node installed
    // itself (Node 24 adds SIGUSR2 in a child that runs with a channel).
    const { SigIgn, SigBlk } = JSON.parse(
      pythonChildState([process.execPath, '--input-type=module', '-e', script]),
    );
    assert.equal(SigIgn, '0000000001001000');
    try {
      const state = await new Process({
        target: { module, export: 'signalState' },
        startMethod,
      }).run();
      assert.deepEqual({ SigIgn: state.SigIgn, SigBlk: state.SigBlk }, { SigIgn, SigBlk });
    } finally {
      await forkserver.stop();
    }
  });
}
