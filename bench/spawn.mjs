// Spawn cost, sequential spawns of /bin/true, medians:
//   node bench/spawn.mjs [--runs N] [--big-runs N] [--gib G]
// Measures a C posix_spawn+waitpid loop (the floor on this machine, compiled
// here with cc), forkexec spawn() per start method, child_process.spawn and
// child_process.spawnSync, first at normal size, then again while the parent
// holds G GiB of touched Buffers. Never used by the tests (no timing there).
// The measuring functions are exported for a benchmark harness.
import { execFileSync, spawn as cpSpawn, spawnSync as cpSpawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawn, posix } from 'forkexec';

const TRUE = '/bin/true';

/** The median of a list of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const C_FLOOR = `
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
extern char** environ;
int main(int argc, char** argv) {
  int runs = atoi(argv[1]);
  char* args[] = {"${TRUE}", NULL};
  for (int i = -5; i < runs; i++) {  /* 5 unmeasured: a fresh process warms up */
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    pid_t pid;
    if (posix_spawn(&pid, args[0], NULL, NULL, args, environ) != 0) return 1;
    int status;
    if (waitpid(pid, &status, 0) != pid) return 1;
    clock_gettime(CLOCK_MONOTONIC, &b);
    if (i >= 0) printf("%.6f\\n", (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6);
  }
  return 0;
}
`;

/** Compiles the C floor into a temp dir; returns { binary, cleanup }. */
export function buildCFloor() {
  const dir = mkdtempSync(join(tmpdir(), 'forkexec-bench-'));
  writeFileSync(join(dir, 'floor.c'), C_FLOOR);
  const binary = join(dir, 'floor');
  execFileSync('cc', ['-O2', '-o', binary, join(dir, 'floor.c')]);
  return { binary, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Per-spawn milliseconds of the C posix_spawn+waitpid loop (its own process). */
export function measureCFloor(binary, runs) {
  const out = execFileSync(binary, [String(runs)], { encoding: 'utf8' });
  return out.trim().split('\n').map(Number);
}

/** Per-spawn milliseconds of `await spawn('/bin/true')` with the given method. */
export async function measureForkexec(runs, method = 'auto') {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await spawn(TRUE, [], { stdio: 'inherit', method });
    times.push(performance.now() - t0);
  }
  return times;
}

/**
 * Per-spawn milliseconds of the raw bindings, posix.posixSpawn + posix.waitpid
 * (blocking, no event loop, no JavaScript layer): what the Node process
 * itself costs over the C floor.
 */
export function measureRawPosixSpawn(runs) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    posix.waitpid(posix.posixSpawn(TRUE, ['true']));
    times.push(performance.now() - t0);
  }
  return times;
}

/** Per-spawn milliseconds of child_process.spawn until 'exit'. */
export async function measureChildProcessSpawn(runs) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await new Promise((resolve, reject) => {
      const child = cpSpawn(TRUE, [], { stdio: 'inherit' });
      child.on('error', reject);
      child.on('exit', resolve);
    });
    times.push(performance.now() - t0);
  }
  return times;
}

/** Per-spawn milliseconds of child_process.spawnSync. */
export function measureChildProcessSpawnSync(runs) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    cpSpawnSync(TRUE, [], { stdio: 'inherit' });
    times.push(performance.now() - t0);
  }
  return times;
}

/** Holds `gib` GiB in Buffers whose pages are all touched; returns them (keep a reference). */
export function holdMemory(gib) {
  const chunk = 256 * 1024 * 1024;
  const held = [];
  for (let left = gib * 1024 ** 3; left > 0; left -= chunk) {
    const b = Buffer.allocUnsafeSlow(Math.min(chunk, left));
    for (let i = 0; i < b.length; i += 4096) b[i] = 1;
    held.push(b);
  }
  return held;
}

/**
 * Every measurement, interleaved: `rounds` rounds, each running every
 * contender for runs/rounds spawns (after a few unmeasured ones), in an order
 * that rotates from round to round, so that drift of the machine (frequency,
 * other load, the cost of starting the C program) hits all of them alike.
 * Returns medians in ms by name.
 */
export async function measureAll({
  runs,
  rounds = 6,
  cFloorBinary,
  methods = ['auto', 'posix_spawn', 'vfork', 'fork'],
}) {
  const per = Math.max(1, Math.round(runs / rounds));
  const warm = 3;
  const contenders = [
    ['cFloor', async () => measureCFloor(cFloorBinary, per + warm)],
    ['node.posixSpawn+waitpid', async () => measureRawPosixSpawn(per + warm)],
    ...methods.map((m) => [`forkexec.${m}`, () => measureForkexec(per + warm, m)]),
    ['child_process.spawn', () => measureChildProcessSpawn(per + warm)],
    ['child_process.spawnSync', async () => measureChildProcessSpawnSync(per + warm)],
  ];
  const samples = Object.fromEntries(contenders.map(([name]) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < contenders.length; i++) {
      const [name, measure] = contenders[(i + round) % contenders.length];
      samples[name].push(...(await measure()).slice(warm));
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([name, t]) => [name, median(t)]));
}

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
}

function table(title, medians) {
  console.log(`\n${title}`);
  for (const [name, ms] of Object.entries(medians))
    console.log(`  ${name.padEnd(26)} ${ms.toFixed(3)} ms`);
}

async function main() {
  const runs = option('runs', 300);
  const bigRuns = option('big-runs', 48);
  const gib = option('gib', 2);
  const floor = buildCFloor();
  try {
    const small = await measureAll({ runs, cFloorBinary: floor.binary });
    const rssSmall = process.memoryUsage().rss;
    table(`normal size (rss ${(rssSmall / 2 ** 20).toFixed(0)} MiB), median of ${runs}`, small);

    const held = holdMemory(gib);
    const big = await measureAll({
      runs: bigRuns,
      cFloorBinary: floor.binary,
      methods: ['auto', 'posix_spawn', 'vfork', 'fork'],
    });
    const rssBig = process.memoryUsage().rss;
    table(
      `holding ${gib} GiB of Buffers (rss ${(rssBig / 2 ** 20).toFixed(0)} MiB), median of ${bigRuns}`,
      big,
    );
    held.length = 0;

    const f = 'forkexec.auto';
    console.log('\nratios (issue 3 targets)');
    console.log(
      `  forkexec / C floor, normal:            ${(small[f] / small.cFloor).toFixed(2)}x (<= 1.3x)`,
    );
    console.log(
      `  forkexec / child_process.spawn, normal: ${(small[f] / small['child_process.spawn']).toFixed(2)}x (<= 0.5x)`,
    );
    console.log(
      `  forkexec ${gib} GiB / forkexec normal:     ${(big[f] / small[f]).toFixed(2)}x (<= 1.3x)`,
    );
    console.log(
      `  child_process.spawn / forkexec, ${gib} GiB: ${(big['child_process.spawn'] / big[f]).toFixed(1)}x faster (>= 30x)`,
    );
    console.log(
      `  forkexec / C floor, ${gib} GiB:            ${(big[f] / big.cFloor).toFixed(2)}x`,
    );
  } finally {
    floor.cleanup();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
