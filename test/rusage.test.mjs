// Every child's own resource usage, from the kernel's rusage of that child
// (wait4 / waitid): on spawn, spawnSync, fork(fn), Process and Pool results
// and on posix.waitpid / waitid when asked for. The figures are compared
// between children doing different work, never against a clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { spawn, spawnSync, posix } from 'forkexec';
import { runForkScenario } from './fork-helpers.mjs';
import { root, runNode } from './helpers.mjs';

const TARGETS = join(root, 'test', 'fixtures', 'rusage-targets.mjs');
const FIELDS = [
  'userCPUTime',
  'systemCPUTime',
  'maxRSS',
  'minorPageFault',
  'majorPageFault',
  'voluntaryContextSwitches',
  'involuntaryContextSwitches',
];
// 3e7 iterations of the fixture's loop take several hundred ms of CPU here;
// a child that sleeps uses a few ms. The margin sits well between them.
const BURN_MARGIN_US = 150_000;
const BURN = `import(${JSON.stringify(TARGETS)}).then((t) => t.burn())`;
const REST = `setTimeout(() => {}, 300)`;
const MiB = 1024; // maxRSS is in KiB

function assertUsage(usage, label) {
  assert.ok(usage, `${label}: no resourceUsage`);
  assert.deepEqual(Object.keys(usage).sort(), [...FIELDS].sort(), label);
  for (const field of FIELDS) {
    assert.ok(Number.isInteger(usage[field]) && usage[field] >= 0, `${label}.${field}`);
  }
}

const cpu = (usage) => usage.userCPUTime + usage.systemCPUTime;

test('spawn: a child that burns CPU reports more CPU time than one that sleeps', async () => {
  const burner = await spawn(process.execPath, ['-e', BURN]);
  const sleeper = await spawn(process.execPath, ['-e', REST]);
  assertUsage(burner.resourceUsage, 'burner');
  assertUsage(sleeper.resourceUsage, 'sleeper');
  assert.ok(
    burner.resourceUsage.userCPUTime > sleeper.resourceUsage.userCPUTime + BURN_MARGIN_US,
    `burner ${burner.resourceUsage.userCPUTime} µs, sleeper ${sleeper.resourceUsage.userCPUTime} µs`,
  );
  assert.ok(sleeper.resourceUsage.voluntaryContextSwitches >= 1);
});

test('spawn: a child that touches 100 MB has maxRSS above 100 MB', async () => {
  const big = await spawn(process.execPath, ['-e', 'Buffer.alloc(100 * 2 ** 20, 1)']);
  assertUsage(big.resourceUsage, 'big');
  assert.ok(big.resourceUsage.maxRSS > 100 * MiB, `maxRSS ${big.resourceUsage.maxRSS} KiB`);
  // Its faults cover the 25,600 pages it touched.
  assert.ok(big.resourceUsage.minorPageFault > 25_600, `${big.resourceUsage.minorPageFault}`);
  // A failed child still has usage; SubprocessError carries it too.
  const failed = await spawn('/bin/sh', ['-c', 'exit 3']).catch((error) => error);
  assert.equal(failed.exitCode, 3);
  assertUsage(failed.resourceUsage, 'failed');
});

test('spawnSync: the result carries the usage of that child', () => {
  const burner = spawnSync(process.execPath, ['-e', BURN]);
  const sleeper = spawnSync(process.execPath, ['-e', REST]);
  assertUsage(burner.resourceUsage, 'burner');
  assert.ok(cpu(burner.resourceUsage) > cpu(sleeper.resourceUsage) + BURN_MARGIN_US);
});

test('posix.waitpid and waitid give the usage only when asked', () => {
  const run = (flags) => posix.posixSpawn(process.execPath, [process.execPath, '-e', flags]);
  const a = run(BURN);
  const withUsage = posix.waitpid(a, 0, { resourceUsage: true });
  assertUsage(withUsage.resourceUsage, 'waitpid');
  assert.ok(withUsage.resourceUsage.userCPUTime > BURN_MARGIN_US);
  const b = run(REST);
  const plain = posix.waitpid(b, 0);
  assert.equal('resourceUsage' in plain, false);
  const c = run('Buffer.alloc(100 * 2 ** 20, 1)');
  const byWaitid = posix.waitid('pid', c, undefined, { resourceUsage: true });
  assertUsage(byWaitid.resourceUsage, 'waitid');
  assert.ok(byWaitid.resourceUsage.maxRSS > 100 * MiB);
  const d = run(REST);
  const pidfd = posix.pidfdOpen(d);
  const byPidfd = posix.waitid('pidfd', pidfd, undefined, { resourceUsage: true });
  posix.close(pidfd);
  assertUsage(byPidfd.resourceUsage, 'waitid pidfd');
  assert.ok(byPidfd.resourceUsage.userCPUTime < withUsage.resourceUsage.userCPUTime);
  const e = run(REST);
  assert.equal('resourceUsage' in posix.waitid('pid', e), false);
  assert.throws(() => posix.waitpid(1, 0, { resourceUsage: 'yes' }), {
    code: 'ERR_INVALID_ARG_VALUE',
  });
  assert.throws(() => posix.waitid('pid', 1, undefined, 7), { code: 'ERR_INVALID_ARG_VALUE' });
});

test('the SIGCHLD exit path gives the same usage as the pidfd path', () => {
  const run = runNode(
    `import { spawn } from 'forkexec';
     const burner = await spawn(process.execPath, ['-e', ${JSON.stringify(BURN)}]);
     const sleeper = await spawn(process.execPath, ['-e', ${JSON.stringify(REST)}]);
     console.log(JSON.stringify([burner.resourceUsage, sleeper.resourceUsage]));`,
    { env: { ...process.env, FORKEXEC_EXIT_WATCH: 'sigchld' }, timeout: 120_000 },
  );
  assert.equal(run.status, 0, run.stderr);
  const [burner, sleeper] = JSON.parse(run.stdout);
  assertUsage(burner, 'burner');
  assertUsage(sleeper, 'sleeper');
  assert.ok(burner.userCPUTime > sleeper.userCPUTime + BURN_MARGIN_US);
});

test('fork(fn), Process (every start method) and Pool workers carry the usage', () => {
  const { result } = runForkScenario(
    `import { fork, Process, Pool } from 'forkexec';
     import { writeSync } from 'node:fs';
     import * as t from ${JSON.stringify(TARGETS)};
     const out = {};
     const target = (name) => ({ module: ${JSON.stringify(TARGETS)}, export: name });
     const forked = await fork(() => t.burn());
     const rested = await fork(() => t.rest());
     out.fork = [forked.resourceUsage, rested.resourceUsage];
     for (const startMethod of ['fork', 'forkserver', 'spawn']) {
       const burner = new Process({ target: target('burn'), startMethod });
       const before = burner.resourceUsage;
       await burner.run();
       const sleeper = new Process({ target: target('rest'), startMethod });
       await sleeper.run();
       out[startMethod] = [burner.resourceUsage, sleeper.resourceUsage, before === undefined];
     }
     const pool = new Pool({ size: 2, startMethod: 'forkserver' });
     await Promise.all([pool.run(target('burn')), pool.run(target('burn'))]);
     const during = pool.workerExits.length;
     await pool.close();
     out.pool = { during, exits: pool.workerExits };
     writeSync(1, 'RESULT ' + JSON.stringify(out) + '\\n');
     await new Promise((r) => setTimeout(r, 10));`,
    { timeout: 240_000 },
  );
  for (const method of ['fork', 'fork', 'forkserver', 'spawn']) {
    const [burner, sleeper] = result[method];
    assertUsage(burner, `${method} burner`);
    assertUsage(sleeper, `${method} sleeper`);
    assert.ok(
      burner.userCPUTime > sleeper.userCPUTime + BURN_MARGIN_US,
      `${method}: burner ${burner.userCPUTime} µs, sleeper ${sleeper.userCPUTime} µs`,
    );
    if (method !== 'fork') assert.equal(result[method][2], true, 'no usage before the exit');
  }
  assert.equal(result.pool.during, 0);
  assert.equal(result.pool.exits.length, 2);
  for (const exit of result.pool.exits) {
    assert.equal(exit.exitCode, 0);
    assertUsage(exit.resourceUsage, `pool worker ${exit.pid}`);
  }
  // Two workers ran one burn each between them: together they burnt it twice.
  const total = result.pool.exits.reduce((sum, e) => sum + e.resourceUsage.userCPUTime, 0);
  assert.ok(total > 2 * BURN_MARGIN_US, `pool workers ${total} µs`);
});

test('where child_process starts the child, resourceUsage is there and undefined', () => {
  const run = runNode(
    `import { spawn, spawnSync } from 'forkexec';
     const a = await spawn('/bin/true');
     const b = spawnSync('/bin/true');
     console.log(JSON.stringify({ a: 'resourceUsage' in a, av: a.resourceUsage ?? null,
       b: 'resourceUsage' in b, bv: b.resourceUsage ?? null, method: a.method }));`,
    {
      execArgv: ['--require', join(root, 'test', 'fixtures', 'as-platform.cjs')],
      env: { ...process.env, FORKEXEC_AS_PLATFORM: 'darwin' },
    },
  );
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout), {
    a: true,
    av: null,
    b: true,
    bv: null,
    method: 'child_process',
  });
});
