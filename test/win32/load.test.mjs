// forkexec on Windows Node without the native addon: it loads, every POSIX
// call throws ERR_FORKEXEC_UNSUPPORTED_PLATFORM, CreateProcess works, and the
// install step builds nothing. Runs under the real Windows build of Node
// (scripts/test-win32.mjs); `npm test` does not pick it up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { runNode, tempDir, testIsWindowsNode, windowsOnly } from './helpers.mjs';

const require = createRequire(import.meta.url);

// Arguments that would be valid on Linux, so that a throw can only come from
// the platform check, not from validation.
const validArgs = {
  execve: ['C:\\Windows\\System32\\cmd.exe', ['cmd.exe']],
  execvp: ['cmd.exe', ['cmd.exe']],
  _exit: [0],
  kill: [process.pid, 0],
  pidfdOpen: [process.pid],
  pidfdSendSignal: [3, 0],
  setpgid: [0, 0],
  getpgid: [0],
  waitpid: [12345],
  waitid: ['pid', 12345],
  dup: [1],
  dup2: [1, 5],
  close: [5],
  getCloexec: [1],
  setCloexec: [1, true],
  posixSpawn: ['C:\\Windows\\System32\\cmd.exe', ['cmd.exe']],
  posixSpawnp: ['cmd.exe', ['cmd.exe']],
};

testIsWindowsNode();

test(
  'require("forkexec") and import("forkexec") load without the addon',
  { skip: windowsOnly },
  async () => {
    const cjs = require('forkexec');
    const esm = await import('forkexec');
    assert.equal(typeof cjs.posix, 'object');
    assert.equal(esm.posix, cjs.posix, 'import and require share one instance');
    assert.equal(esm.default, cjs);
  },
);

test('every posix function throws ERR_FORKEXEC_UNSUPPORTED_PLATFORM', { skip: windowsOnly }, () => {
  const { posix } = require('forkexec');
  const names = Object.keys(posix).filter((name) => typeof posix[name] === 'function');
  assert.ok(names.length >= 20, `found only ${names.join(', ')}`);
  for (const name of ['fork', 'execve', 'posixSpawn', 'waitpid', 'kill', 'pipe', 'getpid']) {
    assert.ok(names.includes(name), `posix.${name} is missing`);
  }
  for (const name of names) {
    assert.throws(
      () => posix[name](...(validArgs[name] ?? [])),
      (error) => {
        assert.ok(error instanceof Error, `posix.${name} threw a non-Error`);
        assert.equal(error.code, 'ERR_FORKEXEC_UNSUPPORTED_PLATFORM', `posix.${name}`);
        assert.match(error.message, /not supported on win32/);
        return true;
      },
      `posix.${name} did not throw`,
    );
  }
});

test('posix.constants has signals and nothing from the C headers', { skip: windowsOnly }, () => {
  const { posix } = require('forkexec');
  assert.equal(typeof posix.constants.signals, 'object');
  assert.equal(posix.constants.signals.SIGTERM, 15);
  assert.equal(posix.constants.WNOHANG, undefined);
});

test(
  'child_process.spawn of node.exe works (CreateProcess), stdout to a file',
  { skip: windowsOnly },
  async (t) => {
    const dir = tempDir(t);
    const script =
      'process.stdout.write(JSON.stringify({ platform: process.platform, ' +
      'argv: process.argv.slice(1), env: process.env.FORKEXEC_PROBE, cwd: process.cwd() })); ' +
      'process.exitCode = 7';
    const { code, signal, output, pid } = await runNode(['-e', script, 'a b', 'c"d'], {
      cwd: dir,
      env: { ...process.env, FORKEXEC_PROBE: 'from parent' },
    });
    assert.equal(typeof pid, 'number');
    assert.equal(signal, null);
    assert.equal(code, 7, output);
    assert.deepEqual(JSON.parse(output), {
      platform: 'win32',
      argv: ['a b', 'c"d'],
      env: 'from parent',
      cwd: dir,
    });
  },
);

test('the install step builds nothing on win32', { skip: windowsOnly }, async () => {
  const install = fileURLToPath(new URL('../../scripts/install.js', import.meta.url));
  const { code, output } = await runNode([install], {
    env: { ...process.env, npm_config_loglevel: 'verbose' },
  });
  assert.equal(code, 0, output);
  assert.match(output, /win32, no native addon to build/);
  assert.doesNotMatch(output, /gyp/);
});
