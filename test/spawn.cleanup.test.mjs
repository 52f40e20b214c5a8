// Cleanup on parent death (#17): a real parent node process runs `sleep 30`
// through forkexec, then gets SIGINT (or exits); the child must die with it,
// unless `cleanup: false` (or `detached: true`), and the parent's signal is not
// swallowed (it still dies of SIGINT).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn as nodeSpawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { spawn } from 'forkexec';
import { root } from './helpers.mjs';

/** The state letter of `pid` ('Z' zombie), or null when it is gone. */
function stateOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return null;
  }
}

const alive = (pid) => {
  const state = stateOf(pid);
  return state !== null && state !== 'Z';
};

/** Polls until `pid` is dead (gone or a zombie), at most 20 s; true when it died. */
async function diesSoon(pid) {
  for (let i = 0; i < 400; i++) {
    if (!alive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

/**
 * Starts a parent that spawns `sleep 30` with `options`, prints the child's
 * pid, then runs `then` (source). Resolves with the parent and the pid.
 */
async function parentWithChild(options, then = '') {
  const source = `
    import { spawn } from 'forkexec';
    const child = spawn('sleep', ['30'], ${JSON.stringify(options)});
    child.catch(() => {});
    console.log(child.pid);
    ${then}
  `;
  const parent = nodeSpawn(process.execPath, ['--input-type=module', '-e', source], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [chunk] = await once(parent.stdout, 'data');
  const pid = Number(String(chunk).trim());
  assert.ok(pid > 0, `child pid from the parent: ${chunk}`);
  return { parent, pid };
}

test('SIGINT to the parent kills the child, and the parent still dies of SIGINT', async () => {
  const { parent, pid } = await parentWithChild({});
  assert.ok(alive(pid));
  parent.kill('SIGINT');
  const [code, signal] = await once(parent, 'exit');
  assert.deepEqual([code, signal], [null, 'SIGINT'], 'the signal was not swallowed');
  assert.ok(await diesSoon(pid), 'the child died with its parent');
});

test('SIGTERM and SIGHUP too; a normal exit of the parent as well', async () => {
  for (const sig of ['SIGTERM', 'SIGHUP']) {
    const { parent, pid } = await parentWithChild({});
    parent.kill(sig);
    const [, signal] = await once(parent, 'exit');
    assert.equal(signal, sig);
    assert.ok(await diesSoon(pid), `${sig}: the child died`);
  }
  // An unref'd child does not keep the parent alive; its exit still kills it.
  const { parent, pid } = await parentWithChild({}, 'child.unref();');
  const [code] = await once(parent, 'exit');
  assert.equal(code, 0);
  assert.ok(await diesSoon(pid), 'exit: the child died');
});

test("a program's own SIGINT listener decides; its later exit still kills the child", async () => {
  const { parent, pid } = await parentWithChild(
    {},
    `process.on('SIGINT', () => { console.log('handled'); setTimeout(() => process.exit(3), 200); });`,
  );
  const handled = once(parent.stdout, 'data');
  parent.kill('SIGINT');
  assert.equal(String((await handled)[0]).trim(), 'handled');
  const [code] = await once(parent, 'exit');
  assert.equal(code, 3);
  assert.ok(await diesSoon(pid), 'the child died at exit');
});

test('cleanup: false and detached: true leave the child running', async () => {
  for (const options of [{ cleanup: false }, { detached: true, stdio: 'ignore' }]) {
    const { parent, pid } = await parentWithChild(options);
    parent.kill('SIGINT');
    const [, signal] = await once(parent, 'exit');
    assert.equal(signal, 'SIGINT');
    try {
      // Give a wrongly sent signal time to land before looking.
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.ok(alive(pid), `${JSON.stringify(options)}: the child outlived its parent`);
    } finally {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone (the assertion above says so)
      }
    }
  }
});

test('bad values are refused before anything starts', () => {
  assert.throws(() => spawn('true', [], { cleanup: 1 }), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => spawn('true', [], { detached: 'yes' }), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => spawn('true', [], { detached: true, pgid: 0 }), {
    code: 'ERR_INVALID_ARG_VALUE',
  });
});

test('no hooks remain once the children are gone (Node keeps its own SIGINT handling)', async () => {
  const count = () => ['SIGINT', 'SIGTERM', 'SIGHUP', 'exit'].map((e) => process.listenerCount(e));
  const before = count();
  const child = spawn('sleep', ['30']);
  assert.deepEqual(
    count(),
    before.map((n) => n + 1),
  );
  child.kill();
  await child.catch(() => undefined);
  assert.deepEqual(count(), before);
});
