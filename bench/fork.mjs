// Benchmark of fork() for JavaScript (not a test: nothing here asserts).
//
//   node --single-threaded bench/fork.mjs (Node 26: also --minor-ms; see safeModeFlags)
//   or forkexec-node bench/fork.mjs [--rounds 30] [--heaps 50,1024] [--json]
//
// 1. Start-to-result of forkexec fork(fn) for a trivial fn, against a Worker
//    that posts one message and a child_process.fork of a module that sends
//    one IPC message (medians, and the ratios).
// 2. What the safety steps (finding the MADV_DONTFORK mappings, madvise
//    before and after) cost next to the bare fork syscall, at ~50 MB and ~1 GB
//    of V8 heap, each in a fresh node so that the heaps do not mix.
//
// The measuring functions are exported for a harness.
import { fork, safeModeFlags } from 'forkexec';
import { Worker } from 'node:worker_threads';
import { fork as childProcessFork, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const here = fileURLToPath(new URL('.', import.meta.url));

export function median(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function sample(rounds, warmup, once) {
  for (let i = 0; i < warmup; i++) await once();
  const samples = [];
  for (let i = 0; i < rounds; i++) samples.push(await once());
  return samples;
}

/** fork(() => 1): from the call to the awaited result (the child has exited and been reaped). */
export function measureForkFn(rounds = 30, warmup = 3) {
  return sample(rounds, warmup, async () => {
    const start = performance.now();
    const { value } = await fork(() => 1);
    const elapsed = performance.now() - start;
    if (value !== 1) throw new Error(`fork(fn) returned ${value}`);
    return elapsed;
  });
}

/** new Worker(...) to its one message (then waits, untimed, for it to exit). */
export function measureWorker(rounds = 30, warmup = 3) {
  const source = "require('node:worker_threads').parentPort.postMessage(1);";
  return sample(rounds, warmup, async () => {
    const start = performance.now();
    const worker = new Worker(source, { eval: true });
    // A worker that exits at once emits 'message' and 'exit' in one go.
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    const elapsed = performance.now() - start;
    await exited;
    return elapsed;
  });
}

/** child_process.fork(module) to its one IPC message (then waits, untimed, for it to exit). */
export function measureChildProcessFork(rounds = 30, warmup = 3) {
  const module = `${here}ipc-child.cjs`;
  return sample(rounds, warmup, async () => {
    const start = performance.now();
    const child = childProcessFork(module, [], {
      execArgv: [],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await new Promise((resolve, reject) => {
      child.once('message', resolve);
      child.once('error', reject);
    });
    const elapsed = performance.now() - start;
    await exited;
    return elapsed;
  });
}

/** Retains about `megabytes` of V8 heap (objects and arrays, as a program's data). */
export function growHeap(megabytes) {
  const retained = [];
  while (process.memoryUsage().heapUsed < megabytes * 1e6) {
    retained.push(
      Array.from({ length: 50_000 }, (_, i) => ({ i, name: `item${i}`, values: [i, i / 2] })),
    );
  }
  return retained;
}

/**
 * The fork recipe step by step at the current heap, children that _exit at
 * once (native/js_fork.cc measureFork). Medians in milliseconds:
 * - bareFork: the fork syscall alone (the heap stays MADV_DONTFORK, as
 *   child_process leaves it; such a child cannot run JavaScript);
 * - scanFull / scanCached: finding the MADV_DONTFORK mappings by reading
 *   /proc/self/smaps, or /proc/self/maps when it is unchanged (what fork() does);
 * - allow / restore: the madvise calls before and after;
 * - heapFork: the fork syscall once the heap is forkable (the child gets the
 *   heap's page tables: the cost of a child that has the heap, not of safety).
 */
export function measureSafety(rounds = 30) {
  const native = require('../dist/native.js').binding('bench');
  const ms = (ns) => ns / 1e6;
  const bare = [];
  const full = [];
  const cached = [];
  for (let i = 0; i < rounds; i++) {
    bare.push(native.measureFork('bare'));
    full.push(native.measureFork('scan'));
    cached.push(native.measureFork('cached'));
  }
  const hits = cached.filter((t) => t.scanReused);
  const pick = (list, key) => median(list.map((t) => ms(t[key])));
  const result = {
    heapMB: Math.round(process.memoryUsage().heapUsed / 1e6),
    dontForkMappings: full.at(-1).mappings,
    madviseRanges: full.at(-1).ranges,
    dontForkMB: Math.round(full.at(-1).bytes / 1e6),
    bareFork: pick(bare, 'forkNs'),
    scanFull: pick(full, 'scanNs'),
    scanCached: pick(hits.length > 0 ? hits : cached, 'scanNs'),
    cacheHits: `${hits.length}/${cached.length}`,
    allow: pick(cached, 'allowNs'),
    restore: pick(cached, 'restoreNs'),
    heapFork: pick(cached, 'forkNs'),
  };
  result.safetyOverhead = result.scanCached + result.allow + result.restore;
  result.overheadVsBareFork = result.safetyOverhead / result.bareFork;
  result.overheadVsBareForkFullScan =
    (result.scanFull + result.allow + result.restore) / result.bareFork;
  return result;
}

/** measureSafety in a fresh node in the safe mode holding `megabytes` of heap. */
export function measureSafetyAtHeap(megabytes, rounds = 30) {
  const run = spawnSync(
    process.execPath,
    [
      ...safeModeFlags(),
      `--max-old-space-size=${Math.max(4096, megabytes * 3)}`,
      fileURLToPath(import.meta.url),
      '--safety-at',
      String(megabytes),
      '--rounds',
      String(rounds),
    ],
    { encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  if (run.status !== 0) throw new Error(`safety run at ${megabytes} MB failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  return at < 0 ? fallback : process.argv[at + 1];
}

const fmt = (x) => (x >= 10 ? x.toFixed(1) : x.toFixed(2));

async function main() {
  const rounds = Number(option('--rounds', 30));
  const safetyAt = option('--safety-at', undefined);
  if (safetyAt !== undefined) {
    const keep = growHeap(Number(safetyAt));
    process.stdout.write(JSON.stringify(measureSafety(rounds)));
    keep.length = 0;
    return;
  }
  const heaps = option('--heaps', '50,1024').split(',').map(Number);
  const forkFn = median(await measureForkFn(rounds));
  const worker = median(await measureWorker(rounds));
  const cpFork = median(await measureChildProcessFork(rounds));
  const startResult = {
    node: process.version,
    heapMB: Math.round(process.memoryUsage().heapUsed / 1e6),
    forkFnMs: forkFn,
    workerMs: worker,
    childProcessForkMs: cpFork,
    workerOverFork: worker / forkFn,
    childProcessForkOverFork: cpFork / forkFn,
  };
  const safety = heaps.map((mb) => ({ targetMB: mb, ...measureSafetyAtHeap(mb, rounds) }));
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify({ rounds, startResult, safety }, null, 2));
    return;
  }
  console.log(`forkexec fork() benchmark, node ${process.version}, ${rounds} rounds, medians`);
  console.log(`\nstart to result (trivial work, heap ${startResult.heapMB} MB):`);
  console.log(`  fork(fn)                 ${fmt(forkFn)} ms`);
  console.log(
    `  new Worker               ${fmt(worker)} ms   (${fmt(startResult.workerOverFork)}x fork(fn))`,
  );
  console.log(
    `  child_process.fork       ${fmt(cpFork)} ms   (${fmt(startResult.childProcessForkOverFork)}x fork(fn))`,
  );
  console.log('\nsafety steps vs the bare fork syscall (ms):');
  console.log(
    '  heap MB  dc maps  bare fork  scan(cached)  scan(full)  madvise before+after  overhead/bare  fork w/ heap',
  );
  for (const s of safety) {
    console.log(
      `  ${String(s.heapMB).padStart(7)}  ${String(s.dontForkMappings).padStart(7)}  ${fmt(s.bareFork).padStart(9)}  ${fmt(s.scanCached).padStart(12)}  ${fmt(s.scanFull).padStart(10)}  ${fmt(s.allow + s.restore).padStart(20)}  ${(fmt(s.overheadVsBareFork) + 'x').padStart(13)}  ${fmt(s.heapFork).padStart(12)}`,
    );
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
