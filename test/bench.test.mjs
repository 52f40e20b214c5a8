// The benchmark harness end to end: `forkexec bench --quick` as a user runs
// it, then its JSON, Markdown and SVGs as a reader gets them. Structure is
// asserted, never timings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { XMLValidator, XMLParser } from 'fast-xml-parser';
import { root, tempDir } from './helpers.mjs';

const cli = join(root, 'dist', 'cli.js');
const hasPython = spawnSync('python3', ['-c', 'import multiprocessing']).status === 0;

function bench(args, { cwd = root, env = process.env } = {}) {
  return spawnSync(process.execPath, [cli, 'bench', ...args], {
    encoding: 'utf8',
    cwd,
    env,
    timeout: 240_000,
  });
}

/** Parses an SVG and returns its polylines' and bars' colours. */
function svgColours(path) {
  const svg = readFileSync(path, 'utf8');
  assert.equal(XMLValidator.validate(svg), true, path);
  const parsed = new XMLParser({ ignoreAttributes: false }).parse(svg);
  assert.ok(parsed.svg, `${path}: the root element is <svg>`);
  const lines = [].concat(parsed.svg.polyline ?? []).map((p) => p['@_stroke']);
  const bars = []
    .concat(parsed.svg.rect ?? [])
    .slice(2)
    .map((r) => r['@_fill']);
  return { lines, bars };
}

/** A messaging row a user with many short tasks can decide from: 10,000 queued, one by one and in chunks. */
function assertManyShortTasks(r) {
  const f = r.figures;
  assert.ok(f.roundTripUs > 0, `${r.subject}: round trip`);
  assert.equal(f.tasksQueued, 10_000, r.subject);
  assert.ok(f.tasksPerSecond > 0 && f.mapItemsPerSecond > 0, `${r.subject}: ${JSON.stringify(f)}`);
}

function assertSectionsComplete(results, cores) {
  const messaging = results.sections.messaging.filter((r) => r.language === 'JavaScript');
  assert.deepEqual(
    messaging.map((r) => r.subject),
    ['pool.fork', 'pool.forkserver', 'pool.spawn', 'workers', 'cp.fork'],
  );
  for (const r of messaging) {
    assert.equal(r.error, undefined, `${r.subject}: ${r.error}`);
    assertManyShortTasks(r);
  }
  assert.equal(messaging.find((r) => r.subject === 'pool.fork').singleThreaded, true);
  const scaling = results.sections.scaling.filter((r) => r.language === 'JavaScript');
  for (const r of scaling) {
    assert.equal(r.error, undefined, `${r.subject}: ${r.error}`);
    assert.deepEqual(
      r.points.map((p) => p.n),
      [...new Set([1, cores])],
    );
    assert.ok(
      r.points.every((p) => p.wallMs > 0 && p.speedup > 0),
      r.subject,
    );
  }
}

function assertPythonRows(results, md) {
  if (!hasPython) {
    assert.match(results.sections.pythonNote, /no usable python3/);
    return;
  }
  const methods = Object.keys(results.sections.python.methods).sort();
  assert.ok(methods.includes('fork') && methods.includes('spawn'), methods.join());
  for (const [method, m] of Object.entries(results.sections.python.methods)) {
    assert.ok(m.startMs.value > 0, `python ${method} start`);
    assert.ok(m.memory.value.ussKiB > 0, `python ${method} memory`);
  }
  const labelled = results.sections.messaging.filter((r) => r.language === 'Python');
  assert.equal(labelled.length, methods.length);
  for (const r of labelled) {
    assert.ok(r.label.startsWith('Python '), r.label);
    assertManyShortTasks(r);
  }
  const manyShort = md.slice(md.indexOf('## Many short tasks: 10000 trivial tasks queued at once'));
  assert.match(manyShort, /\| Python \| Python Pool\(fork\) \| \d+ \| [\d.]+ \| [\d.]+x \| \d+ \|/);
}

test(
  'forkexec bench --quick answers every question, into a private directory of its own',
  { timeout: 300_000 },
  () => {
    const { dir: cwd, cleanup } = tempDir('forkexec-bench-cwd-');
    let out;
    try {
      const run = bench(['--quick'], { cwd });
      assert.equal(run.status, 0, run.stderr);
      // Nothing written into the project that ran it; the output dir is printed.
      assert.equal(existsSync(join(cwd, 'bench')), false);
      out = /^wrote (.+): results\.json/m.exec(run.stdout)?.[1];
      assert.ok(out?.startsWith(tmpdir()), run.stdout);
      assert.equal(statSync(out).mode & 0o777, 0o700);
      assert.deepEqual(readdirSync(out).sort(), [
        'memory.svg',
        'messaging.svg',
        'results.json',
        'results.md',
        'scaling.svg',
        'start.svg',
      ]);
      // Progress on stderr only.
      assert.match(run.stderr, /messaging pool\.forkserver/);
      assert.doesNotMatch(run.stdout, /\[\d+\/\d+\]/);

      const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
      assert.equal(results.meta.node, process.version);
      assert.deepEqual(results.skipped, []);
      for (const row of results.rows) {
        assert.equal(row.error, undefined, `${row.method}: ${row.error}`);
        assert.ok(row.n > 0 && row.p10 <= row.median && row.median <= row.p90, row.method);
      }
      const row = (id) => results.rows.find((r) => r.method === id);
      // (1) memory per unit, (2) the child's own cost of a start.
      for (const id of [
        'forkexec.fork',
        'process.fork',
        'process.forkserver',
        'process.spawn',
        'cp.fork',
      ]) {
        const m = row(id).memory;
        assert.ok(m.rssKiB > 0 && m.pssKiB > 0 && m.ussKiB > 0 && m.ussKiB <= m.rssKiB, id);
      }
      assert.ok(row('worker').memory.rssKiB !== undefined);
      for (const id of [
        'forkexec.spawn',
        'posix.posixSpawn',
        'forkexec.fork',
        'process.spawn',
        'process.forkserver',
      ]) {
        const u = row(id).startUsage;
        assert.ok(u.n > 0 && u.cpuMs > 0 && u.minorFaults > 0, id);
      }
      assert.equal(row('cp.spawn').startUsage, undefined);
      // (3) messaging, (4) scaling, (5) Python.
      const cores = results.meta.cpus;
      assertSectionsComplete(results, cores);
      const md = readFileSync(join(out, 'results.md'), 'utf8');
      assertPythonRows(results, md);
      // (6) the recommendation, from this run's figures.
      for (const topic of [
        'One-off JavaScript tasks',
        'Many short tasks',
        'Big parents',
        'Memory-bound fan-out',
      ]) {
        assert.match(md, new RegExp(`- ${topic}`));
        assert.match(run.stdout, new RegExp(`- ${topic}`));
      }
      assert.match(md, /\[--single-threaded\]/);
      for (const title of [
        'What a start costs',
        'costs the child',
        'costs in memory',
        'Messaging',
        'Many short tasks: 10000 trivial tasks queued at once',
        'CPU-bound scaling',
      ]) {
        assert.match(md, new RegExp(`## .*${title}`));
      }
      assert.match(md, /forkexec spawn \/ C posix_spawn floor at 50MB: \*\*\d+\.\d\dx\*\*/);

      // One chart per question; every line and bar its own colour.
      const start = svgColours(join(out, 'start.svg'));
      const starts = new Set(
        results.rows.filter((r) => r.group !== 'forkStep').map((r) => r.method),
      );
      assert.equal(start.lines.length, starts.size);
      for (const name of ['start.svg', 'memory.svg', 'messaging.svg', 'scaling.svg']) {
        const { lines, bars } = svgColours(join(out, name));
        const colours = name === 'messaging.svg' ? bars : lines;
        assert.ok(colours.length > 1, name);
        assert.equal(new Set(colours).size, colours.length, `${name}: ${colours.join(' ')}`);
      }
    } finally {
      cleanup();
      if (out) rmSync(out, { recursive: true, force: true });
    }
  },
);

test('forkexec bench refuses bad input before anything runs, listing what exists', () => {
  for (const [args, message] of [
    [['--methods', 'nope'], /unknown method\(s\) nope; known: c\.posix_spawn, /],
    [
      ['--sections', 'starts,nope'],
      /unknown section\(s\) nope; known: starts, messaging, scaling, python/,
    ],
    [['--sizes', 'lots'], /not a size: 'lots' \(use e\.g\. 50MB, 512MB, 2GB\)/],
    [
      ['--sizes', '50MB,9000GB'],
      /parent size 9000GB needs about [\d.]+GB of memory; this machine has .* available/,
    ],
    [['--iterations', '0'], /--iterations takes a whole number/],
  ]) {
    const run = bench(args);
    assert.equal(run.status, 1, `${args.join(' ')} must fail`);
    assert.match(run.stderr, message);
    assert.equal(run.stdout, '');
  }
});

test('--methods, --sizes, --sections select the work', () => {
  const { dir, cleanup } = tempDir('forkexec-bench-select-');
  try {
    const run = bench([
      '--methods',
      'posix.posixSpawn,cp.spawnSync',
      '--sizes',
      '20MB,60MB',
      '--sections',
      'starts',
      '--iterations',
      '3',
      '--out',
      dir,
    ]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /posix\.posixSpawn/);
    const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    assert.deepEqual(results.sizes, ['20MB', '60MB']);
    assert.equal(results.sections, undefined);
    const got = results.rows.map((r) => `${r.method}@${r.size}`).sort();
    assert.deepEqual(got, [
      'cp.spawnSync@20MB',
      'cp.spawnSync@60MB',
      'posix.posixSpawn@20MB',
      'posix.posixSpawn@60MB',
    ]);
    for (const row of results.rows) {
      assert.equal(row.error, undefined, `${row.method}: ${row.error}`);
      assert.ok(row.n >= 1 && row.n <= 3, `${row.method}: ${row.n} samples`);
      assert.ok(row.rssBytes >= row.sizeBytes, `${row.method}@${row.size}: rss ${row.rssBytes}`);
      assert.ok(row.ratio >= 1, `ratio to the fastest of its group: ${row.ratio}`);
    }
    assert.match(readFileSync(join(dir, 'results.md'), 'utf8'), /\| run \/bin\/true \| 60MB \|/);
  } finally {
    cleanup();
  }
});

// A real failure, not a switch in the product: the fixture starts a live
// Worker in every measuring process (NODE_OPTIONS reaches them), and with a
// Worker running forkexec refuses to fork. The fork-based rows must say so;
// the spawn and thread rows measured by the same processes must stand.
const liveWorker = pathToFileURL(join(root, 'test', 'fixtures', 'live-worker.mjs')).href;

test('a method refused mid-run (a live Worker makes fork unsafe) keeps its row with the error and the run goes on; --python names the interpreter', () => {
  const { dir, cleanup } = tempDir('forkexec-bench-refused-');
  try {
    const run = bench(
      [
        '--quick',
        '--methods',
        'forkexec.fork,process.spawn,worker',
        '--sizes',
        '20MB',
        '--iterations',
        '3',
        '--sections',
        'starts,messaging,python',
        '--python',
        join(dir, 'no-python3-here'),
        '--out',
        dir,
      ],
      {
        env: {
          ...process.env,
          NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${liveWorker}`.trim(),
        },
      },
    );
    assert.equal(run.status, 0, run.stderr);
    const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    const refused = /\[ERR_FORK_UNSAFE\]: fork\(\) refused: 1 Worker thread\(s\) are running/;
    const fork = results.rows.find((r) => r.method === 'forkexec.fork');
    assert.equal(fork.n, 0);
    assert.match(fork.error, refused);
    for (const id of ['process.spawn', 'worker']) {
      const row = results.rows.find((r) => r.method === id);
      assert.equal(row.error, undefined, `${id}: ${row.error}`);
      assert.ok(row.n > 0 && row.median > 0, id);
    }
    const messaging = results.sections.messaging;
    assert.match(messaging.find((r) => r.subject === 'pool.fork').error, refused);
    const others = messaging.filter((r) => r.subject !== 'pool.fork');
    assert.deepEqual(
      others.map((r) => r.subject),
      ['pool.forkserver', 'pool.spawn', 'workers', 'cp.fork'],
    );
    for (const r of others) {
      assert.equal(r.error, undefined, `${r.subject}: ${r.error}`);
      assert.ok(r.figures.tasksPerSecond > 0, r.subject);
    }
    assert.match(run.stdout, /forkexec fork\(fn\) +failed: Error \[ERR_FORK_UNSAFE\]/);
    assert.match(
      run.stdout,
      /Pool\(fork\) \[--single-threaded\] +failed: Error \[ERR_FORK_UNSAFE\]/,
    );
    assert.match(results.sections.pythonNote, /no usable .*no-python3-here.*skipped/);
    assert.match(run.stdout, /Python rows[\s\S]*no usable/);
  } finally {
    cleanup();
  }
});
