// waitpid and waitid decoding with real children: exit codes, signals, core
// dumps, WNOHANG, stops and continues.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { posix } from 'forkexec';
import { tempDir } from './helpers.mjs';

const { constants } = posix;
const sh = (script, options) => posix.posixSpawn('/bin/sh', ['sh', '-c', script], options);
const sleeper = () => posix.posixSpawn('/bin/sleep', ['sleep', '60']);

test('waitpid decodes exit codes', () => {
  for (const code of [0, 1, 3, 127, 255]) {
    const pid = sh(`exit ${code}`);
    const status = posix.waitpid(pid);
    assert.deepEqual(status, {
      pid,
      exitCode: code,
      signal: null,
      signalNumber: null,
      coreDumped: false,
      stopped: false,
      stopSignal: null,
      continued: false,
      status: code << 8,
    });
  }
});

test('waitpid decodes death by signal, by name and number', () => {
  for (const [name, number] of [
    ['SIGKILL', 9],
    ['SIGTERM', 15],
    ['SIGUSR1', 10],
  ]) {
    const pid = sleeper();
    posix.kill(pid, name);
    const status = posix.waitpid(pid);
    assert.equal(status.exitCode, null);
    assert.equal(status.signal, name);
    assert.equal(status.signalNumber, number);
    assert.equal(status.coreDumped, false);
  }
});

test('waitpid reports a core dump', () => {
  const { dir, cleanup } = tempDir();
  try {
    // The child raises its own core limit and dumps into a private directory.
    const pid = sh('ulimit -c unlimited && exec sleep 60', {
      fileActions: [{ action: 'chdir', path: dir }],
    });
    // Let the shell reach sleep before the signal (comm changes at exec).
    const deadline = Date.now() + 10_000;
    while (!posix.waitpid(pid, constants.WNOHANG)) {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('sleep')) break;
      if (Date.now() > deadline) throw new Error('the child never reached sleep');
    }
    posix.kill(pid, 'SIGQUIT');
    const status = posix.waitpid(pid);
    assert.equal(status.signal, 'SIGQUIT');
    assert.equal(status.coreDumped, true);
  } finally {
    cleanup();
  }
});

test('WNOHANG returns null while the child runs, then the status', () => {
  const pid = sleeper();
  assert.equal(posix.waitpid(pid, constants.WNOHANG), null);
  posix.kill(pid, 'SIGKILL');
  assert.equal(posix.waitpid(pid).signal, 'SIGKILL');
});

test('WUNTRACED reports a stop, WCONTINUED a continue', () => {
  const pid = sleeper();
  try {
    posix.kill(pid, 'SIGSTOP');
    const stopped = posix.waitpid(pid, constants.WUNTRACED);
    assert.equal(stopped.stopped, true);
    assert.equal(stopped.stopSignal, 'SIGSTOP');
    assert.equal(stopped.exitCode, null);
    posix.kill(pid, 'SIGCONT');
    const continued = posix.waitpid(pid, constants.WCONTINUED);
    assert.equal(continued.continued, true);
    assert.equal(continued.stopped, false);
  } finally {
    posix.kill(pid, 'SIGKILL');
    posix.waitpid(pid);
  }
});

test('a reaped child cannot be waited for twice (ECHILD)', () => {
  const pid = sh('exit 0');
  posix.waitpid(pid);
  assert.throws(() => posix.waitpid(pid), { code: 'ECHILD', errno: -10, syscall: 'waitpid' });
});

test('waitid by pid and by pidfd gives the same decoded status', () => {
  const byPid = sh('exit 7');
  const a = posix.waitid('pid', byPid);
  assert.equal(a.pid, byPid);
  assert.equal(a.exitCode, 7);
  assert.equal(a.status, 7 << 8);

  const byFd = sleeper();
  const pidfd = posix.pidfdOpen(byFd);
  try {
    posix.kill(byFd, 'SIGTERM');
    const b = posix.waitid('pidfd', pidfd);
    assert.equal(b.pid, byFd);
    assert.equal(b.signal, 'SIGTERM');
    assert.equal(b.signalNumber, 15);
  } finally {
    posix.close(pidfd);
  }
});

test('waitid WNOHANG, WNOWAIT, WSTOPPED and WCONTINUED', () => {
  const pid = sleeper();
  const { WEXITED, WNOHANG, WNOWAIT, WSTOPPED, WCONTINUED } = constants;
  assert.equal(posix.waitid('pid', pid, WEXITED | WNOHANG), null);
  posix.kill(pid, 'SIGSTOP');
  assert.equal(posix.waitid('pid', pid, WSTOPPED).stopSignal, 'SIGSTOP');
  posix.kill(pid, 'SIGCONT');
  assert.equal(posix.waitid('pid', pid, WCONTINUED).continued, true);
  posix.kill(pid, 'SIGKILL');
  // WNOWAIT leaves the child waitable.
  assert.equal(posix.waitid('pid', pid, WEXITED | WNOWAIT).signal, 'SIGKILL');
  assert.equal(posix.waitpid(pid).signal, 'SIGKILL');
});

test('waiting for any child or a process group is refused before the kernel sees it', () => {
  for (const pid of [-1, 0, -5]) {
    assert.throws(
      () => posix.waitpid(pid),
      (e) => {
        assert.equal(e.code, 'ERR_INVALID_ARG_VALUE');
        assert.match(e.message, /child_process/);
        return true;
      },
    );
    assert.throws(() => posix.waitid('pid', pid), { code: 'ERR_INVALID_ARG_VALUE' });
  }
  assert.throws(() => posix.waitid('any', 1), { code: 'ERR_INVALID_ARG_VALUE' });
});
