#!/usr/bin/env node
/**
 * `forkexec` command line. `forkexec bench [--quick] [--methods a,b]
 * [--sizes 50MB,512MB,2GB] [--iterations N] [--out DIR]` runs the benchmark
 * harness and writes results.json, results.md and chart.svg to DIR.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseSize } from './bench/ballast';
import { chartSvg } from './bench/chart';
import { runBench } from './bench/harness';
import { allMethods } from './bench/methods';
import { markdown, terminalTable } from './bench/report';

const USAGE = `usage: forkexec bench [--quick] [--methods id,id] [--sizes 50MB,512MB,2GB] [--iterations N] [--out DIR]

Measures the cost of starting a unit of work by each method (processes running
/bin/true, and units of JavaScript) at several parent sizes, and writes
results.json, results.md and chart.svg to DIR (default: bench/out).`;

async function bench(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      methods: { type: 'string' },
      sizes: { type: 'string' },
      iterations: { type: 'string' },
      out: { type: 'string', default: join('bench', 'out') },
      list: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
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
  const iterations = values.iterations === undefined ? (quick ? 8 : 25) : Number(values.iterations);
  if (!Number.isInteger(iterations) || iterations < 1)
    throw new Error('--iterations takes a whole number >= 1');
  const interactive = process.stderr.isTTY;
  const results = await runBench({
    sizes,
    iterations,
    warmup: quick ? 1 : 3,
    budgetMs: quick ? 1200 : 4000,
    ...(values.methods === undefined
      ? {}
      : { methods: values.methods.split(',').map((s) => s.trim()) }),
    onProgress: (line) => {
      process.stderr.write(interactive ? `\r\x1b[K${line}` : `${line}\n`);
    },
  });
  if (interactive) process.stderr.write('\r\x1b[K');
  const out = resolve(values.out);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(out, 'results.md'), markdown(results));
  writeFileSync(join(out, 'chart.svg'), chartSvg(results));
  console.log(terminalTable(results));
  console.log(`\nwrote ${join(out, 'results.json')}, results.md, chart.svg`);
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
