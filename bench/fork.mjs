#!/usr/bin/env node
/**
 * Start latency of forkexec against the kernel floor and its neighbours
 * (issue #15), medians from one run, against dist/ (`npx tsc -p .` first).
 *
 *   node bench/fork.mjs [--sizes 50MB,2GB] [--samples 30] [--json]
 *
 * One measuring process per parent size (node with the fork-safe flags,
 * grown to that size with lib/bench/ballast), plus one python3 process for
 * multiprocessing's start methods. Each row times one start to its result:
 * - raw fork floor: posix.fork(), the child posix._exit(0), waitpid; and the
 *   same with a result: the child writes v8.serialize(1) to a pipe first;
 * - fork(fn): `await fork(() => 1)`;
 * - Process(...).run() of a module target: fork; forkserver whose server did
 *   not preload it (back to back, then 100 ms apart); forkserver that
 *   preloaded it; spawn;
 * - new Worker posting one message; child_process.fork to its first IPC
 *   message, and to its exit too (Process.run() waits for the exit).
 * Then the target ratios, pass or fail.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { serialize } from 'node:v8';
import { tmpdir } from 'node:os';
import { once } from 'node:events';
import { fork as cpFork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', 'dist');
const require = createRequire(import.meta.url);
const forkexec = require(join(dist, 'index.js'));
const { allocateBallast, parseSize, formatSize } = require(join(dist, 'bench', 'ballast.js'));
const TARGET = { module: join(dist, 'bench', 'children', 'trivialTarget.js'), export: 'trivial' };
const IPC_CHILD = join(dist, 'bench', 'children', 'ipcChild.js');

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  return at >= 0 && at + 1 < process.argv.length ? process.argv[at + 1] : fallback;
}

function median(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function sample(n, warmup, once) {
  for (let i = 0; i < warmup; i++) await once();
  const times = [];
  for (let i = 0; i < n; i++) {
    const started = process.hrtime.bigint();
    const after = await once();
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (typeof after === 'function') await after();
  }
  return median(times);
}

/** The rows, in the measuring process (already at its size). */
async function measure(n) {
  const { fork, posix, Process, forkserver } = forkexec;
  const rows = {};
  rows.floor = await sample(n, 3, () => {
    const pid = posix.fork();
    if (pid === 0) posix._exit(0);
    posix.waitpid(pid);
  });
  // The floor for any JavaScript result: the child serializes one value,
  // writes it to a pipe and leaves; the parent reads it and reaps.
  rows.floorWithResult = await sample(n, 3, () => {
    const [readEnd, writeEnd] = posix.pipe();
    const pid = posix.fork();
    if (pid === 0) {
      writeSync(writeEnd, serialize(1));
      posix._exit(0);
    }
    posix.close(writeEnd);
    readSync(readEnd, Buffer.alloc(64));
    posix.close(readEnd);
    posix.waitpid(pid);
  });
  rows.forkFn = await sample(n, 3, async () => {
    await fork(() => 1);
  });
  // The parent has not imported the target before the first sample.
  rows.processFork = await sample(n, 0, () =>
    new Process({ target: TARGET, startMethod: 'fork' }).run(),
  );
  forkserver.start();
  rows.forkserverCold = await sample(n, 1, () =>
    new Process({ target: TARGET, startMethod: 'forkserver' }).run(),
  );
  // The same, with the server idle between requests: what a request costs
  // when a pre-forked child waits for it (back to back, the server is still
  // forking the last one's replacement).
  rows.forkserverColdSpaced = await sample(n, 1, async () => {
    await new Process({ target: TARGET, startMethod: 'forkserver' }).run();
    return () => new Promise((resolve) => setTimeout(resolve, 100));
  });
  await forkserver.stop();
  forkserver.start({ preload: [TARGET.module] });
  rows.forkserverPreloaded = await sample(n, 1, () =>
    new Process({ target: TARGET, startMethod: 'forkserver' }).run(),
  );
  await forkserver.stop();
  rows.processSpawn = await sample(Math.min(n, 15), 1, () =>
    new Process({ target: TARGET, startMethod: 'spawn' }).run(),
  );
  // Last: fork() refuses while a Worker lives.
  rows.worker = await sample(Math.min(n, 15), 1, async () => {
    const worker = new Worker("require('worker_threads').parentPort.postMessage(1)", {
      eval: true,
    });
    const exited = once(worker, 'exit');
    await once(worker, 'message');
    return () => exited;
  });
  rows.cpFork = await sample(Math.min(n, 15), 1, async () => {
    const child = cpFork(IPC_CHILD, [], { stdio: 'ignore' });
    const exited = once(child, 'exit');
    await once(child, 'message');
    return () => exited;
  });
  // Like for like with Process.run(), which resolves once the child has
  // answered and exited.
  rows.cpForkExit = await sample(Math.min(n, 15), 1, async () => {
    const child = cpFork(IPC_CHILD, [], { stdio: 'ignore' });
    const exited = once(child, 'exit');
    await once(child, 'message');
    await exited;
  });
  return rows;
}

const PYTHON = `
import json, sys, time, multiprocessing as mp
def target(conn):
    conn.send(1)
    conn.close()
def run(method, n):
    ctx = mp.get_context(method)
    times = []
    for i in range(n + 1):
        r, w = ctx.Pipe(duplex=False)
        t = time.perf_counter()
        p = ctx.Process(target=target, args=(w,))
        p.start()
        r.recv()
        p.join()
        if i: times.append((time.perf_counter() - t) * 1000)
        r.close(); w.close()
    times.sort()
    return times[len(times) // 2]
if __name__ == '__main__':
    n = int(sys.argv[1])
    print(json.dumps({m: run(m, n if m != 'spawn' else min(n, 15)) for m in ('fork', 'forkserver', 'spawn')}))
`;

function python(n) {
  // A file, not -c: forkserver and spawn children import the target from __main__.
  const dir = mkdtempSync(join(tmpdir(), 'forkexec-bench-'));
  const script = join(dir, 'mp_start.py');
  writeFileSync(script, PYTHON, { mode: 0o600 });
  let run;
  try {
    run = spawnSync('python3', [script, String(n)], { encoding: 'utf8', timeout: 300_000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (run.error || run.status !== 0) {
    return {
      skipped: `python3 not usable here (${run.error?.code ?? run.stderr.trim().split('\n').pop()})`,
    };
  }
  return JSON.parse(run.stdout);
}

function measureAt(size, n) {
  const flags = forkexec.safeModeFlags();
  const heapMb = Math.ceil(size / 1024 / 1024) + 1024;
  const run = spawnSync(
    process.execPath,
    [
      ...flags,
      `--max-old-space-size=${heapMb}`,
      fileURLToPath(import.meta.url),
      '--measure',
      String(size),
      '--samples',
      String(n),
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 },
  );
  if (run.status !== 0) throw new Error(`the measuring process at ${formatSize(size)} failed`);
  return JSON.parse(run.stdout.trim().split('\n').pop());
}

const fmt = (ms) => (ms === undefined ? '-' : `${ms.toFixed(2)} ms`);

function verdict(ok) {
  return ok ? 'PASS' : 'FAIL';
}

function report(results, py) {
  const sizes = Object.keys(results);
  const rowNames = [
    ['floor', 'raw posix.fork() + child _exit(0) + waitpid (floor)'],
    [
      'floorWithResult',
      'raw fork, child sends v8.serialize(1) on a pipe + _exit (floor with a result)',
    ],
    ['forkFn', 'await fork(() => 1)'],
    ['processFork', 'Process(fork) of a module target'],
    ['forkserverCold', 'Process(forkserver), module not preloaded'],
    ['forkserverColdSpaced', 'Process(forkserver), not preloaded, requests 100 ms apart'],
    ['forkserverPreloaded', 'Process(forkserver), module preloaded'],
    ['processSpawn', 'Process(spawn)'],
    ['worker', 'new Worker posting one message'],
    ['cpFork', 'child_process.fork to first IPC message'],
    ['cpForkExit', 'child_process.fork to first IPC message and exit'],
  ];
  const lines = [
    `| start to result (medians) | ${sizes.join(' | ')} |`,
    `| --- |${sizes.map(() => ' --- |').join('')}`,
  ];
  for (const [key, label] of rowNames) {
    lines.push(`| ${label} | ${sizes.map((s) => fmt(results[s][key])).join(' | ')} |`);
  }
  if (py.skipped) lines.push(`| Python multiprocessing | skipped: ${py.skipped} |`);
  else
    lines.push(
      `| Python Process fork / forkserver / spawn | ${fmt(py.fork)} / ${fmt(py.forkserver)} / ${fmt(py.spawn)} |`,
    );
  lines.push('', 'Targets (issue #15):');
  for (const size of sizes) {
    const r = results[size];
    const target = (ok, text) => lines.push(`- ${verdict(ok)} [${size}] ${text}`);
    target(
      r.forkFn <= 1.5 * r.floor,
      `fork(fn) / floor = ${(r.forkFn / r.floor).toFixed(2)} (<= 1.5)`,
    );
    if (!py.skipped)
      target(r.forkFn < py.fork, `fork(fn) ${fmt(r.forkFn)} < Python fork ${fmt(py.fork)}`);
    target(
      r.processFork <= 1.5 * r.forkFn,
      `Process(fork) / fork(fn) = ${(r.processFork / r.forkFn).toFixed(2)} (<= 1.5)`,
    );
    target(
      r.worker >= 10 * r.forkserverCold,
      `Worker / Process(forkserver, not preloaded) = ${(r.worker / r.forkserverCold).toFixed(1)} (>= 10)`,
    );
    target(
      r.worker >= 10 * r.forkserverColdSpaced,
      `Worker / Process(forkserver, not preloaded, requests apart) = ${(r.worker / r.forkserverColdSpaced).toFixed(1)} (>= 10)`,
    );
    target(
      r.processSpawn <= r.cpFork,
      `Process(spawn) ${fmt(r.processSpawn)} <= child_process.fork ${fmt(r.cpFork)}`,
    );
    target(
      r.processSpawn <= r.cpForkExit,
      `Process(spawn) ${fmt(r.processSpawn)} <= child_process.fork to exit ${fmt(r.cpForkExit)} (both wait for the exit)`,
    );
  }
  if (sizes.length > 1) {
    const cold = sizes.map((s) => results[s].forkserverCold);
    const spread = Math.max(...cold) / Math.min(...cold);
    lines.push(
      `- ${verdict(spread <= 1.5)} forkserver (not preloaded) flat across ${sizes.join(', ')}: max/min = ${spread.toFixed(2)} (<= 1.5)`,
    );
  }
  return lines.join('\n');
}

async function main() {
  const n = Number(option('--samples', '30'));
  if (process.argv.includes('--measure')) {
    const size = Number(option('--measure', '0'));
    const ballast = allocateBallast(Math.max(0, size - process.memoryUsage.rss()));
    const rows = await measure(n);
    rows.rssBytes = process.memoryUsage.rss();
    process.stdout.write(`${JSON.stringify(rows)}\n`);
    void ballast;
    return;
  }
  const sizes = option('--sizes', '50MB').split(',').map(parseSize);
  const results = {};
  for (const size of sizes) {
    process.stderr.write(`measuring at ${formatSize(size)}...\n`);
    results[formatSize(size)] = measureAt(size, n);
  }
  process.stderr.write('measuring python3 multiprocessing...\n');
  const py = python(n);
  if (process.argv.includes('--json')) console.log(JSON.stringify({ results, python: py }));
  console.log(`node ${process.version}, ${new Date().toISOString()}`);
  console.log(report(results, py));
}

await main();
