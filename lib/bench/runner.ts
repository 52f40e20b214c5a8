/**
 * The measuring process: `node [flags] dist/bench/runner.js <config JSON>`.
 * It takes on the parent size it was given (the ballast), then times each
 * method in turn and prints one JSON line of samples on stdout. Progress
 * goes to stderr, one JSON line per method.
 */
import { allocateBallast, residentBytes } from './ballast';
import { allMethods, type BenchMethod } from './methods';
import { takeStartUsage, type StartUsage } from './startUsage';
import type { UnitMemory } from './unitMemory';
import { errorText } from './errorText';

/** What the orchestrator asks one runner to do. */
export interface RunnerConfig {
  sizeBytes: number;
  methods: string[];
  iterations: number;
  warmup: number;
  /** Stop a method early once it has used this much time (at least 3 samples). */
  budgetMs: number;
}

/** What a runner reports for one method. */
export interface MethodSamples {
  method: string;
  samples: number[];
  rssBytes: number;
  /** What else the samples found (BenchMethod.note). */
  note?: string;
  /** The children's own rusage per start, where the method gives it. */
  startUsage?: StartUsage;
  /** One running unit's memory, for the ways to run JavaScript. */
  memory?: UnitMemory;
  /** What failed: the samples, or only the memory probe (then the samples stand). */
  error?: string;
}

async function timeOnce(method: BenchMethod): Promise<number> {
  const start = process.hrtime.bigint();
  const untimed = await method.once?.();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (untimed) await untimed();
  return ms;
}

async function measure(method: BenchMethod, config: RunnerConfig): Promise<number[]> {
  await method.setup?.();
  try {
    return await sample(method, config);
  } finally {
    await method.teardown?.();
  }
}

async function sample(method: BenchMethod, config: RunnerConfig): Promise<number[]> {
  if (method.batch) {
    method.batch(config.warmup);
    return method.batch(config.iterations);
  }
  for (let i = 0; i < config.warmup; i++) await timeOnce(method);
  const samples: number[] = [];
  const started = Date.now();
  while (samples.length < config.iterations) {
    samples.push(await timeOnce(method));
    if (samples.length >= 3 && Date.now() - started > config.budgetMs) break;
  }
  return samples;
}

/** The method's memory probe, if any; a probe that fails leaves the timings standing. */
async function probeMemory(method: BenchMethod): Promise<Pick<MethodSamples, 'memory' | 'error'>> {
  if (!method.memory) return {};
  try {
    return { memory: await method.memory() };
  } catch (error) {
    return { error: `memory probe: ${errorText(error)}` };
  }
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as RunnerConfig;
  const ballast = allocateBallast(config.sizeBytes);
  const results: MethodSamples[] = [];
  for (const id of config.methods) {
    const method = allMethods().find((m) => m.id === id);
    if (!method) throw new Error(`unknown method ${id}`);
    process.stderr.write(`${JSON.stringify({ progress: id })}\n`);
    try {
      takeStartUsage();
      const samples = await measure(method, config);
      const note = method.note?.();
      const startUsage = takeStartUsage();
      results.push({
        method: id,
        samples,
        rssBytes: residentBytes(),
        ...(note === undefined ? {} : { note }),
        ...(startUsage === undefined ? {} : { startUsage }),
        ...(await probeMemory(method)),
      });
    } catch (error) {
      results.push({ method: id, samples: [], rssBytes: residentBytes(), error: errorText(error) });
    }
  }
  // Keep the ballast alive to the end of measuring.
  process.stdout.write(`${JSON.stringify({ results, held: ballast.buffers.length })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
