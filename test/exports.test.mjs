// The package's entry points: require and import serve the same build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as esm from 'forkexec';

const require = createRequire(import.meta.url);

test('require and import expose the same names and the same objects', () => {
  const cjs = require('forkexec');
  const esmNames = Object.keys(esm)
    .filter((k) => k !== 'default')
    .sort();
  assert.deepEqual(esmNames, Object.keys(cjs).sort());
  for (const name of esmNames) assert.equal(esm[name], cjs[name], name);
  assert.equal(esm.default, cjs);
});

test('the posix namespace has every binding the package documents', () => {
  const expected = [
    'fork',
    'execve',
    'execvp',
    '_exit',
    'posixSpawn',
    'posixSpawnp',
    'waitpid',
    'waitid',
    'kill',
    'pidfdOpen',
    'pidfdSendSignal',
    'pipe',
    'dup',
    'dup2',
    'close',
    'getCloexec',
    'setCloexec',
    'setsid',
    'setpgid',
    'getpgid',
    'getpid',
    'getppid',
  ];
  for (const name of expected) assert.equal(typeof esm.posix[name], 'function', name);
  assert.equal(typeof esm.posix.constants.WNOHANG, 'number');
  assert.equal(esm.posix.constants.signals.SIGKILL, 9);
});
