// Process and Pool with the spawn start method: a fresh node per child that
// imports the target's module.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool, Process, forkserver, getStartMethods } from 'forkexec';
import * as targets from './fixtures/targets.mjs';
import { children, openFds, root, tempDir } from './helpers.mjs';

const MODULE = join(root, 'test', 'fixtures', 'targets.mjs');
const target = (name) => ({ module: MODULE, export: name });
const spawnProcess = (name, args) =>
  new Process({ target: target(name), args, startMethod: 'spawn' });

test('getStartMethods lists what Linux has', () => {
  assert.deepEqual(getStartMethods(), ['fork', 'forkserver', 'spawn']);
});

test('a spawned child runs a module export and returns its value', async () => {
  assert.equal(await spawnProcess('add', [1, 2]).run(), 3);
  assert.equal(
    await new Process({ target: { module: MODULE }, args: [21], startMethod: 'spawn' }).run(),
    42,
  );
  const value = {
    map: new Map([[1, 'a']]),
    date: new Date(0),
    big: 2n ** 70n,
    nested: [undefined, null],
  };
  assert.deepEqual(await spawnProcess('roundTrip', [value]).run(), value);
});

test("module-level code runs again in the child: its random value differs (the seeds' example)", async () => {
  const childSeed = await spawnProcess('getSeed').run();
  assert.equal(typeof childSeed, 'number');
  assert.notEqual(childSeed, targets.seed);
});

test('pid, exitCode and the lifecycle calls', async () => {
  const p = spawnProcess('getPid');
  assert.equal(p.pid, undefined);
  await assert.rejects(p.join(), { code: 'ERR_FORKEXEC_NOT_STARTED' });
  p.start();
  assert.ok(p.pid > 0);
  assert.equal(await p.join(), p.pid, 'the child reports its own pid');
  assert.equal(p.exitCode, 0);
  assert.equal(p.signalCode, null);
  assert.throws(() => p.start(), { code: 'ERR_FORKEXEC_ALREADY_STARTED' });
  assert.equal(p.kill(), false, 'nothing to signal after exit');
});

test("the child's error comes back with its name, message, code and stack", async () => {
  await assert.rejects(spawnProcess('fail', ['out of range']).run(), (error) => {
    assert.equal(error.name, 'RangeError');
    assert.equal(error.message, 'out of range');
    assert.equal(error.code, 'E_TARGET');
    assert.match(error.stack, /targets\.mjs/);
    assert.ok(error.childPid > 0);
    return true;
  });
});

test('a closure is refused under spawn, before any process starts', () => {
  const before = children().length;
  const secret = 42;
  assert.throws(
    () => new Process({ target: () => secret, startMethod: 'spawn' }).start(),
    (error) => {
      assert.equal(error.code, 'ERR_FORKEXEC_CLOSURE_UNSUPPORTED');
      assert.match(error.message, /\{ module, export \}/);
      assert.match(error.message, /'fork'/);
      return true;
    },
  );
  assert.equal(children().length, before);
});

test('bad targets, start methods and arguments get clear errors', async () => {
  assert.throws(
    () => new Process({ target: target('add'), startMethod: 'thread' }),
    (error) => {
      assert.equal(error.code, 'ERR_INVALID_ARG_VALUE');
      assert.match(error.message, /fork, forkserver, spawn/);
      return true;
    },
  );
  assert.throws(() => new Process({ target: 'add' }), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => new Process({ target: target('add'), args: 'x' }), {
    code: 'ERR_INVALID_ARG_TYPE',
  });
  assert.throws(
    () =>
      new Process({ target: { module: join(root, 'no-such.mjs') }, startMethod: 'spawn' }).start(),
    { code: 'ERR_MODULE_NOT_FOUND' },
  );
  assert.throws(
    () => new Process({ target: { module: 'no-such-package-xyz' }, startMethod: 'spawn' }).start(),
    { code: 'ERR_MODULE_NOT_FOUND' },
  );
  await assert.rejects(spawnProcess('missingExport').run(), (error) => {
    assert.equal(error.code, 'ERR_FORKEXEC_TARGET_EXPORT');
    assert.match(error.message, /missingExport/);
    return true;
  });
  assert.throws(() => spawnProcess('roundTrip', [() => 1]).start(), {
    code: 'ERR_FORKEXEC_UNSERIALIZABLE',
  });
  await assert.rejects(spawnProcess('unserializable').run(), (error) => {
    assert.equal(error.code, 'ERR_FORKEXEC_UNSERIALIZABLE');
    assert.match(error.message, /could not be cloned/);
    return true;
  });
});

test('a child killed mid-task rejects with how it died', async () => {
  const p = spawnProcess('hang').start();
  // Let it start the task, then kill it.
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(p.kill('SIGKILL'), true);
  await assert.rejects(p.join(), (error) => {
    assert.equal(error.code, 'ERR_FORKEXEC_CHILD_DIED');
    assert.equal(error.signal, 'SIGKILL');
    return true;
  });
  assert.equal(p.signalCode, 'SIGKILL');
  assert.equal(p.exitCode, null);
});

test('a Pool runs tasks on long-lived workers', async () => {
  const pool = new Pool({ size: 2, startMethod: 'spawn' });
  const results = await Promise.all(
    [1, 2, 3, 4, 5, 6, 7, 8].map((x) => pool.run({ module: MODULE }, [x])),
  );
  assert.deepEqual(results, [2, 4, 6, 8, 10, 12, 14, 16]);
  const pids = new Set(await Promise.all([1, 2, 3, 4, 5, 6].map(() => pool.run(target('getPid')))));
  assert.ok(pids.size <= 2, `at most size workers, saw ${pids.size}`);
  await pool.close();
  await assert.rejects(pool.run(target('add'), [1, 1]), { code: 'ERR_FORKEXEC_POOL_CLOSED' });
});

test('a crashed worker fails its task and is replaced (spawn and forkserver)', async () => {
  for (const startMethod of ['spawn', 'forkserver']) {
    const pool = new Pool({ size: 1, startMethod });
    const first = await pool.run(target('getPid'));
    await assert.rejects(pool.run(target('crash')), {
      code: 'ERR_FORKEXEC_CHILD_DIED',
      signal: 'SIGKILL',
    });
    const second = await pool.run(target('getPid'));
    assert.notEqual(second, first, startMethod);
    assert.equal(await pool.run(target('add'), [2, 3]), 5);
    await pool.close();
  }
  await forkserver.stop();
});

test('a Pool settles tasks in order of completion, not of submission', async () => {
  for (const startMethod of ['spawn', 'forkserver']) {
    const { dir, cleanup } = tempDir('forkexec-pool-order-');
    const pool = new Pool({ size: 2, startMethod });
    try {
      const gate = join(dir, 'gate');
      const settled = [];
      const long = pool.run(target('whenFileExists'), [gate, 'long']).then((v) => settled.push(v));
      const short = pool.run(target('add'), [1, 2]).then((v) => settled.push(v));
      // The short task, submitted second, settles while the long one still waits.
      await short;
      assert.deepEqual(settled, [3], startMethod);
      writeFileSync(gate, '');
      await long;
      assert.deepEqual(settled, [3, 'long'], startMethod);
    } finally {
      await pool.close();
      cleanup();
    }
  }
  // The server started for the forkserver pool is a child of this process.
  await forkserver.stop();
});

test('close waits for running tasks; terminate kills and rejects', async () => {
  const pool = new Pool({ size: 2, startMethod: 'spawn' });
  const running = pool.run(target('slow'), [300, 'done']);
  const queued = pool.run(target('slow'), [10, 'also']);
  await pool.close();
  assert.equal(await running, 'done');
  assert.equal(await queued, 'also');

  const doomed = new Pool({ size: 1, startMethod: 'spawn' });
  const stuck = doomed.run(target('hang')).catch((error) => error);
  const waiting = doomed.run(target('add'), [1, 2]).catch((error) => error);
  await new Promise((resolve) => setTimeout(resolve, 200));
  await doomed.terminate();
  assert.equal((await stuck).code, 'ERR_FORKEXEC_CHILD_DIED');
  assert.equal((await stuck).signal, 'SIGKILL');
  assert.equal((await waiting).code, 'ERR_FORKEXEC_POOL_TERMINATED');
});

test('processes and pools leave no zombies and no fds behind', async () => {
  const fdsBefore = openFds();
  for (let i = 0; i < 5; i++) await spawnProcess('add', [i, i]).run();
  const pool = new Pool({ size: 2, startMethod: 'spawn' });
  await Promise.all([1, 2, 3].map((x) => pool.run({ module: MODULE }, [x])));
  await pool.close();
  assert.deepEqual(children(), []);
  assert.deepEqual(openFds(), fdsBefore);
});
