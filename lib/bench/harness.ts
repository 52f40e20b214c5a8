/**
 * The orchestrator behind `forkexec bench`: one measuring process per
 * parent size (and per set of node flags), results gathered into one report.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpus, release } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { formatSize } from './ballast';
import { allMethods, type BenchMethod, type MethodGroup } from './methods';
import type { MethodSamples, RunnerConfig } from './runner';
import { summarize, type Summary } from './stats';

export interface BenchOptions {
  /** Method ids (default: all that can run here). */
  methods?: string[];
  /** Parent sizes in bytes. */
  sizes: number[];
  /** Samples per method and size (fewer when a method runs out of its time budget). */
  iterations: number;
  warmup: number;
  /** Time budget per method and size, ms. */
  budgetMs: number;
  /** Called with a short line as work progresses. */
  onProgress?: (line: string) => void;
}

/** One method at one parent size. */
export interface BenchRow extends Summary {
  method: string;
  label: string;
  group: MethodGroup;
  sizeBytes: number;
  size: string;
  /** Resident memory of the measuring process while it measured. */
  rssBytes: number;
  /** Median over the fastest median of the same group and size. */
  ratio: number;
  /** What else the samples found (the fork steps: the heap's MADV_DONTFORK mappings). */
  note?: string;
}

export interface BenchResults {
  meta: {
    date: string;
    node: string;
    v8: string;
    platform: string;
    kernel: string;
    cpus: number;
    cpuModel: string;
    iterations: number;
  };
  sizes: string[];
  rows: BenchRow[];
  skipped: { method: string; reason: string }[];
}

function flagsKey(method: BenchMethod): string {
  return (method.execArgv ?? []).join(' ');
}

async function runRunner(
  execArgv: string[],
  config: RunnerConfig,
  onProgress: (id: string) => void,
): Promise<MethodSamples[]> {
  // The V8 heap must hold its half of the ballast.
  const heapMb = Math.ceil(config.sizeBytes / 1024 / 1024) + 1024;
  const child = spawn(
    process.execPath,
    [
      ...execArgv,
      `--max-old-space-size=${heapMb}`,
      join(__dirname, 'runner.js'),
      JSON.stringify(config),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  createInterface({ input: child.stderr }).on('line', (line) => {
    try {
      const { progress } = JSON.parse(line) as { progress?: string };
      if (progress) onProgress(progress);
    } catch {
      stderr += `${line}\n`;
    }
  });
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0) throw new Error(`bench runner failed (exit ${String(code)}): ${stderr}`);
  return (JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { results: MethodSamples[] })
    .results;
}

/** The methods asked for that can run here; the others go to `skipped` with the reason. */
function selectMethods(ids: string[] | undefined, skipped: BenchResults['skipped']): BenchMethod[] {
  const known = allMethods();
  const unknown = (ids ?? []).filter((id) => !known.some((m) => m.id === id));
  if (unknown.length > 0) {
    const names = known.map((m) => m.id).join(', ');
    throw new Error(`unknown method(s) ${unknown.join(', ')}; known: ${names}`);
  }
  return known.filter((m) => {
    if (ids && !ids.includes(m.id)) return false;
    const reason = m.unavailable?.() ?? null;
    if (reason !== null) skipped.push({ method: m.id, reason });
    return reason === null;
  });
}

/** Methods that need the same node flags share a measuring process. */
function groupByFlags(methods: BenchMethod[]): BenchMethod[][] {
  const byFlags = new Map<string, BenchMethod[]>();
  for (const m of methods) byFlags.set(flagsKey(m), [...(byFlags.get(flagsKey(m)) ?? []), m]);
  return [...byFlags.values()];
}

/** One runner's samples as rows; a method that failed or gave none goes to `skipped`. */
function toRows(
  results: MethodSamples[],
  methods: BenchMethod[],
  sizeBytes: number,
  skipped: BenchResults['skipped'],
): BenchRow[] {
  const rows: BenchRow[] = [];
  for (const r of results) {
    const method = methods.find((m) => m.id === r.method);
    if (!method) continue;
    if (r.error !== undefined || r.samples.length === 0) {
      const reason = `failed at ${formatSize(sizeBytes)}: ${r.error ?? 'no samples'}`;
      skipped.push({ method: r.method, reason });
      continue;
    }
    rows.push({
      method: method.id,
      label: method.label,
      group: method.group,
      sizeBytes,
      size: formatSize(sizeBytes),
      rssBytes: r.rssBytes,
      ratio: NaN,
      ...(r.note === undefined ? {} : { note: r.note }),
      ...summarize(r.samples),
    });
  }
  return rows;
}

/** Each row's median over the fastest of its group at its size. */
function setRatios(rows: BenchRow[]): void {
  for (const row of rows) {
    const peers = rows.filter((r) => r.group === row.group && r.sizeBytes === row.sizeBytes);
    row.ratio = row.median / Math.min(...peers.map((r) => r.median));
  }
}

function machine(iterations: number): BenchResults['meta'] {
  const cpuList = cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform}-${process.arch}`,
    kernel: release(),
    cpus: cpuList.length,
    cpuModel: cpuList[0]?.model ?? 'unknown',
    iterations,
  };
}

/** Runs every selected method at every size and summarises. */
export async function runBench(options: BenchOptions): Promise<BenchResults> {
  const skipped: BenchResults['skipped'] = [];
  const runnable = selectMethods(options.methods, skipped);
  const rows: BenchRow[] = [];
  const total = runnable.length * options.sizes.length;
  let done = 0;
  for (const sizeBytes of options.sizes) {
    for (const group of groupByFlags(runnable)) {
      const config: RunnerConfig = {
        sizeBytes,
        methods: group.map((m) => m.id),
        iterations: options.iterations,
        warmup: options.warmup,
        budgetMs: options.budgetMs,
      };
      const results = await runRunner(group[0]?.execArgv ?? [], config, (id) => {
        done++;
        options.onProgress?.(`[${done}/${total}] ${formatSize(sizeBytes)} ${id}`);
      });
      rows.push(...toRows(results, group, sizeBytes, skipped));
    }
  }
  setRatios(rows);
  return { meta: machine(options.iterations), sizes: options.sizes.map(formatSize), rows, skipped };
}
