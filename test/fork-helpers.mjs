// Fork tests run their scenarios in a node started with --single-threaded
// (the test runner's own processes are not), each under a watchdog: the
// spawnSync timeout kills a scenario that hangs, and the test fails.
import assert from 'node:assert/strict';
import { runNode, safeFlags } from './helpers.mjs';

/** Runs `source` (an ES module) in `node --single-threaded`; returns its RESULT line, parsed. */
export function runForkScenario(source, { timeout = 60_000, execArgv = safeFlags } = {}) {
  const run = runNode(source, { execArgv, timeout });
  const context = `status ${run.status}, signal ${run.signal}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
  assert.notEqual(
    run.signal,
    'SIGTERM',
    `the scenario hung and its watchdog killed it\n${context}`,
  );
  const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  assert.ok(line, `the scenario printed no RESULT line\n${context}`);
  return { ...run, result: JSON.parse(line.slice('RESULT '.length)), context };
}

/** Script prelude: imports, a RESULT printer and a watchdog for one child. */
export const prelude = `
import { fork, atFork, posix } from 'forkexec';
import { writeSync } from 'node:fs';
const report = (value) => writeSync(1, 'RESULT ' + JSON.stringify(value) + '\\n');
function watchdog(child, ms = 20000) {
  const timer = setTimeout(() => { writeSync(2, 'watchdog: child ' + child.pid + ' hung\\n'); child.kill('SIGKILL'); }, ms);
  const done = () => clearTimeout(timer);
  child.exited.then(done, done);
  return child;
}
`;

/** What every soak asserts: no child hung or failed, and every fork it started finished. */
export function assertSoakFinished(t, result, planned) {
  assert.deepEqual(result.hung, [], 'children hung (killed by their watchdog)');
  assert.equal(result.badCount, 0, JSON.stringify(result.bad));
  t.diagnostic(`${result.done} of ${planned} forks started within the budget, all finished`);
  assert.ok(result.done > 0, 'no fork ran');
  assert.equal(result.done, result.started);
}
