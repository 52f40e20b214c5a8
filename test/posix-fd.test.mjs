// pipe, dup, dup2, close and close-on-exec, checked against the kernel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readSync, writeSync } from 'node:fs';
import { posix } from 'forkexec';
import { openFds } from './helpers.mjs';

test('pipe is close-on-exec by default and carries bytes', () => {
  const [r, w] = posix.pipe();
  try {
    assert.equal(posix.getCloexec(r), true);
    assert.equal(posix.getCloexec(w), true);
    writeSync(w, 'ping');
    const buf = Buffer.alloc(4);
    assert.equal(readSync(r, buf), 4);
    assert.equal(buf.toString(), 'ping');
  } finally {
    posix.close(r);
    posix.close(w);
  }
  const [r2, w2] = posix.pipe({ cloexec: false });
  assert.equal(posix.getCloexec(r2), false);
  assert.equal(posix.getCloexec(w2), false);
  posix.close(r2);
  posix.close(w2);
});

test('a nonblocking pipe reports EAGAIN on an empty read', () => {
  const [r, w] = posix.pipe({ nonblock: true });
  try {
    assert.throws(() => readSync(r, Buffer.alloc(1)), { code: 'EAGAIN' });
  } finally {
    posix.close(r);
    posix.close(w);
  }
});

test('dup is close-on-exec by default; dup2 places an fd and is not', () => {
  const [r, w] = posix.pipe({ cloexec: false });
  const copies = [];
  try {
    const d = posix.dup(r);
    copies.push(d);
    assert.equal(posix.getCloexec(d), true);
    const plain = posix.dup(r, { cloexec: false });
    copies.push(plain);
    assert.equal(posix.getCloexec(plain), false);

    assert.equal(posix.dup2(w, 77), 77);
    copies.push(77);
    assert.equal(posix.getCloexec(77), false);
    writeSync(77, 'x');
    const buf = Buffer.alloc(1);
    readSync(d, buf);
    assert.equal(buf.toString(), 'x');

    assert.equal(posix.dup2(w, 78, { cloexec: true }), 78);
    copies.push(78);
    assert.equal(posix.getCloexec(78), true);
    // The same fd twice: it stays, with the flag set as asked.
    assert.equal(posix.dup2(78, 78), 78);
    assert.equal(posix.getCloexec(78), false);
  } finally {
    for (const fd of [r, w, ...copies]) posix.close(fd);
  }
});

test('close, then EBADF from every call on that fd', () => {
  const [r, w] = posix.pipe();
  posix.close(r);
  posix.close(w);
  assert.throws(() => posix.close(r), { code: 'EBADF', errno: -9, syscall: 'close' });
  assert.throws(() => posix.getCloexec(r), { code: 'EBADF', syscall: 'fcntl' });
  assert.throws(() => posix.dup(r), { code: 'EBADF', syscall: 'dup' });
  assert.throws(() => posix.dup2(r, 90), { code: 'EBADF', syscall: 'dup2' });
  assert.ok(!openFds().some((f) => f.fd === 90));
});

test('setCloexec toggles the flag', () => {
  const [r, w] = posix.pipe();
  try {
    posix.setCloexec(r, false);
    assert.equal(posix.getCloexec(r), false);
    posix.setCloexec(r, true);
    assert.equal(posix.getCloexec(r), true);
  } finally {
    posix.close(r);
    posix.close(w);
  }
});
