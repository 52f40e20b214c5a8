/**
 * The orchestrator behind `forkexec bench`: one measuring process per
 * parent size (and per set of node flags), results gathered into one report.
 */
import { cpus, freemem, release } from 'node:os';
import { formatSize } from './ballast';
import { allMethods, type BenchMethod, type MethodGroup } from './methods';
import type { MethodSamples, RunnerConfig } from './runner';
import { runMeasuring } from './measuringProcess';
import { runSections, type SectionOptions, type SectionResults } from './sections';
import { summarize, type Summary } from './stats';
import type { StartUsage } from './startUsage';
import type { UnitMemory } from './unitMemory';

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
  /** The sections after the start costs (default: none). */
  sections?: Omit<SectionOptions, 'onProgress'>;
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
  /** The children's own CPU time and page faults per start (forkexec's methods). */
  startUsage?: StartUsage;
  /** One running unit's memory (the ways to run JavaScript). */
  memory?: UnitMemory;
  /** Why this method failed at this size; its figures are then NaN. The run goes on. */
  error?: string;
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
  /** Messaging, scaling and the Python rows (see ./sections). */
  sections?: SectionResults;
}

/** A measuring process that takes longer than this has hung. */
const RUNNER_TIMEOUT_MS = 10 * 60_000;

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
  const answer = await runMeasuring<{ results: MethodSamples[] }>(
    'runner.js',
    [...execArgv, `--max-old-space-size=${heapMb}`],
    config,
    onProgress,
    RUNNER_TIMEOUT_MS,
  );
  if ('value' in answer) return answer.value.results;
  // The runner died (a crash, the OOM killer): the methods it had not
  // reported fail in their rows, with what it said.
  return config.methods.map((method) => ({
    method,
    samples: [],
    rssBytes: 0,
    error: answer.error,
  }));
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

/** One runner's samples as rows; a method that failed keeps its row, with the error. */
function toRows(results: MethodSamples[], methods: BenchMethod[], sizeBytes: number): BenchRow[] {
  const rows: BenchRow[] = [];
  for (const method of methods) {
    const r = results.find((x) => x.method === method.id) ?? {
      method: method.id,
      samples: [],
      rssBytes: 0,
      error: 'the measuring process ended before it got here',
    };
    const error = r.samples.length === 0 ? (r.error ?? 'no samples') : r.error;
    rows.push({
      method: method.id,
      label: method.label,
      group: method.group,
      sizeBytes,
      size: formatSize(sizeBytes),
      rssBytes: r.rssBytes,
      ratio: NaN,
      ...(r.note === undefined ? {} : { note: r.note }),
      ...(r.startUsage === undefined ? {} : { startUsage: r.startUsage }),
      ...(r.memory === undefined ? {} : { memory: r.memory }),
      ...(error === undefined ? {} : { error }),
      ...summarize(r.samples),
    });
  }
  return rows;
}

/** Each row's median over the fastest of its group at its size. */
function setRatios(rows: BenchRow[]): void {
  for (const row of rows) {
    const peers = rows.filter(
      (r) => r.group === row.group && r.sizeBytes === row.sizeBytes && r.n > 0,
    );
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

/** What a measuring process holding `sizeBytes` needs: the ballast, V8's overhead on its objects, Node itself. */
export function memoryNeeded(sizeBytes: number): number {
  return Math.round(sizeBytes * 1.5) + 512 * 1024 * 1024;
}

/** Refuses, before anything runs, a parent size this machine cannot hold. */
export function checkSizesFit(sizes: number[], available = freemem()): void {
  for (const size of sizes) {
    const need = memoryNeeded(size);
    if (need > available) {
      throw new Error(
        `parent size ${formatSize(size)} needs about ${formatSize(need)} of memory; ` +
          `this machine has ${formatSize(available)} available. Choose smaller --sizes.`,
      );
    }
  }
}

/** Runs every selected method at every size and summarises. */
export async function runBench(options: BenchOptions): Promise<BenchResults> {
  checkSizesFit(options.sizes);
  const skipped: BenchResults['skipped'] = [];
  const startsWanted = options.sections?.include.includes('starts') ?? true;
  const runnable = startsWanted ? selectMethods(options.methods, skipped) : [];
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
      rows.push(...toRows(results, group, sizeBytes));
    }
  }
  setRatios(rows);
  const progress = (line: string): void => options.onProgress?.(line);
  const sections =
    options.sections === undefined || options.sections.include.every((s) => s === 'starts')
      ? undefined
      : await runSections({ ...options.sections, onProgress: progress });
  return {
    meta: machine(options.iterations),
    sizes: options.sizes.map(formatSize),
    rows,
    skipped,
    ...(sections === undefined ? {} : { sections }),
  };
}
