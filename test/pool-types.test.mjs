// The Pool's types: a function target infers its arguments and its result;
// wrong arguments do not compile (tsc over test/fixtures/pool-types).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { root } from './helpers.mjs';

test('run, map and imap infer Parameters<F> -> Awaited<ReturnType<F>>; wrong arguments fail to compile', () => {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const check = join(root, 'test', 'fixtures', 'pool-types', 'check.ts');
  const run = spawnSync(
    process.execPath,
    [
      tsc,
      '--noEmit',
      '--strict',
      '--target',
      'ES2022',
      '--module',
      'node16',
      '--moduleResolution',
      'node16',
      '--types',
      'node',
      '--lib',
      'ES2022,esnext.disposable',
      check,
    ],
    { cwd: root, encoding: 'utf8', timeout: 120_000 },
  );
  assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
});
