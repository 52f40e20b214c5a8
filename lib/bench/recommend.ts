/**
 * The recommendation in plain words, computed from the run's own figures:
 * which way to run work wins here for one-off JavaScript tasks, for many
 * short tasks, for big parents and for memory-bound fan-out. A choice that
 * needs `node --single-threaded` says so.
 */
import type { BenchResults, BenchRow } from './harness';
import { fmtMB, fmtMs } from './table';

const FORK_METHODS = new Set(['forkexec.fork', 'process.fork']);
const needs = (method: string): string =>
  FORK_METHODS.has(method) || method === 'pool.fork' ? ' (needs node --single-threaded)' : '';

// Baselines the other rows are measured against, not ways to run work.
const BASELINES = new Set(['fork.floor']);

function jsRows(results: BenchResults, size: string): BenchRow[] {
  return results.rows.filter(
    (r) => r.group === 'js' && r.size === size && r.n > 0 && !BASELINES.has(r.method),
  );
}

function fastest<T>(items: T[], value: (t: T) => number): T | undefined {
  return items.reduce<T | undefined>(
    (a, b) => (a === undefined || value(b) < value(a) ? b : a),
    undefined,
  );
}

function oneOff(results: BenchResults): string | undefined {
  const rows = jsRows(results, results.sizes[0] ?? '');
  const best = fastest(rows, (r) => r.median);
  if (!best) return undefined;
  const others = rows
    .filter((r) => r !== best)
    .sort((a, b) => a.median - b.median)
    .map((r) => `${r.label} ${fmtMs(r.median)} ms`)
    .join(', ');
  return `One-off JavaScript tasks: ${best.label} starts fastest here, ${fmtMs(best.median)} ms to the result${needs(best.method)}; then ${others}.`;
}

function manyShort(results: BenchResults): string | undefined {
  const rows = (results.sections?.messaging ?? []).filter((r) => r.figures !== undefined);
  const best = fastest(rows, (r) => -(r.figures?.tasksPerSecond ?? 0));
  if (!best?.figures) return undefined;
  const mapped = fastest(rows, (r) => -(r.figures?.mapItemsPerSecond ?? 0));
  const trip = fastest(rows, (r) => r.figures?.roundTripUs ?? Infinity);
  const python = rows.filter((r) => r.language === 'Python');
  const bestPython = fastest(python, (r) => -(r.figures?.tasksPerSecond ?? 0));
  const py = bestPython?.figures
    ? ` Python's best here, ${bestPython.label}, moves ${bestPython.figures.tasksPerSecond.toFixed(0)} tasks/s (Pool.map, chunksize=1).`
    : '';
  return (
    `Many short tasks (${String(best.figures.tasksQueued)} queued): start the units once and keep them; ` +
    `${best.label} moves the most, ${best.figures.tasksPerSecond.toFixed(0)} tasks/s${needs(best.subject)}; ` +
    `in chunks through map, ${mapped?.label ?? '?'} moves ${(mapped?.figures?.mapItemsPerSecond ?? NaN).toFixed(0)} items/s${needs(mapped?.subject ?? '')}; ` +
    `${trip?.label ?? '?'} has the shortest round trip, ${(trip?.figures?.roundTripUs ?? NaN).toFixed(0)} µs.${py}`
  );
}

function bigParents(results: BenchResults): string | undefined {
  const first = results.sizes[0];
  const last = results.sizes[results.sizes.length - 1];
  if (first === undefined || last === undefined || first === last) {
    return 'Big parents: this run measured one parent size; run with --sizes 50MB,512MB,2GB to see how the start cost grows.';
  }
  const growth = (method: string): number | undefined => {
    const a = results.rows.find((r) => r.method === method && r.size === first && r.n > 0);
    const b = results.rows.find((r) => r.method === method && r.size === last && r.n > 0);
    return a && b ? b.median / a.median : undefined;
  };
  const rows = jsRows(results, last);
  const best = fastest(rows, (r) => r.median);
  if (!best) return undefined;
  const fork = growth('forkexec.fork');
  const server = growth('process.forkserver');
  return (
    `Big parents (${last}): ${best.label} starts fastest, ${fmtMs(best.median)} ms${needs(best.method)}. ` +
    `From ${first} to ${last} fork(fn) grew ${fork?.toFixed(2) ?? '?'}x, Process(forkserver) ${server?.toFixed(2) ?? '?'}x: ` +
    'a forkserver child never copies the big parent.'
  );
}

function fanOut(results: BenchResults): string | undefined {
  const last = results.sizes[results.sizes.length - 1] ?? '';
  const rows = results.rows.filter((r) => r.size === last && r.memory?.ussKiB !== undefined);
  const best = fastest(rows, (r) => r.memory?.ussKiB ?? Infinity);
  if (!best?.memory) return undefined;
  const list = rows
    .filter((r) => r !== best)
    .map((r) => `${r.label} ${fmtMB(r.memory?.ussKiB)} MB`)
    .join(', ');
  return (
    `Memory-bound fan-out (parent ${last}): ${best.label} adds the least private memory per unit, ` +
    `${fmtMB(best.memory.ussKiB)} MB (RSS ${fmtMB(best.memory.rssKiB)} MB)${needs(best.method)}; ${list}. ` +
    'A fork child shares the parent copy-on-write until it writes.'
  );
}

function cpuBound(results: BenchResults): string | undefined {
  const rows = (results.sections?.scaling ?? []).filter((r) => r.points.length > 0);
  const peak = (r: (typeof rows)[number]): number => Math.max(...r.points.map((p) => p.speedup));
  const best = fastest(rows, (r) => -peak(r));
  if (!best) return undefined;
  return `CPU-bound work: ${best.label} scales best here, ${peak(best).toFixed(2)}x the work per second of one unit${needs(best.subject)}.`;
}

export function recommendations(results: BenchResults): string[] {
  return [
    oneOff(results),
    manyShort(results),
    bigParents(results),
    fanOut(results),
    cpuBound(results),
  ].filter((s): s is string => s !== undefined);
}
