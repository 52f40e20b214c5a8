import { test } from 'node:test';
import assert from 'node:assert/strict';
import { posix } from 'forkexec';

test('the package loads and reaches the kernel', () => {
  assert.equal(posix.getpid(), process.pid);
});
