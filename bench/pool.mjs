#!/usr/bin/env node
// The Pool against Python's multiprocessing.Pool and piscina (2 workers, a
// trivial task `x => x + 1`), from the built dist/ (`npx tsc` first):
//
//   node bench/pool.mjs [--python-methods forkserver,fork,spawn] [--imap-items N]
//
// Each pool is measured in a fresh process (the parent's peak RSS of the
// imap row is that process's own). Figures are medians of 3 runs; ratios
// come from this one run (100 MB moves: one run). Python is skipped with a note when python3 is
// missing, piscina when it cannot be loaded.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const TASKS = join(root, 'bench', 'pool-task.mjs');
const target = (name = 'default') => ({ module: TASKS, export: name });

const option = (name, fallback) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : fallback;
};
const CONFIG = {
  bursts: [1000, 30000],
  trips: 2000,
  mapItems: 30000,
  imapItems: Number(option('--imap-items', 1_000_000)),
  megabytes: [1, 10, 100],
};

/** 100 MB moves are timed once (they take seconds on a loaded machine), smaller ones three times. */
const repeatsFor = (mb) => (mb >= 100 ? 1 : 3);

async function measureForkexec(startMethod) {
  const { Pool } = require(join(root, 'dist', 'index.js'));
  const bench = require(join(root, 'dist', 'bench', 'poolThroughput.js'));
  const pool = new Pool({ size: 2, startMethod });
  await Promise.all([1, 2, 3, 4].map((x) => pool.run(target(), [x])));
  const stream = await bench.streamCost(
    (source) => pool.imap(target(), source, { chunksize: 100 }),
    CONFIG.imapItems,
  );
  const run = (i) => pool.run(target(), [i]);
  const burst = {};
  for (const count of CONFIG.bursts) burst[count] = await bench.burstMicrosPerTask(run, count);
  const roundTrip = await bench.roundTripMicros(run, CONFIG.trips);
  const map = await bench.mapMicrosPerItem((items) => pool.map(target(), items), CONFIG.mapItems);
  const move = [];
  for (const mb of CONFIG.megabytes) {
    move.push(
      await bench.moveCost(
        (buffer) => pool.run(target('byteLength'), [buffer]),
        (bytes) => pool.run(target('makeBytes'), [bytes]),
        mb * 1024 * 1024,
        repeatsFor(mb),
      ),
    );
  }
  await pool.close();
  return { stream, burst, roundTrip, map, move };
}

async function measurePiscina() {
  const { Piscina } = require('piscina');
  const bench = require(join(root, 'dist', 'bench', 'poolThroughput.js'));
  const pool = new Piscina({ filename: TASKS, minThreads: 2, maxThreads: 2 });
  await Promise.all([1, 2, 3, 4].map((x) => pool.run(x)));
  const run = (i) => pool.run(i);
  const burst = {};
  for (const count of CONFIG.bursts) burst[count] = await bench.burstMicrosPerTask(run, count);
  const roundTrip = await bench.roundTripMicros(run, CONFIG.trips);
  const move = [];
  for (const mb of CONFIG.megabytes) {
    move.push(
      await bench.moveCost(
        (buffer) => pool.run(buffer, { name: 'byteLength' }),
        (bytes) => pool.run(bytes, { name: 'makeBytes' }),
        mb * 1024 * 1024,
        repeatsFor(mb),
      ),
    );
  }
  await pool.destroy();
  return { burst, roundTrip, move };
}

/** In a child process: measure one pool, print JSON. */
async function measureOne(kind) {
  const [family, method] = kind.split(':');
  const result = family === 'piscina' ? await measurePiscina() : await measureForkexec(method);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function runChild(command, args) {
  const run = spawnSync(command, args, { cwd: root, encoding: 'utf8', timeout: 600_000 });
  if (run.error) return { skipped: `${command}: ${run.error.code ?? run.error.message}` };
  if (run.status !== 0) {
    const why = (run.stderr || run.stdout).trim().split('\n').slice(-3).join(' / ');
    return { skipped: `exit ${run.status ?? run.signal}: ${why}` };
  }
  return JSON.parse(run.stdout.trim().split('\n').pop());
}

function measureInChild(kind) {
  const { safeModeFlags } = require(join(root, 'dist', 'index.js'));
  const flags = kind === 'forkexec:fork' ? safeModeFlags() : [];
  return runChild(process.execPath, [...flags, fileURLToPath(import.meta.url), '--measure', kind]);
}

function measurePython(method) {
  const python = spawnSync('python3', ['--version'], { encoding: 'utf8' });
  if (python.error) return { skipped: 'python3 not found' };
  return runChild('python3', [
    join(root, 'bench', 'pool.py'),
    method,
    CONFIG.bursts.join(','),
    String(CONFIG.trips),
    String(CONFIG.mapItems),
    String(CONFIG.imapItems),
    CONFIG.megabytes.join(','),
  ]);
}

function piscinaLoads() {
  try {
    require.resolve('piscina');
    return true;
  } catch {
    return false;
  }
}

const fmt = (value, digits = 1) =>
  value === undefined || Number.isNaN(value) ? 'n/a' : value.toFixed(digits);

function table(columns) {
  const [small, large] = CONFIG.bursts;
  const moveRow = (mb, way) => (r) => r.move?.find((m) => m.bytes === mb * 1024 * 1024)?.[way];
  const rows = [
    [`µs/task, ${small} queued`, (r) => r.burst?.[small]],
    [`µs/task, ${large} queued`, (r) => r.burst?.[large]],
    [`${large}/${small} cost ratio`, (r) => r.burst?.[large] / r.burst?.[small], 2],
    ['round trip µs', (r) => r.roundTrip],
    [`map µs/item (${CONFIG.mapItems}, default chunks)`, (r) => r.map, 2],
    ['map speed-up over run', (r) => r.burst?.[large] / r.map],
    [`imap µs/item (${CONFIG.imapItems}, chunksize 100)`, (r) => r.stream?.microsPerItem, 2],
    ['imap: peak RSS MiB', (r) => r.stream?.peakRssMiB, 0],
    ...CONFIG.megabytes.flatMap((mb) => [
      [`${mb} MB to worker, ms`, moveRow(mb, 'outMs'), 1],
      [`${mb} MB from worker, ms`, moveRow(mb, 'backMs'), 1],
    ]),
  ];
  const header = ['', ...columns.map(([name]) => name)];
  const body = rows.map(([label, get, digits]) => [
    label,
    ...columns.map(([, result]) => (result.skipped ? 'skipped' : fmt(get(result), digits))),
  ]);
  return [header, header.map(() => '---'), ...body]
    .map((cells) => `| ${cells.join(' | ')} |`)
    .join('\n');
}

function ratios(columns) {
  const [, large] = CONFIG.bursts;
  const by = Object.fromEntries(columns);
  const python = columns.find(([name]) => name.startsWith('python'))?.[1];
  const lines = [];
  for (const [name, r] of columns) {
    if (!name.startsWith('forkexec') || r.skipped) continue;
    const parts = [`${name}: 30k/1k ${fmt(r.burst[large] / r.burst[CONFIG.bursts[0]], 2)}`];
    if (python && !python.skipped)
      parts.push(`${fmt(python.burst[large] / r.burst[large], 2)}x Python's throughput`);
    if (by.piscina && !by.piscina.skipped) {
      parts.push(`${fmt(by.piscina.burst[large] / r.burst[large], 2)}x piscina's throughput`);
      parts.push(`round trip ${fmt(r.roundTrip / by.piscina.roundTrip, 2)}x piscina's`);
    }
    parts.push(`map ${fmt(r.burst[large] / r.map, 1)}x run`);
    lines.push(parts.join(', '));
  }
  return lines.join('\n');
}

async function main() {
  if (process.argv[2] === '--measure') return measureOne(process.argv[3]);
  const notes = [];
  const columns = [];
  for (const method of ['fork', 'forkserver', 'spawn']) {
    columns.push([`forkexec ${method}`, measureInChild(`forkexec:${method}`)]);
  }
  for (const method of option('--python-methods', 'forkserver').split(',')) {
    columns.push([`python ${method}`, measurePython(method)]);
  }
  if (piscinaLoads()) columns.push(['piscina', measureInChild('piscina:threads')]);
  else notes.push('piscina: skipped, it cannot be loaded (npm install --save-dev piscina)');
  for (const [name, result] of columns)
    if (result.skipped) notes.push(`${name}: skipped (${result.skipped})`);
  console.log(`Pool bench: 2 workers, trivial task, node ${process.version}, medians of 3\n`);
  console.log(table(columns));
  console.log(`\n${ratios(columns)}`);
  if (notes.length) console.log(`\nNotes:\n${notes.map((n) => `- ${n}`).join('\n')}`);
}

await main();
