// posix_spawn with each file action and attribute: the child reports what it
// sees, from /proc and from its own shell.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSync, closeSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { posix } from 'forkexec';
import {
  maskHas,
  spawnCapture,
  statFields,
  statusField,
  tempDir,
  openFds,
  children,
  waitUntilAsleep,
} from './helpers.mjs';

const { constants } = posix;

test('posixSpawn runs a program, posixSpawnp finds it on PATH', () => {
  assert.equal(spawnCapture('/bin/echo', ['echo', 'a b', 'c']).stdout, 'a b c\n');
  const { stdout, status } = spawnCapture('/bin/echo', ['echo', 'found'], { env: process.env });
  assert.equal(stdout, 'found\n');
  assert.equal(status.exitCode, 0);
  const viaPath = posix.posixSpawnp('sh', ['sh', '-c', 'exit 4']);
  assert.equal(posix.waitpid(viaPath).exitCode, 4);
});

test('env replaces the environment; the default is process.env', () => {
  const own = spawnCapture('/bin/sh', ['sh', '-c', 'echo "$ONLY:$HOME"'], { env: { ONLY: 'x' } });
  assert.equal(own.stdout, 'x:\n');
  process.env.FORKEXEC_INHERITED = 'yes';
  try {
    assert.equal(spawnCapture('/bin/sh', ['sh', '-c', 'echo $FORKEXEC_INHERITED']).stdout, 'yes\n');
  } finally {
    delete process.env.FORKEXEC_INHERITED;
  }
});

test('file action open: the child writes through the fd it was given', () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = join(dir, 'out.txt');
    const { status } = spawnCapture('/bin/sh', ['sh', '-c', 'echo hello >&5'], {
      fileActions: [{ action: 'open', fd: 5, path: file, flags: 'w', mode: 0o600 }],
    });
    assert.equal(status.exitCode, 0);
    assert.equal(readFileSync(file, 'utf8'), 'hello\n');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    // Numeric flags and reading.
    const read = spawnCapture('/bin/sh', ['sh', '-c', 'cat <&6'], {
      fileActions: [{ action: 'open', fd: 6, path: file, flags: constants.O_RDONLY }],
    });
    assert.equal(read.stdout, 'hello\n');
  } finally {
    cleanup();
  }
});

test('file action open of a missing file fails the spawn with ENOENT', () => {
  assert.throws(
    () =>
      posix.posixSpawn('/bin/true', ['true'], {
        fileActions: [{ action: 'open', fd: 3, path: '/nonexistent/x', flags: 'r' }],
      }),
    { code: 'ENOENT', syscall: 'posix_spawn' },
  );
});

/** Spawns `sleep`, returns the fds open in it after exec, then kills and reaps it. */
function childFds(options) {
  // posix_spawn returns once the child has exec'd (glibc uses CLONE_VFORK).
  const pid = posix.posixSpawn('/bin/sleep', ['sleep', '30'], options);
  try {
    assert.match(readFileSync(`/proc/${pid}/stat`, 'utf8'), /\(sleep\)/);
    waitUntilAsleep(pid);
    return new Set(readdirSync(`/proc/${pid}/fd`).map(Number));
  } finally {
    posix.kill(pid, 'SIGKILL');
    posix.waitpid(pid);
  }
}

test('stdio is inherited by default although Node marks it close-on-exec', () => {
  assert.ok(posix.getCloexec(1), 'Node sets FD_CLOEXEC on 0-2 at start-up');
  assert.deepEqual(
    [...childFds({})].filter((fd) => fd <= 2),
    [0, 1, 2],
  );
  assert.deepEqual(
    [...childFds({ inheritStdio: false })].filter((fd) => fd <= 2),
    [],
    'without it the child has no stdio',
  );
});

test('file action close: an inheritable fd is closed in the child', () => {
  const [r, w] = posix.pipe({ cloexec: false });
  try {
    assert.ok(childFds({}).has(w), 'control: without the action the child inherits it');
    const fds = childFds({ fileActions: [{ action: 'close', fd: w }] });
    assert.ok(!fds.has(w));
    assert.ok(fds.has(r));
  } finally {
    posix.close(r);
    posix.close(w);
  }
});

test('file action closefrom: only 0-2 remain', () => {
  const [r, w] = posix.pipe({ cloexec: false });
  const extra = posix.dup2(r, 40);
  try {
    assert.ok(childFds({}).has(extra), 'control: the fds are inheritable');
    const fds = childFds({ fileActions: [{ action: 'closefrom', fd: 3 }] });
    assert.deepEqual(
      [...fds].sort((a, b) => a - b),
      [0, 1, 2],
    );
  } finally {
    for (const fd of [r, w, extra]) posix.close(fd);
  }
});

test('file action dup2 places an fd, including over one that is already there', () => {
  const { stdout } = spawnCapture('/bin/sh', ['sh', '-c', 'echo to-stderr >&2'], {
    fileActions: [{ action: 'dup2', fd: 1, newFd: 2 }],
  });
  assert.equal(stdout, 'to-stderr\n');
});

test('file actions chdir and fchdir set the working directory', () => {
  const { dir, cleanup } = tempDir();
  try {
    const real = realpathSync(dir);
    assert.equal(
      spawnCapture('/bin/sh', ['sh', '-c', 'pwd -P'], {
        fileActions: [{ action: 'chdir', path: dir }],
      }).stdout,
      `${real}\n`,
    );
    const dirFd = openSync(dir, 'r');
    try {
      const { stdout } = spawnCapture('/bin/sh', ['sh', '-c', 'pwd -P'], {
        fileActions: [{ action: 'fchdir', fd: dirFd }],
      });
      assert.equal(stdout, `${real}\n`);
    } finally {
      closeSync(dirFd);
    }
    assert.throws(
      () =>
        posix.posixSpawn('/bin/true', ['true'], {
          fileActions: [{ action: 'chdir', path: join(dir, 'missing') }],
        }),
      { code: 'ENOENT' },
    );
  } finally {
    cleanup();
  }
});

function childStat(options) {
  const { stdout } = spawnCapture('/bin/cat', ['cat', '/proc/self/stat'], options);
  const [, , pgrp, session] = statFields(stdout);
  const pid = Number(stdout.split(' ')[0]);
  return { pid, pgrp: Number(pgrp), session: Number(session) };
}

test('attribute setpgroup: 0 makes a new group led by the child, a pid joins that group', () => {
  const control = childStat({});
  assert.equal(control.pgrp, posix.getpgid(0));
  const own = childStat({ setpgroup: 0 });
  assert.equal(own.pgrp, own.pid);
  // Join an existing group: a sleeping leader of its own group.
  const leader = posix.posixSpawn('/bin/sleep', ['sleep', '30'], { setpgroup: 0 });
  try {
    assert.equal(childStat({ setpgroup: leader }).pgrp, leader);
  } finally {
    posix.kill(leader, 'SIGKILL');
    posix.waitpid(leader);
  }
});

test('attribute setsid: the child leads a new session', () => {
  const control = childStat({});
  assert.notEqual(control.session, control.pid);
  const own = childStat({ setsid: true });
  assert.equal(own.session, own.pid);
  assert.equal(own.pgrp, own.pid);
});

function childStatus(options) {
  return spawnCapture('/bin/cat', ['cat', '/proc/self/status'], options).stdout;
}

test('attribute setsigmask: the child starts with exactly that mask', () => {
  const usr1 = constants.signals.SIGUSR1;
  assert.ok(!maskHas(statusField(childStatus({}), 'SigBlk'), usr1), 'control: not blocked');
  const blocked = statusField(childStatus({ setsigmask: ['SIGUSR1', 'SIGHUP'] }), 'SigBlk');
  assert.ok(maskHas(blocked, usr1));
  assert.ok(maskHas(blocked, constants.signals.SIGHUP));
  assert.ok(!maskHas(blocked, constants.signals.SIGTERM));
});

test('attribute setsigdef: SIGPIPE, which Node ignores, is back to default', () => {
  const pipe = constants.signals.SIGPIPE;
  assert.ok(
    maskHas(statusField(childStatus({}), 'SigIgn'), pipe),
    'control: Node ignores SIGPIPE and a child inherits that',
  );
  assert.ok(!maskHas(statusField(childStatus({ setsigdef: ['SIGPIPE'] }), 'SigIgn'), pipe));
});

test(
  'attribute resetids: effective ids go back to the real ones',
  { skip: process.getuid() !== 0 && 'needs root to change the effective uid' },
  async () => {
    const { runNode } = await import('./helpers.mjs');
    const script = `
    import { posix } from 'forkexec';
    import { readSync, closeSync } from 'node:fs';
    function euid(resetids) {
      const [r, w] = posix.pipe();
      const pid = posix.posixSpawn('/bin/cat', ['cat', '/proc/self/status'], { resetids, fileActions: [{ action: 'dup2', fd: w, newFd: 1 }] });
      posix.close(w);
      let out = ''; const b = Buffer.alloc(65536); let n;
      while ((n = readSync(r, b, 0, b.length, null)) > 0) out += b.subarray(0, n).toString();
      closeSync(r); posix.waitpid(pid);
      return out.split('\\n').find((l) => l.startsWith('Uid:')).split(/\\s+/).slice(1, 3).join(',');
    }
    process.seteuid(65534);
    console.log(JSON.stringify({ kept: euid(false), reset: euid(true) }));
  `;
    const result = runNode(script);
    assert.equal(result.status, 0, result.stderr);
    const { kept, reset } = JSON.parse(result.stdout);
    assert.equal(kept, '0,65534');
    assert.equal(reset, '0,0');
  },
);

test('a spawned child is reaped by waitpid and leaves no fd behind', () => {
  const before = openFds().length;
  for (let i = 0; i < 50; i++) spawnCapture('/bin/true', ['true']);
  assert.equal(openFds().length, before);
  assert.deepEqual(
    children().filter((c) => c.state === 'Z'),
    [],
  );
});
