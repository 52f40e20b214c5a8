// Process and Pool on Windows: only the spawn start method exists there (a
// fresh node.exe through CreateProcess); fork and forkserver are refused
// with ERR_FORKEXEC_UNSUPPORTED_PLATFORM. Runs under real Windows Node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Pool, Process, getStartMethods } from 'forkexec';
import { testIsWindowsNode, windowsOnly } from './helpers.mjs';

const MODULE = fileURLToPath(new URL('../fixtures/targets.mjs', import.meta.url));
const target = (name) => ({ module: MODULE, export: name });

testIsWindowsNode();

test('getStartMethods() is [spawn] on win32', { skip: windowsOnly }, () => {
  assert.deepEqual(getStartMethods(), ['spawn']);
});

test(
  'Process with the spawn start method runs a module export in a fresh node.exe',
  { skip: windowsOnly },
  async () => {
    const p = new Process({ target: target('add'), args: [2, 3] });
    assert.equal(p.startMethod, 'spawn', 'spawn is the default on win32');
    assert.equal(await p.run(), 5);
    assert.equal(p.exitCode, 0);
    const childPid = await new Process({ target: target('getPid') }).run();
    assert.notEqual(childPid, process.pid);
  },
);

test(
  "the child's error and a child's death come back as Errors",
  { skip: windowsOnly },
  async () => {
    await assert.rejects(new Process({ target: target('fail'), args: ['no'] }).run(), {
      name: 'RangeError',
      message: 'no',
      code: 'E_TARGET',
    });
    const p = new Process({ target: target('hang') }).start();
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(p.kill(), true);
    await assert.rejects(p.join(), { code: 'ERR_FORKEXEC_CHILD_DIED' });
  },
);

test(
  'kill() with a signal Windows lacks is refused as by spawn(), and the child runs on',
  { skip: windowsOnly },
  async () => {
    const p = new Process({ target: target('hang') }).start();
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.throws(() => p.kill('SIGHUP'), { code: 'ERR_FORKEXEC_UNSUPPORTED_PLATFORM' });
    assert.equal(p.kill('SIGKILL'), true);
    await assert.rejects(p.join(), { code: 'ERR_FORKEXEC_CHILD_DIED' });
  },
);

test(
  'fork and forkserver are refused with ERR_FORKEXEC_UNSUPPORTED_PLATFORM',
  { skip: windowsOnly },
  () => {
    for (const startMethod of ['fork', 'forkserver']) {
      assert.throws(() => new Process({ target: target('add'), startMethod }), {
        code: 'ERR_FORKEXEC_UNSUPPORTED_PLATFORM',
      });
      assert.throws(() => new Pool({ startMethod }), { code: 'ERR_FORKEXEC_UNSUPPORTED_PLATFORM' });
    }
  },
);

test('a Pool of spawned workers', { skip: windowsOnly }, async () => {
  const pool = new Pool({ size: 2 });
  assert.deepEqual(
    await Promise.all([1, 2, 3].map((x) => pool.run({ module: MODULE }, [x]))),
    [2, 4, 6],
  );
  await pool.close();
});
