// fork + the exec family, _exit, kill, pidfds, sessions and process groups,
// each with real processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { posix } from 'forkexec';
import { runNode, safeFlags } from './helpers.mjs';

/**
 * Runs `body` (ESM source with `posix` in scope) in a fresh node; returns its
 * stdout as JSON. The node is single-threaded by default: a child of a raw
 * posix.fork() that runs JavaScript (converting execve's arguments is enough)
 * can deadlock on a lock a V8 background thread held at the fork.
 */
function inNode(body, execArgv = safeFlags) {
  const result = runNode(`import { posix } from 'forkexec';\n${body}`, { execArgv });
  assert.equal(result.status, 0, `child node failed: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

test('execve replaces a forked child, which writes to the stdout it inherited', () => {
  const result = runNode(
    `import { posix } from 'forkexec';
    const pid = posix.fork();
    if (pid === 0) {
      try { posix.execve('/bin/sh', ['sh', '-c', 'echo "$MARK:$$"; exit 42'], { MARK: 'replaced' }); }
      finally { posix._exit(99); }
    }
    const status = posix.waitpid(pid);
    console.log(JSON.stringify({ pid, status }));`,
    { execArgv: ['--single-threaded'] },
  );
  assert.equal(result.status, 0, result.stderr);
  const [replaced, json] = result.stdout.trim().split('\n');
  const out = JSON.parse(json);
  // Before exec learned to keep fds 0-2 (Node makes them close-on-exec), sh's echo failed.
  assert.equal(replaced, `replaced:${out.pid}`);
  assert.equal(out.status.pid, out.pid);
  assert.equal(out.status.exitCode, 42);
});

test('the child of fork() runs JavaScript on the V8 heap and leaves with _exit', () => {
  for (const flags of [[], safeFlags]) {
    const out = inNode(
      `
      const big = Array.from({ length: 200000 }, (_, i) => ({ i }));
      const pid = posix.fork();
      if (pid === 0) posix._exit(big[199999].i % 256 === 63 ? 9 : 1);
      console.log(JSON.stringify(posix.waitpid(pid)));
    `,
      flags,
    );
    assert.equal(out.exitCode, 9, `with ${flags.join(' ') || 'no flags'}`);
  }
});

test('a failed execve throws ENOENT with syscall and path, in the child', () => {
  const out = inNode(`
    const pid = posix.fork();
    if (pid === 0) {
      try { posix.execve('/nonexistent/prog', ['prog']); }
      catch (e) { posix._exit(e.code === 'ENOENT' && e.errno === -2 && e.syscall === 'execve' && e.path === '/nonexistent/prog' ? 50 : 51); }
      posix._exit(52);
    }
    console.log(JSON.stringify(posix.waitpid(pid)));
  `);
  assert.equal(out.exitCode, 50);
});

test('execvp searches PATH and passes env', () => {
  const out = inNode(`
    const pid = posix.fork();
    if (pid === 0) {
      try { posix.execvp('sh', ['sh', '-c', 'test "$FOO" = bar && exit 7'], { FOO: 'bar', PATH: process.env.PATH }); }
      finally { posix._exit(99); }
    }
    console.log(JSON.stringify(posix.waitpid(pid)));
  `);
  assert.equal(out.exitCode, 7);
});

test('_exit ends the process at once, skipping exit listeners', () => {
  const result = runNode(`
    import { posix } from 'forkexec';
    process.on('exit', () => console.log('listener ran'));
    posix._exit(12);
  `);
  assert.equal(result.status, 12);
  assert.equal(result.stdout, '');
});

test('kill signals by name and by number', () => {
  for (const signal of ['SIGINT', 15]) {
    const pid = posix.posixSpawn('/bin/sleep', ['sleep', '60']);
    posix.kill(pid, signal);
    assert.equal(posix.waitpid(pid).signalNumber, signal === 'SIGINT' ? 2 : 15);
  }
  // Signal 0 probes: the process exists.
  posix.kill(process.pid, 0);
  assert.throws(() => posix.kill(-1, 'SIGKILL'), { code: 'ERR_INVALID_ARG_VALUE' });
});

test('pidfdOpen and pidfdSendSignal reach the child, never a recycled pid', () => {
  const pid = posix.posixSpawn('/bin/sleep', ['sleep', '60']);
  const pidfd = posix.pidfdOpen(pid);
  try {
    assert.equal(posix.getCloexec(pidfd), true, 'pidfds are always close-on-exec');
    posix.pidfdSendSignal(pidfd, 'SIGKILL');
    assert.equal(posix.waitid('pidfd', pidfd).signal, 'SIGKILL');
    // The process is gone: its pidfd can no longer signal anything.
    assert.throws(() => posix.pidfdSendSignal(pidfd, 'SIGKILL'), { code: 'ESRCH' });
  } finally {
    posix.close(pidfd);
  }
  assert.throws(() => posix.pidfdOpen(2 ** 22 + 12345), { code: 'ESRCH', syscall: 'pidfd_open' });
});

test('getpid and getppid come from the kernel', () => {
  assert.equal(posix.getpid(), process.pid);
  assert.equal(posix.getppid(), process.ppid);
  const out = inNode(`
    const pid = posix.fork();
    if (pid === 0) {
      // In the child process.pid is still the parent's; getpid is not.
      posix._exit(posix.getpid() !== process.pid && posix.getppid() === process.pid ? 0 : 1);
    }
    console.log(JSON.stringify(posix.waitpid(pid)));
  `);
  assert.equal(out.exitCode, 0);
});

test('setsid makes a session once, then fails with EPERM', () => {
  const out = inNode(`
    const pid = process.pid;
    // A process group leader cannot setsid: leave the group first via a fork.
    const child = posix.fork();
    if (child === 0) {
      let code = 0;
      try {
        if (posix.setsid() !== posix.getpid()) code = 1;
        try { posix.setsid(); code = 2; } catch (e) { if (e.code !== 'EPERM' || e.syscall !== 'setsid') code = 3; }
      } catch { code = 4; }
      posix._exit(code);
    }
    console.log(JSON.stringify(posix.waitpid(child)));
  `);
  assert.equal(out.exitCode, 0);
});

test('setpgid and getpgid', () => {
  const out = inNode(`
    posix.setpgid(0, 0);
    console.log(JSON.stringify({ pid: process.pid, pgid: posix.getpgid(0), same: posix.getpgid(process.pid) }));
  `);
  assert.equal(out.pgid, out.pid);
  assert.equal(out.same, out.pid);
  // A child that has already exec'd cannot be moved (EACCES).
  const pid = posix.posixSpawn('/bin/sleep', ['sleep', '60']);
  try {
    assert.throws(() => posix.setpgid(pid, 0), { code: 'EACCES', syscall: 'setpgid' });
  } finally {
    posix.kill(pid, 'SIGKILL');
    posix.waitpid(pid);
  }
});
