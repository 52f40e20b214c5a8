/** The harness's results as a terminal table and as Markdown. */
import type { BenchResults, BenchRow } from './harness';

const fmt = (ms: number): string =>
  ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);

function tableRows(results: BenchResults): string[][] {
  const rows: string[][] = [];
  for (const group of ['exec', 'js'] as const) {
    const mine = results.rows.filter((r) => r.group === group);
    const methods = [...new Set(mine.map((r) => r.method))];
    for (const size of results.sizes) {
      for (const method of methods) {
        const row = mine.find((r) => r.method === method && r.size === size);
        if (!row) continue;
        rows.push([
          group === 'exec' ? 'run /bin/true' : 'run JavaScript',
          size,
          row.label,
          fmt(row.median),
          fmt(row.p10),
          fmt(row.p90),
          `${row.ratio.toFixed(2)}x`,
          String(row.n),
        ]);
      }
    }
  }
  return rows;
}

const HEADER = ['work', 'parent', 'method', 'median ms', 'p10 ms', 'p90 ms', 'vs fastest', 'n'];

/** A fixed-width table for the terminal. */
export function terminalTable(results: BenchResults): string {
  const rows = [HEADER, ...tableRows(results)];
  const widths = HEADER.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string =>
    r
      .map((cell, i) => (i >= 3 ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ');
  const out = [
    line(HEADER),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.slice(1).map(line),
  ];
  for (const s of results.skipped) out.push(`skipped ${s.method}: ${s.reason}`);
  return out.join('\n');
}

/** A ratio between two methods' medians at one size, when both were measured. */
export function ratio(
  results: BenchResults,
  slower: string,
  faster: string,
  size: string,
): number | null {
  const find = (id: string): BenchRow | undefined =>
    results.rows.find((r) => r.method === id && r.size === size);
  const a = find(slower);
  const b = find(faster);
  return a && b ? a.median / b.median : null;
}

/** A ratio the issues set a target for: `slower / faster` at one parent size. */
interface Headline {
  text: string;
  slower: string;
  faster: string;
  /** 'first' / 'last': the smallest / largest parent size measured. */
  size: 'first' | 'last';
  /** The target, as "at most" (`max`) or "at least" (`min`) this ratio. */
  max?: number;
  min?: number;
}

const HEADLINES: readonly Headline[] = [
  {
    text: 'forkexec spawn / C posix_spawn floor',
    slower: 'forkexec.spawn',
    faster: 'c.posix_spawn',
    size: 'first',
    max: 1.3,
  },
  {
    text: 'forkexec spawn / child_process.spawn',
    slower: 'forkexec.spawn',
    faster: 'cp.spawn',
    size: 'first',
    max: 0.5,
  },
  {
    text: 'child_process.spawn / forkexec spawn, largest parent',
    slower: 'cp.spawn',
    faster: 'forkexec.spawn',
    size: 'last',
    min: 30,
  },
  {
    text: 'new Worker / fork(fn)',
    slower: 'worker',
    faster: 'forkexec.fork',
    size: 'first',
    min: 5,
  },
  {
    text: 'child_process.fork / fork(fn)',
    slower: 'cp.fork',
    faster: 'forkexec.fork',
    size: 'first',
    min: 20,
  },
  {
    text: 'Process(spawn) / Process(forkserver)',
    slower: 'process.spawn',
    faster: 'process.forkserver',
    size: 'first',
    min: 10,
  },
  {
    text: 'Process(spawn) / Process(fork)',
    slower: 'process.spawn',
    faster: 'process.fork',
    size: 'first',
    min: 10,
  },
  {
    text: 'child_process.fork / Process(forkserver)',
    slower: 'cp.fork',
    faster: 'process.forkserver',
    size: 'first',
    min: 10,
  },
  {
    text: 'new Worker / Process(forkserver)',
    slower: 'worker',
    faster: 'process.forkserver',
    size: 'first',
    min: 5,
  },
];

/** The ratios the issues set targets for, as Markdown lines (those whose methods were measured). */
export function headlineRatios(results: BenchResults): string[] {
  const lines: string[] = [];
  const first = results.sizes[0];
  const last = results.sizes[results.sizes.length - 1];
  for (const h of HEADLINES) {
    const size = h.size === 'first' ? first : last;
    if (size === undefined) continue;
    const value = ratio(results, h.slower, h.faster, size);
    if (value === null) continue;
    const met = h.max !== undefined ? value <= h.max : value >= (h.min ?? 0);
    const target =
      h.max !== undefined ? `target <= ${String(h.max)}x` : `target >= ${String(h.min)}x`;
    lines.push(
      `- ${h.text} at ${size}: **${value.toFixed(2)}x** (${target}: ${met ? 'met' : 'not met'})`,
    );
  }
  // The spawn at the largest parent against itself at the smallest.
  if (first !== undefined && last !== undefined && first !== last) {
    const small = results.rows.find((r) => r.method === 'forkexec.spawn' && r.size === first);
    const large = results.rows.find((r) => r.method === 'forkexec.spawn' && r.size === last);
    if (small && large) {
      const value = large.median / small.median;
      lines.push(
        `- forkexec spawn at ${last} / at ${first}: **${value.toFixed(2)}x** (target <= 1.3x: ${value <= 1.3 ? 'met' : 'not met'})`,
      );
    }
  }
  return lines;
}

/** results.md: the table, the machine, and what was skipped. */
export function markdown(results: BenchResults): string {
  const m = results.meta;
  const lines = [
    '# forkexec bench',
    '',
    `Node ${m.node} (V8 ${m.v8}), ${m.platform}, kernel ${m.kernel}, ${m.cpus} x ${m.cpuModel}; ${m.date}.`,
    `Medians, p10 and p90 over up to ${m.iterations} starts per method and parent size; "vs fastest" compares medians within the same kind of work and parent size.`,
    '',
    `| ${HEADER.join(' | ')} |`,
    `| ${HEADER.map((_, i) => (i >= 3 ? '---:' : '---')).join(' | ')} |`,
    ...tableRows(results).map((r) => `| ${r.join(' | ')} |`),
  ];
  const headlines = headlineRatios(results);
  if (headlines.length > 0)
    lines.push(
      '',
      'Ratios of medians in this run, against the targets of the issues:',
      '',
      ...headlines,
    );
  if (results.skipped.length > 0) {
    lines.push('', ...results.skipped.map((s) => `- skipped \`${s.method}\`: ${s.reason}`));
  }
  return `${lines.join('\n')}\n`;
}
