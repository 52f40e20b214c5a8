/**
 * What a running unit costs in memory. A child: its RSS, its PSS (shared
 * pages divided among the processes sharing them) and its USS (the pages
 * only it has), from /proc/PID/smaps_rollup; after fork most of the
 * parent's pages are shared copy-on-write, so USS stays small while RSS
 * shows the whole parent. A Worker is no process: what it costs is what the
 * process grows by when it starts one.
 */
import { readFileSync } from 'node:fs';

/** KiB per unit; `pss` and `uss` only where the unit is a process. */
export interface UnitMemory {
  rssKiB: number;
  pssKiB?: number;
  ussKiB?: number;
}

function rollup(pid: number | 'self'): Record<string, number> {
  const fields: Record<string, number> = {};
  for (const line of readFileSync(`/proc/${String(pid)}/smaps_rollup`, 'utf8').split('\n')) {
    const match = /^(\w+):\s+(\d+) kB/.exec(line);
    if (match) fields[match[1]] = Number(match[2]);
  }
  return fields;
}

const get = (f: Record<string, number>, key: string): number => f[key] ?? 0;

/** RSS, PSS and USS of one live process. */
export function processMemory(pid: number): UnitMemory {
  const f = rollup(pid);
  return {
    rssKiB: get(f, 'Rss'),
    pssKiB: get(f, 'Pss'),
    ussKiB: get(f, 'Private_Clean') + get(f, 'Private_Dirty'),
  };
}

/** The mean over several units. */
export function meanMemory(units: UnitMemory[]): UnitMemory {
  const mean = (pick: (u: UnitMemory) => number | undefined): number | undefined => {
    const values = units.map(pick).filter((v): v is number => v !== undefined);
    return values.length === 0
      ? undefined
      : Math.round(values.reduce((a, b) => a + b, 0) / values.length);
  };
  const pss = mean((u) => u.pssKiB);
  const uss = mean((u) => u.ussKiB);
  return {
    rssKiB: mean((u) => u.rssKiB) ?? 0,
    ...(pss === undefined ? {} : { pssKiB: pss }),
    ...(uss === undefined ? {} : { ussKiB: uss }),
  };
}

/** This process's RSS and private memory, to take the growth per Worker. */
export function selfMemory(): { rssKiB: number; privateKiB: number } {
  const f = rollup('self');
  return {
    rssKiB: get(f, 'Rss'),
    privateKiB: get(f, 'Private_Clean') + get(f, 'Private_Dirty'),
  };
}
