/**
 * The cost of a start as the child itself saw it: its CPU time and page
 * faults, from the rusage its exit reported (a fork child that copies a big
 * parent pays in minor faults as it touches copy-on-write pages). Methods
 * record one usage per start; the runner averages them.
 */
import type { ChildResourceUsage } from '../exitWatch/resourceUsage';

/** Per start, averaged. */
export interface StartUsage {
  /** User + system CPU time of the child, ms. */
  cpuMs: number;
  minorFaults: number;
  majorFaults: number;
  /** Peak RSS of the child, KiB. */
  maxRSSKiB: number;
  /** How many starts the figures average. */
  n: number;
}

let recorded: ChildResourceUsage[] = [];

/** Called by a method with the usage of the child it just started. */
export function recordStartUsage(usage: ChildResourceUsage | undefined): void {
  if (usage !== undefined) recorded.push(usage);
}

/** The mean of what was recorded since the last call, or undefined when nothing was. */
export function takeStartUsage(): StartUsage | undefined {
  const all = recorded;
  recorded = [];
  if (all.length === 0) return undefined;
  const mean = (pick: (u: ChildResourceUsage) => number): number =>
    all.reduce((sum, u) => sum + pick(u), 0) / all.length;
  return {
    cpuMs: mean((u) => u.userCPUTime + u.systemCPUTime) / 1000,
    minorFaults: Math.round(mean((u) => u.minorPageFault)),
    majorFaults: Math.round(mean((u) => u.majorPageFault)),
    maxRSSKiB: Math.round(mean((u) => u.maxRSS)),
    n: all.length,
  };
}
