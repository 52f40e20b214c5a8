/** The harness's results as a terminal table and as Markdown. */
import type { BenchResults } from './harness';
import type { MethodGroup } from './methods';

const fmt = (ms: number): string =>
  ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);

const WORK: Record<MethodGroup, string> = {
  exec: 'run /bin/true',
  js: 'run JavaScript',
  forkStep: 'one step of fork()',
};

function tableRows(results: BenchResults): string[][] {
  const rows: string[][] = [];
  for (const group of ['exec', 'js', 'forkStep'] as const) {
    const mine = results.rows.filter((r) => r.group === group);
    const methods = [...new Set(mine.map((r) => r.method))];
    for (const size of results.sizes) {
      for (const method of methods) {
        const row = mine.find((r) => r.method === method && r.size === size);
        if (!row) continue;
        rows.push([
          WORK[group],
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

/** 'method at size: note' for each row that has a note. */
function notes(results: BenchResults): string[] {
  return results.rows.flatMap((r) =>
    r.note === undefined ? [] : [`${r.method} at ${r.size}: ${r.note}`],
  );
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
  for (const n of notes(results)) out.push(`note ${n}`);
  for (const s of results.skipped) out.push(`skipped ${s.method}: ${s.reason}`);
  return out.join('\n');
}

/**
 * A ratio the issues set a target for: the median of `slower` at one parent
 * size over the median of `faster` at another ('first' / 'last': the smallest
 * / largest size measured), at most `max` or at least `min`.
 */
interface Headline {
  text: string;
  slower: [method: string, size: 'first' | 'last'];
  faster: [method: string, size: 'first' | 'last'];
  max?: number;
  min?: number;
}

const headline = (
  text: string,
  slower: Headline['slower'],
  faster: Headline['faster'],
  target: { max: number } | { min: number },
): Headline => ({ text, slower, faster, ...target });

const HEADLINES: readonly Headline[] = [
  headline(
    'forkexec spawn / C posix_spawn floor',
    ['forkexec.spawn', 'first'],
    ['c.posix_spawn', 'first'],
    { max: 1.3 },
  ),
  headline(
    'forkexec spawn / child_process.spawn',
    ['forkexec.spawn', 'first'],
    ['cp.spawn', 'first'],
    { max: 0.5 },
  ),
  headline(
    'forkexec spawn, largest parent / smallest',
    ['forkexec.spawn', 'last'],
    ['forkexec.spawn', 'first'],
    { max: 1.3 },
  ),
  headline(
    'child_process.spawn / forkexec spawn, largest parent',
    ['cp.spawn', 'last'],
    ['forkexec.spawn', 'last'],
    { min: 30 },
  ),
  headline('new Worker / fork(fn)', ['worker', 'first'], ['forkexec.fork', 'first'], { min: 5 }),
  headline('child_process.fork / fork(fn)', ['cp.fork', 'first'], ['forkexec.fork', 'first'], {
    min: 20,
  }),
  headline(
    'Process(spawn) / Process(forkserver)',
    ['process.spawn', 'first'],
    ['process.forkserver', 'first'],
    { min: 10 },
  ),
  headline(
    'Process(spawn) / Process(fork)',
    ['process.spawn', 'first'],
    ['process.fork', 'first'],
    { min: 10 },
  ),
  headline(
    'child_process.fork / Process(forkserver)',
    ['cp.fork', 'first'],
    ['process.forkserver', 'first'],
    { min: 10 },
  ),
  headline(
    'new Worker / Process(forkserver)',
    ['worker', 'first'],
    ['process.forkserver', 'first'],
    { min: 5 },
  ),
];

/** The ratios the issues set targets for, as Markdown lines (those whose methods were measured). */
export function headlineRatios(results: BenchResults): string[] {
  const sizeOf = { first: results.sizes[0], last: results.sizes[results.sizes.length - 1] };
  const median = ([method, at]: [string, 'first' | 'last']): number | undefined =>
    results.rows.find((r) => r.method === method && r.size === sizeOf[at])?.median;
  const lines: string[] = [];
  for (const h of HEADLINES) {
    // A ratio of one size against itself says nothing.
    if (h.slower[0] === h.faster[0] && sizeOf.first === sizeOf.last) continue;
    const slower = median(h.slower);
    const faster = median(h.faster);
    if (slower === undefined || faster === undefined) continue;
    const value = slower / faster;
    const met = h.max !== undefined ? value <= h.max : value >= (h.min ?? 0);
    const target =
      h.max !== undefined ? `target <= ${String(h.max)}x` : `target >= ${String(h.min)}x`;
    const at = h.slower[1] === h.faster[1] ? ` at ${sizeOf[h.slower[1]]}` : '';
    lines.push(
      `- ${h.text}${at}: **${value.toFixed(2)}x** (${target}: ${met ? 'met' : 'not met'})`,
    );
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
    `Medians, p10 and p90 over up to ${m.iterations} starts (or fork steps) per method and parent size; "vs fastest" compares medians within the same kind of work and parent size.`,
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
  const found = notes(results);
  if (found.length > 0) lines.push('', ...found.map((n) => `- ${n}`));
  if (results.skipped.length > 0) {
    lines.push('', ...results.skipped.map((s) => `- skipped \`${s.method}\`: ${s.reason}`));
  }
  return `${lines.join('\n')}\n`;
}
