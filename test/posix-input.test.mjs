// Every class of bad input gets a Node-style error before anything reaches
// the kernel: no crash, no fd, no child.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { posix } from 'forkexec';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { children, openFds, tempDir } from './helpers.mjs';

const TYPE = { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' };
const VALUE = { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' };
const RANGE = { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' };

const cases = [
  // paths and argv
  ['path of the wrong type', () => posix.posixSpawn(42, ['x']), TYPE],
  ['path with a NUL byte', () => posix.posixSpawn('/bin/tr\0ue', ['true']), VALUE],
  ['empty path', () => posix.posixSpawn('', ['true']), VALUE],
  ['argv not an array', () => posix.posixSpawn('/bin/true', 'true'), TYPE],
  ['empty argv', () => posix.posixSpawn('/bin/true', []), VALUE],
  ['argv element of the wrong type', () => posix.posixSpawn('/bin/true', ['true', 1]), TYPE],
  ['argv with a NUL byte', () => posix.posixSpawn('/bin/true', ['true', 'a\0b']), VALUE],
  [
    'argv Buffer with a NUL byte',
    () => posix.posixSpawn('/bin/true', [Buffer.from([0x61, 0])]),
    VALUE,
  ],
  ['execve empty argv', () => posix.execve('/bin/true', []), VALUE],
  ['execvp NUL in file', () => posix.execvp('tr\0ue', ['true']), VALUE],
  // env
  ['env not an object', () => posix.posixSpawn('/bin/true', ['true'], { env: 'A=1' }), TYPE],
  ['env key with =', () => posix.posixSpawn('/bin/true', ['true'], { env: { 'A=B': '1' } }), VALUE],
  ['env empty key', () => posix.posixSpawn('/bin/true', ['true'], { env: { '': '1' } }), VALUE],
  [
    'env value with NUL',
    () => posix.posixSpawn('/bin/true', ['true'], { env: { A: 'x\0y' } }),
    VALUE,
  ],
  [
    'env value of the wrong type',
    () => posix.posixSpawn('/bin/true', ['true'], { env: { A: 1 } }),
    TYPE,
  ],
  ['execve env key with =', () => posix.execve('/bin/true', ['true'], { 'A=': 'x' }), VALUE],
  // options
  ['options not an object', () => posix.posixSpawn('/bin/true', ['true'], 5), TYPE],
  ['unknown option', () => posix.posixSpawn('/bin/true', ['true'], { setsId: true }), VALUE],
  [
    'fileActions not an array',
    () => posix.posixSpawn('/bin/true', ['true'], { fileActions: {} }),
    TYPE,
  ],
  [
    'unknown file action',
    () => posix.posixSpawn('/bin/true', ['true'], { fileActions: [{ action: 'fork' }] }),
    VALUE,
  ],
  [
    'file action fd negative',
    () => posix.posixSpawn('/bin/true', ['true'], { fileActions: [{ action: 'close', fd: -1 }] }),
    RANGE,
  ],
  [
    'file action fd a string',
    () => posix.posixSpawn('/bin/true', ['true'], { fileActions: [{ action: 'close', fd: '3' }] }),
    TYPE,
  ],
  [
    'file action fd fractional',
    () =>
      posix.posixSpawn('/bin/true', ['true'], {
        fileActions: [{ action: 'dup2', fd: 1.5, newFd: 2 }],
      }),
    RANGE,
  ],
  [
    'open flags unknown word',
    () =>
      posix.posixSpawn('/bin/true', ['true'], {
        fileActions: [{ action: 'open', fd: 3, path: '/x', flags: 'rw' }],
      }),
    VALUE,
  ],
  ['setsid not boolean', () => posix.posixSpawn('/bin/true', ['true'], { setsid: 1 }), TYPE],
  ['setpgroup negative', () => posix.posixSpawn('/bin/true', ['true'], { setpgroup: -2 }), RANGE],
  [
    'unknown signal in setsigmask',
    () => posix.posixSpawn('/bin/true', ['true'], { setsigmask: ['SIGNOPE'] }),
    VALUE,
  ],
  [
    'signal number too large',
    () => posix.posixSpawn('/bin/true', ['true'], { setsigdef: [99] }),
    VALUE,
  ],
  // fds
  ['close negative fd', () => posix.close(-1), RANGE],
  ['close fd as a string', () => posix.close('0'), TYPE],
  ['close NaN', () => posix.close(NaN), RANGE],
  ['close Infinity', () => posix.close(Infinity), RANGE],
  ['dup2 fd too large', () => posix.dup2(0, 2 ** 31), RANGE],
  ['setCloexec without boolean', () => posix.setCloexec(0, 'yes'), TYPE],
  ['pipe options of the wrong type', () => posix.pipe('cloexec'), TYPE],
  // pids and signals
  ['waitpid(-1)', () => posix.waitpid(-1), VALUE],
  ['waitpid(0)', () => posix.waitpid(0), VALUE],
  ['waitpid(-42)', () => posix.waitpid(-42), VALUE],
  ['waitpid pid as a string', () => posix.waitpid('12'), TYPE],
  ['waitpid fractional pid', () => posix.waitpid(1.5), RANGE],
  ['waitid unknown idtype', () => posix.waitid('group', 1), VALUE],
  ['kill(-1)', () => posix.kill(-1), VALUE],
  ['kill unknown signal', () => posix.kill(process.pid, 'SIGFOO'), VALUE],
  ['kill signal of the wrong type', () => posix.kill(process.pid, {}), TYPE],
  ['pidfdOpen(0)', () => posix.pidfdOpen(0), RANGE],
  ['_exit code too large', () => posix._exit(256), RANGE],
  ['_exit code not a number', () => posix._exit('0'), TYPE],
];

test('bad input throws a Node-style error and reaches no kernel', () => {
  const fdsBefore = openFds().length;
  const childrenBefore = children().length;
  for (const [what, call, expected] of cases) {
    assert.throws(
      call,
      (error) => {
        assert.equal(error.name, expected.name, what);
        assert.equal(error.code, expected.code, `${what}: ${error.message}`);
        assert.ok(error.message.length > 20, what);
        return true;
      },
      what,
    );
  }
  assert.equal(openFds().length, fdsBefore);
  assert.equal(children().length, childrenBefore);
});

test('prototype-polluted options are ignored, not obeyed', () => {
  Object.prototype.setsid = 'not a boolean';
  Object.prototype.fileActions = [{ action: 'close', fd: 1 }];
  try {
    const pid = posix.posixSpawn('/bin/true', ['true'], {});
    assert.equal(posix.waitpid(pid).exitCode, 0);
  } finally {
    delete Object.prototype.setsid;
    delete Object.prototype.fileActions;
  }
});

test("system errors read like Node's own", () => {
  assert.throws(
    () => posix.posixSpawn('/nonexistent/program', ['program']),
    (e) => {
      assert.equal(e.code, 'ENOENT');
      assert.equal(e.errno, -2);
      assert.equal(e.syscall, 'posix_spawn');
      assert.equal(e.path, '/nonexistent/program');
      assert.equal(
        e.message,
        "ENOENT: no such file or directory, posix_spawn '/nonexistent/program'",
      );
      assert.ok(e instanceof Error);
      return true;
    },
  );
  const { dir, cleanup } = tempDir();
  try {
    const data = join(dir, 'data');
    writeFileSync(data, 'not a program', { mode: 0o644 });
    assert.throws(() => posix.posixSpawn(data, ['x']), {
      code: 'EACCES',
      syscall: 'posix_spawn',
      path: data,
    });
    chmodSync(data, 0o755);
    assert.throws(() => posix.posixSpawn(data, ['x']), {
      code: 'ENOEXEC',
      message: /exec format error/,
    });
  } finally {
    cleanup();
  }
  assert.throws(() => posix.posixSpawn('/tmp', ['x']), { code: 'EACCES' });
});
