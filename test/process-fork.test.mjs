// Process and Pool with the fork start method: the child is a copy of the
// parent, so closures and all parent state are there. Scenarios run in
// `node --single-threaded` (see fork-helpers.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runForkScenario } from './fork-helpers.mjs';
import { root, runNode } from './helpers.mjs';

const MODULE = join(root, 'test', 'fixtures', 'targets.mjs');
const prelude = `
import { Process, Pool } from 'forkexec';
import { writeSync, readdirSync } from 'node:fs';
import * as targets from ${JSON.stringify(MODULE)};
const report = (value) => writeSync(1, 'RESULT ' + JSON.stringify(value) + '\\n');
const children = () => readdirSync('/proc').filter((p) => /^\\d+$/.test(p)).filter((p) => {
  try { return (require_stat(p)); } catch { return false; }
});
import { readFileSync } from 'node:fs';
function require_stat(p) { const s = readFileSync('/proc/' + p + '/stat', 'utf8'); return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]) === process.pid; }
`;

test('a fork child has the closures and state of its parent; module state is shared (no re-import)', () => {
  const { result } = runForkScenario(`${prelude}
    const table = new Map([['answer', 42]]);
    const secret = { nested: [1, 2, 3] };
    const value = await new Process({ target: (k) => [table.get(k), secret.nested.length], args: ['answer'], startMethod: 'fork' }).run();
    const childSeed = await new Process({ target: () => targets.seed, startMethod: 'fork' }).run();
    const moduleSeed = await new Process({ target: { module: ${JSON.stringify(MODULE)}, export: 'getSeed' }, startMethod: 'fork' }).run();
    report({ value, same: childSeed === targets.seed, moduleSame: moduleSeed === targets.seed, left: children().length });
  `);
  assert.deepEqual(result, { value: [42, 3], same: true, moduleSame: true, left: 0 });
});

test('a fork Pool runs closures, including functions made after its workers were forked', () => {
  const { result } = runForkScenario(`${prelude}
    const pool = new Pool({ size: 2, startMethod: 'fork' });
    const factor = 3;
    const first = await Promise.all([1, 2, 3, 4].map((x) => pool.run((y) => y * factor, [x])));
    const later = (y) => y + 1000;
    const second = await Promise.all([1, 2].map((x) => pool.run(later, [x])));
    let crashed;
    try { await pool.run(() => process.kill(process.pid, 'SIGKILL')); } catch (e) { crashed = [e.code, e.signal]; }
    const after = await pool.run(() => 'still works');
    await pool.close();
    report({ first, second, crashed, after, left: children().length });
  `);
  assert.deepEqual(result, {
    first: [3, 6, 9, 12],
    second: [1001, 1002],
    crashed: ['ERR_FORKEXEC_CHILD_DIED', 'SIGKILL'],
    after: 'still works',
    left: 0,
  });
});

test('errors thrown in a fork child come back with its stack', () => {
  const { result } = runForkScenario(`${prelude}
    try {
      await new Process({ target: function failsInChild() { throw new TypeError('from the child'); }, startMethod: 'fork' }).run();
      report({ threw: false });
    } catch (e) { report({ name: e.name, message: e.message, stack: /failsInChild/.test(e.stack) }); }
  `);
  assert.deepEqual(result, { name: 'TypeError', message: 'from the child', stack: true });
});

test('without --single-threaded the fork start method refuses with ERR_FORK_UNSAFE', () => {
  const run = runNode(`
    import { Process } from 'forkexec';
    try { await new Process({ target: () => 1, startMethod: 'fork' }).run(); console.log('ran'); }
    catch (e) { console.log(e.code); }
  `);
  assert.equal(run.stdout.trim(), 'ERR_FORK_UNSAFE', run.stderr);
});
