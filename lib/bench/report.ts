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
  if (results.skipped.length > 0) {
    lines.push('', ...results.skipped.map((s) => `- skipped \`${s.method}\`: ${s.reason}`));
  }
  return `${lines.join('\n')}\n`;
}
