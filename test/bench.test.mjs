// The benchmark harness end to end: `forkexec bench --quick` as a user runs
// it, then its JSON and SVG as a reader gets them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLValidator, XMLParser } from 'fast-xml-parser';
import { root, tempDir } from './helpers.mjs';

test(
  'forkexec bench --quick writes results.json, results.md and a chart.svg that parses',
  { timeout: 300_000 },
  () => {
    const { dir, cleanup } = tempDir('forkexec-bench-');
    try {
      const cli = join(root, 'dist', 'cli.js');
      const list = execFileSync(process.execPath, [cli, 'bench', '--list'], { encoding: 'utf8' });
      const methods = list
        .trim()
        .split('\n')
        .map((line) => line.split(/\s+/)[0]);
      assert.ok(methods.includes('cp.spawn') && methods.includes('worker'), list);
      assert.ok(methods.includes('fork.step.bare') && methods.includes('fork.step.safety'), list);

      const table = execFileSync(process.execPath, [cli, 'bench', '--quick', '--out', dir], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      assert.match(table, /median ms/);

      const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
      assert.equal(results.meta.node, process.version);
      assert.ok(results.meta.cpus >= 1 && results.meta.kernel.length > 0);
      const skipped = new Set(results.skipped.map((s) => s.method));
      for (const method of methods) {
        if (skipped.has(method)) continue;
        const row = results.rows.find((r) => r.method === method);
        assert.ok(row, `a row for ${method}`);
        assert.ok(Number.isFinite(row.median) && row.median > 0, `${method} median ${row.median}`);
        assert.ok(row.p10 <= row.median && row.median <= row.p90, method);
      }
      // Everything runs on this machine: nothing may hide behind a skip.
      assert.deepEqual(results.skipped, []);

      const svg = readFileSync(join(dir, 'chart.svg'), 'utf8');
      assert.equal(XMLValidator.validate(svg), true);
      const parsed = new XMLParser({ ignoreAttributes: false }).parse(svg);
      assert.ok(parsed.svg, 'the root element is <svg>');
      // One line per start method; the steps of fork() are not starts and stay in the table.
      const starts = new Set(
        results.rows.filter((r) => r.group !== 'forkStep').map((r) => r.method),
      );
      assert.equal([].concat(parsed.svg.polyline).length, starts.size);
      const md = readFileSync(join(dir, 'results.md'), 'utf8');
      assert.match(md, /\| median ms \|/);
      // The ratios the issues set targets for, computed from this run.
      assert.match(
        md,
        /forkexec spawn \/ C posix_spawn floor at 50MB: \*\*\d+\.\d\dx\*\* \(target <= 1\.3x: (met|not met)\)/,
      );
      assert.match(md, /new Worker \/ fork\(fn\) at 50MB: \*\*\d+\.\d\dx\*\*/);
      // The steps of fork(), with what the scan found in the heap.
      assert.match(
        md,
        /\| one step of fork\(\) \| 50MB \| fork syscall, heap left MADV_DONTFORK \|/,
      );
      assert.match(md, /fork\.step\.scanCached at 50MB: [1-9]\d* MADV_DONTFORK mappings/);
      // One parent size: no ratio of a size against itself.
      assert.doesNotMatch(md, /largest parent \/ smallest/);
    } finally {
      cleanup();
    }
  },
);

test('forkexec bench refuses unknown methods and bad sizes with a clear message', () => {
  const cli = join(root, 'dist', 'cli.js');
  for (const [args, message] of [
    [['bench', '--methods', 'nope'], /unknown method\(s\) nope; known: /],
    [['bench', '--sizes', 'lots'], /not a size: 'lots'/],
    [['bench', '--iterations', '0'], /--iterations takes a whole number/],
  ]) {
    let error;
    try {
      execFileSync(process.execPath, [cli, ...args], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (e) {
      error = e;
    }
    assert.ok(error, `${args.join(' ')} must fail`);
    assert.equal(error.status, 1);
    assert.match(error.stderr, message);
  }
});

test('--methods, --sizes and --iterations select the work; progress goes to stderr', () => {
  const { dir, cleanup } = tempDir('forkexec-bench-select-');
  try {
    const cli = join(root, 'dist', 'cli.js');
    const run = spawnSync(
      process.execPath,
      [
        cli,
        'bench',
        '--methods',
        'posix.posixSpawn,cp.spawnSync',
        '--sizes',
        '20MB,60MB',
        '--iterations',
        '3',
        '--out',
        dir,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(run.status, 0, run.stderr);
    // Not a terminal: one progress line per step, on stderr.
    assert.match(run.stderr, /posix\.posixSpawn|cp\.spawnSync/);
    const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    assert.deepEqual(results.sizes, ['20MB', '60MB']);
    const got = results.rows.map((r) => `${r.method}@${r.size}`).sort();
    assert.deepEqual(got, [
      'cp.spawnSync@20MB',
      'cp.spawnSync@60MB',
      'posix.posixSpawn@20MB',
      'posix.posixSpawn@60MB',
    ]);
    for (const row of results.rows) {
      assert.ok(row.n >= 1 && row.n <= 3, `${row.method}: ${row.n} samples`);
      // The parent really held the asked-for memory while it measured.
      assert.ok(row.rssBytes >= row.sizeBytes, `${row.method}@${row.size}: rss ${row.rssBytes}`);
      assert.ok(row.ratio >= 1, `ratio to the fastest of its group: ${row.ratio}`);
    }
    const md = readFileSync(join(dir, 'results.md'), 'utf8');
    assert.match(md, /\| run \/bin\/true \| 60MB \|/);
  } finally {
    cleanup();
  }
});
