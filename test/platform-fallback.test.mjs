// The POSIX systems without the addon (darwin, freebsd, openbsd, sunos, aix):
// the install builds nothing, the package loads, spawn / spawnSync / Process
// / Pool start children through child_process, and what needs the addon
// throws ERR_FORKEXEC_UNSUPPORTED_PLATFORM naming the platform. Each runs in
// a node whose process.platform is set before forkexec loads (see
// fixtures/as-platform.cjs), with real children.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { root, runNode, tempDir } from './helpers.mjs';

const PLATFORMS = ['darwin', 'freebsd', 'openbsd', 'sunos', 'aix'];
const PRELOAD = join(root, 'test', 'fixtures', 'as-platform.cjs');
const MODULE = join(root, 'test', 'fixtures', 'targets.mjs');

function asPlatform(platform, source) {
  const run = runNode(source, {
    execArgv: ['--require', PRELOAD],
    env: { ...process.env, FORKEXEC_AS_PLATFORM: platform },
    timeout: 120_000,
  });
  assert.equal(run.status, 0, `${platform}:\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').pop());
}

const WORKS = `
import { spawn, spawnSync, Process, Pool, getStartMethods } from 'forkexec';
const target = (name) => ({ module: ${JSON.stringify(MODULE)}, export: name });
const out = { platform: process.platform, startMethods: getStartMethods() };
const sh = await spawn('/bin/sh', ['-c', 'cat; echo "$0" >&2; exit 0', 'err'], {
  input: 'in', stdio: ['pipe', 'pipe', 'pipe'], cwd: '/', env: { A: '1' },
});
out.spawn = { method: sh.method, stdout: sh.stdout, stderr: sh.stderr };
const sleeper = spawn('/bin/sleep', ['30']);
sleeper.kill('SIGHUP');
out.killed = await sleeper.catch((error) => error.signal);
const sync = spawnSync('/bin/sh', ['-c', 'echo "$A"'], { env: { A: 'sync' } });
out.spawnSync = { method: sync.method, stdout: sync.stdout, exitCode: sync.exitCode };
out.process = await new Process({ target: target('add'), args: [2, 3] }).run();
const pool = new Pool({ size: 2 });
out.pool = await Promise.all([1, 2, 3].map((x) => pool.run(target('add'), [x, x])));
await pool.close();
console.log(JSON.stringify(out));`;

for (const platform of PLATFORMS) {
  test(`${platform}: spawn, spawnSync, Process and Pool run real children through child_process`, () => {
    assert.deepEqual(asPlatform(platform, WORKS), {
      platform,
      startMethods: ['spawn'],
      spawn: { method: 'child_process', stdout: 'in', stderr: 'err\n' },
      killed: 'SIGHUP',
      spawnSync: { method: 'child_process', stdout: 'sync\n', exitCode: 0 },
      process: 5,
      pool: [2, 4, 6],
    });
  });
}

const REFUSED = `
import { posix, fork, spawn, Process } from 'forkexec';
const attempts = {
  'posix.fork': () => posix.fork(),
  'posix.posixSpawn': () => posix.posixSpawn('/bin/true', ['true']),
  'posix.waitpid': () => posix.waitpid(1),
  'posix.pipe': () => posix.pipe(),
  fork: () => fork(() => 1),
  'spawn uid': () => spawn('/bin/true', [], { uid: 0 }),
  'spawn closeFds false': () => spawn('/bin/true', [], { closeFds: false }),
  'fork start method': () => new Process({ target: () => 1, startMethod: 'fork' }),
  'forkserver start method': () => new Process({ target: { module: '/x' }, startMethod: 'forkserver' }),
};
const out = {};
for (const [name, attempt] of Object.entries(attempts)) {
  try {
    await attempt();
    out[name] = 'no error';
  } catch (error) {
    out[name] = error.code + (error.message.includes(process.platform) ? ' naming the platform' : '');
  }
}
console.log(JSON.stringify(out));`;

test('what needs the addon throws ERR_FORKEXEC_UNSUPPORTED_PLATFORM naming the platform', () => {
  for (const platform of ['darwin', 'freebsd']) {
    const out = asPlatform(platform, REFUSED);
    for (const [name, got] of Object.entries(out)) {
      assert.equal(
        got,
        'ERR_FORKEXEC_UNSUPPORTED_PLATFORM naming the platform',
        `${platform} ${name}`,
      );
    }
  }
});

test('the install step builds nothing there, and runs node-gyp-build on Linux', () => {
  // The install script alone, without node-gyp-build or binding.gyp beside it:
  // on Linux it must reach node-gyp-build (and fails here without it).
  const { dir, cleanup } = tempDir('forkexec-install-');
  try {
    mkdirSync(join(dir, 'scripts'));
    copyFileSync(join(root, 'scripts', 'install.js'), join(dir, 'scripts', 'install.js'));
    const install = (platform) =>
      spawnSync(process.execPath, ['--require', PRELOAD, 'scripts/install.js'], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, FORKEXEC_AS_PLATFORM: platform, npm_config_loglevel: 'verbose' },
      });
    for (const platform of PLATFORMS) {
      const run = install(platform);
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stderr, new RegExp(`forkexec: ${platform}, no native addon to build`));
    }
    assert.ok(!existsSync(join(dir, 'build')));
    const linux = install('linux');
    assert.notEqual(linux.status, 0);
    assert.match(linux.stderr, /node-gyp-build/);
  } finally {
    cleanup();
  }
});

// The spawn start method's child_process path watches its child through the
// same ExitWatch as spawn() there: a start that fails (here a cwd that does
// not exist) rejects join() with the system error, and nothing is left to
// emit an 'error' event that nobody listens to.
const START_FAILS = `
import { Process } from 'forkexec';
const target = { module: ${JSON.stringify(MODULE)}, export: 'add' };
const p = new Process({ target, args: [1, 2], cwd: '/no/such/dir' });
const error = await p.run().then(() => null, (e) => ({ code: e.code, syscall: e.syscall }));
console.log(JSON.stringify({ error }));`;

test('a Process that cannot start rejects join() with the system error (child_process path)', () => {
  assert.deepEqual(asPlatform('darwin', START_FAILS), {
    error: { code: 'ENOENT', syscall: 'spawn ' + process.execPath },
  });
});

const POOL_START_FAILS = `
import { Pool } from 'forkexec';
const target = { module: ${JSON.stringify(MODULE)}, export: 'add' };
const pool = new Pool({ size: 2, cwd: '/no/such/dir' });
const settled = await Promise.allSettled([1, 2, 3, 4].map((n) => pool.run(target, [n, 1])));
await pool.terminate();
console.log(JSON.stringify({ codes: settled.map((s) => s.status === 'rejected' ? s.reason.code : 'ran') }));`;

test('a Pool whose workers cannot start rejects every task with the system error (child_process path)', () => {
  assert.deepEqual(asPlatform('darwin', POOL_START_FAILS), {
    codes: ['ENOENT', 'ENOENT', 'ENOENT', 'ENOENT'],
  });
});
