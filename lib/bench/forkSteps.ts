/**
 * The steps of fork() for JavaScript, each timed on its own (native/js_fork.cc
 * measureFork; every child `_exit`s at once without touching JavaScript), so
 * the cost of the safety steps can be set against the fork syscall itself at
 * each parent size:
 * - bare: the fork syscall alone, the heap left MADV_DONTFORK (as
 *   child_process leaves it; such a child cannot run JavaScript);
 * - scanFull / scanCached: finding the MADV_DONTFORK mappings by reading
 *   /proc/self/smaps, or reusing the last list while /proc/self/maps is
 *   unchanged (what fork() does);
 * - madvise: re-marking them forkable before the fork and back after;
 * - safety: the three together, what fork() adds to the syscall;
 * - heapFork: the fork syscall once the heap is forkable (the child gets the
 *   heap's page tables: the cost of a child that has the heap, not of safety).
 */
import { binding, type NativeForkTimings } from '../native';

export type ForkStep = 'bare' | 'scanFull' | 'scanCached' | 'madvise' | 'safety' | 'heapFork';

interface StepMeasure {
  mode: 'bare' | 'scan' | 'cached';
  ns: (t: NativeForkTimings) => number;
}

const STEPS: Record<ForkStep, StepMeasure> = {
  bare: { mode: 'bare', ns: (t) => t.forkNs },
  scanFull: { mode: 'scan', ns: (t) => t.scanNs },
  scanCached: { mode: 'cached', ns: (t) => t.scanNs },
  madvise: { mode: 'cached', ns: (t) => t.allowNs + t.restoreNs },
  safety: { mode: 'cached', ns: (t) => t.scanNs + t.allowNs + t.restoreNs },
  heapFork: { mode: 'cached', ns: (t) => t.forkNs },
};

let last: { timings: NativeForkTimings; reused: number; of: number } | undefined;

/**
 * n samples (ms) of one step. For scanCached only the forks that did reuse
 * the list count, when any did (a miss is a full scan, measured as scanFull).
 */
export function forkStepSamples(step: ForkStep, n: number): number[] {
  const { mode, ns } = STEPS[step];
  const native = binding('the fork step benchmark');
  const timings = Array.from({ length: n }, () => native.measureFork(mode));
  const reused = timings.filter((t) => t.scanReused);
  const final = timings[timings.length - 1];
  if (final !== undefined) last = { timings: final, reused: reused.length, of: timings.length };
  const kept = step === 'scanCached' && reused.length > 0 ? reused : timings;
  return kept.map((t) => ns(t) / 1e6);
}

/** What the last samples found in the heap, and how often the cached scan was reused. */
export function forkStepNote(): string | undefined {
  if (last === undefined) return undefined;
  const { mappings, ranges, bytes } = last.timings;
  const reuse = `mapping list reused in ${String(last.reused)}/${String(last.of)} forks`;
  return `${String(mappings)} MADV_DONTFORK mappings in ${String(ranges)} madvise ranges, ${String(Math.round(bytes / 1e6))} MB; ${reuse}`;
}
