#!/usr/bin/env node
/**
 * `forkexec` command line. `forkexec bench [--quick] [--methods a,b]
 * [--sizes 50MB,512MB,2GB] [--sections ...] [--iterations N] [--out DIR]
 * [--python PATH]`
 * runs the benchmark harness and writes results.json, results.md and one
 * SVG chart per question to DIR. Progress goes to stderr, the tables to
 * stdout.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseSize } from './bench/ballast';
import { charts } from './bench/charts';
import { checkSizesFit, runBench } from './bench/harness';
import { allMethods } from './bench/methods';
import { markdown, terminalReport } from './bench/report';
import { SECTIONS, type Section } from './bench/sections';

const USAGE = `usage: forkexec bench [--quick] [--methods id,id] [--sizes 50MB,512MB,2GB]
                      [--sections ${SECTIONS.join(',')}] [--iterations N] [--out DIR]
                      [--python PATH] [--list]

Measures, for each way to run a unit of work (fork, forkserver, spawn, threads,
child_process; Python's multiprocessing beside them when python3 is there):
what a start costs (time, and the child's own CPU and page faults), what a
running unit costs in memory at each parent size, how fast messages move once
units run, and how CPU-bound work scales. Writes results.json, results.md and
one SVG chart per question to DIR (default: a new private directory under the
system's temporary directory, printed at the end). --python names the Python
interpreter for the Python rows (default: python3 on the PATH). --list shows
the methods.`;

function listOf<T extends string>(text: string, known: readonly T[], what: string): T[] {
  const asked = text.split(',').map((s) => s.trim());
  const unknown = asked.filter((s) => !known.includes(s as T));
  if (unknown.length > 0) {
    throw new Error(`unknown ${what} ${unknown.join(', ')}; known: ${known.join(', ')}`);
  }
  return asked as T[];
}

function outputDir(asked: string | undefined): string {
  if (asked !== undefined) {
    const out = resolve(asked);
    mkdirSync(out, { recursive: true, mode: 0o700 });
    return out;
  }
  return mkdtempSync(join(tmpdir(), 'forkexec-bench-out-'));
}

/** Unit counts for the scaling section: 1 to twice the cores (quick: 1 and the cores). */
function unitCounts(quick: boolean): number[] {
  const cores = availableParallelism();
  const all = Array.from({ length: 2 * cores }, (_, i) => i + 1);
  return quick ? [...new Set([1, cores])] : all;
}

function parseBenchArgs(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      methods: { type: 'string' },
      sizes: { type: 'string' },
      sections: { type: 'string' },
      iterations: { type: 'string' },
      out: { type: 'string' },
      python: { type: 'string' },
      list: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }).values;
}

async function bench(argv: string[]): Promise<void> {
  const values = parseBenchArgs(argv);
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (values.list) {
    for (const m of allMethods()) console.log(`${m.id.padEnd(28)} ${m.label}`);
    return;
  }
  const quick = values.quick;
  const sizes = (values.sizes ?? (quick ? '50MB' : '50MB,512MB,2GB')).split(',').map(parseSize);
  const iterations = values.iterations === undefined ? (quick ? 5 : 15) : Number(values.iterations);
  if (!Number.isInteger(iterations) || iterations < 1)
    throw new Error('--iterations takes a whole number >= 1');
  const methodIds = allMethods().map((m) => m.id);
  const methods =
    values.methods === undefined ? undefined : listOf(values.methods, methodIds, 'method(s)');
  const sections: Section[] =
    values.sections === undefined ? [...SECTIONS] : listOf(values.sections, SECTIONS, 'section(s)');
  // Before anything starts: a parent size this machine cannot hold.
  checkSizesFit(sizes);
  const out = outputDir(values.out);
  const interactive = process.stderr.isTTY;
  const results = await runBench({
    sizes,
    iterations,
    warmup: 1,
    budgetMs: quick ? 400 : 1500,
    ...(methods === undefined ? {} : { methods }),
    sections: {
      include: sections,
      messaging: quick
        ? { roundTrips: 100, tasks: 10_000, repeats: 1 }
        : { roundTrips: 500, tasks: 10_000, repeats: 3 },
      counts: unitCounts(quick),
      spinMs: 50,
      pythonStarts: quick ? 3 : 6,
      ...(values.python === undefined ? {} : { python: values.python }),
    },
    onProgress: (line) => {
      process.stderr.write(interactive ? `\r\x1b[K${line}` : `${line}\n`);
    },
  });
  if (interactive) process.stderr.write('\r\x1b[K');
  writeFileSync(join(out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(out, 'results.md'), markdown(results));
  const svgs = charts(results);
  for (const [name, svg] of Object.entries(svgs)) writeFileSync(join(out, name), svg);
  console.log(terminalReport(results));
  console.log(`\nwrote ${out}: results.json, results.md, ${Object.keys(svgs).join(', ')}`);
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  if (command === 'bench') return bench(rest);
  console.error(USAGE);
  process.exitCode = 2;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
