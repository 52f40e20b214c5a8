// Kill escalation (#17): a child that ignores SIGTERM still ends after
// timeout, abort or kill(), through SIGKILL `forceKillAfterDelay` later;
// `forceKillAfterDelay: false` leaves it alone. The children here are real
// and really ignore SIGTERM (`trap '' TERM`, kept across exec).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { spawn, spawnSync } from 'forkexec';

const IGNORES_TERM = ['-c', "trap '' TERM; echo ready; exec sleep 30"];

function watchdog(promise, ms, what) {
  let timer;
  const bark = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`watchdog: ${what} still pending`)), ms);
  });
  return Promise.race([promise, bark]).finally(() => clearTimeout(timer));
}

/** Starts the TERM-ignoring child; resolves once its trap is in place (wrapped: a Subprocess is a thenable). */
async function ignoringChild(options) {
  const child = spawn('sh', IGNORES_TERM, options);
  const [line] = await once(child.stdout, 'data');
  assert.equal(String(line), 'ready\n');
  return { child };
}

test('timeout: SIGTERM, then SIGKILL forceKillAfterDelay later (async and sync)', async () => {
  // The trap must be set before the deadline: a run where the shell was not
  // yet there (no 'ready') proves nothing, so it is tried again, longer.
  let checked = 0;
  for (const timeout of [300, 2000, 10000]) {
    const r = await watchdog(
      spawn('sh', IGNORES_TERM, { timeout, forceKillAfterDelay: 100, reject: false }),
      60_000,
      'timeout with a TERM-ignoring child',
    );
    if (r.stdout !== 'ready\n') continue;
    assert.equal(r.timedOut, true);
    assert.equal(r.signal, 'SIGKILL');
    checked++;
    break;
  }
  for (const timeout of [300, 2000, 10000]) {
    const r = spawnSync('sh', IGNORES_TERM, { timeout, forceKillAfterDelay: 100, reject: false });
    if (r.stdout !== 'ready\n') continue;
    assert.equal(r.timedOut, true);
    assert.equal(r.signal, 'SIGKILL');
    checked++;
    break;
  }
  assert.equal(checked, 2, 'each form was checked with the trap in place');
});

test('abort and kill(): SIGTERM ignored, SIGKILL follows (default killSignal)', async () => {
  const controller = new AbortController();
  const { child: aborted } = await ignoringChild({
    signal: controller.signal,
    forceKillAfterDelay: 100,
  });
  controller.abort();
  const e = await watchdog(
    aborted.catch((x) => x),
    60_000,
    'abort',
  );
  assert.equal(e.isCanceled, true);
  assert.equal(e.signal, 'SIGKILL');

  const { child: killed } = await ignoringChild({ forceKillAfterDelay: 100 });
  assert.equal(killed.kill(), true);
  const k = await watchdog(
    killed.catch((x) => x),
    60_000,
    'kill()',
  );
  assert.equal(k.signal, 'SIGKILL');
  assert.equal(killed.killed, true);
});

test('the default delay applies when none is given', async () => {
  const { child } = await ignoringChild({});
  child.kill();
  const [, signal] = await watchdog(once(child, 'exit'), 60_000, 'default forceKillAfterDelay');
  assert.equal(signal, 'SIGKILL');
});

test('forceKillAfterDelay: false never escalates; bad values are refused', async () => {
  const { child } = await ignoringChild({ forceKillAfterDelay: false });
  child.kill();
  // Longer than the default delay (5 s): with escalation on it would be dead.
  const exited = once(child, 'exit');
  const outcome = await Promise.race([
    exited.then(() => 'exited'),
    new Promise((resolve) => setTimeout(resolve, 6000, 'alive')),
  ]);
  assert.equal(outcome, 'alive');
  assert.equal(child.exitCode, null);
  child.kill('SIGKILL');
  const [, signal] = await exited;
  assert.equal(signal, 'SIGKILL');
  for (const [bad, code] of [
    [-1, 'ERR_OUT_OF_RANGE'],
    [1.5, 'ERR_OUT_OF_RANGE'],
    ['100', 'ERR_INVALID_ARG_TYPE'],
  ]) {
    assert.throws(() => spawn('true', [], { forceKillAfterDelay: bad }), { code });
  }
});
