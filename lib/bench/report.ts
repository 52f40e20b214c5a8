/** The harness's results as terminal text and as Markdown: one table per question. */
import type { BenchResults } from './harness';
import type { MethodGroup } from './methods';
import { recommendations } from './recommend';
import { sectionTables } from './sectionTables';
import { fmtMB, fmtMs, markdownText, terminalText, type Table } from './table';

const WORK: Record<MethodGroup, string> = {
  exec: 'run /bin/true',
  js: 'run JavaScript',
  forkStep: 'one step of fork()',
};

const HEADER = ['work', 'parent', 'method', 'median ms', 'p10 ms', 'p90 ms', 'vs fastest', 'n'];

function startTable(results: BenchResults): Table {
  const rows: string[][] = [];
  for (const group of ['exec', 'js', 'forkStep'] as const) {
    const mine = results.rows.filter((r) => r.group === group);
    const methods = [...new Set(mine.map((r) => r.method))];
    for (const size of results.sizes) {
      for (const method of methods) {
        const row = mine.find((r) => r.method === method && r.size === size);
        if (!row) continue;
        const failed = row.n === 0 ? `failed: ${row.error ?? ''}` : undefined;
        rows.push([
          WORK[group],
          size,
          row.label,
          ...(failed === undefined
            ? [fmtMs(row.median), fmtMs(row.p10), fmtMs(row.p90), `${row.ratio.toFixed(2)}x`]
            : [failed, '-', '-', '-']),
          String(row.n),
        ]);
      }
    }
  }
  return {
    title: 'What a start costs (wall time per start)',
    header: HEADER,
    numericFrom: 3,
    rows,
    notes: [
      ...notes(results),
      ...results.skipped.map((s) => `skipped ${s.method}: ${s.reason}`),
      ...results.rows
        .filter((r) => r.n > 0 && r.error !== undefined)
        .map((r) => `${r.method} at ${r.size}: ${r.error ?? ''}`),
    ],
  };
}

/** The child's own rusage per start, where the method reports it. */
function startUsageTable(results: BenchResults): Table {
  const rows = results.rows
    .filter((r) => r.startUsage !== undefined)
    .map((r) => {
      const u = r.startUsage;
      return [
        r.size,
        r.label,
        u ? u.cpuMs.toFixed(2) : '-',
        String(u?.minorFaults ?? '-'),
        String(u?.majorFaults ?? '-'),
        fmtMB(u?.maxRSSKiB),
      ];
    });
  return {
    title: 'What a start costs the child (its own rusage, mean per start)',
    header: ['parent', 'method', 'CPU ms', 'minor faults', 'major faults', 'max RSS MB'],
    numericFrom: 2,
    rows,
    notes: [
      'child_process and Worker rows are missing: Node keeps no rusage of their children or threads.',
      'max RSS of a posix_spawn/vfork child includes the parent it shared memory with until exec (Linux keeps the peak across exec).',
    ],
  };
}

/** Memory per running unit at each parent size. */
function memoryTable(results: BenchResults): Table {
  const rows = results.rows
    .filter((r) => r.memory !== undefined)
    .map((r) => [
      r.size,
      r.label.replace(/\.run\(\)| \(one (IPC )?message\)/g, ''),
      fmtMB(r.memory?.rssKiB),
      fmtMB(r.memory?.pssKiB),
      fmtMB(r.memory?.ussKiB),
    ]);
  return {
    title: 'What a running unit costs in memory (MB per unit)',
    header: ['parent', 'unit', 'RSS', 'PSS', 'USS'],
    numericFrom: 2,
    rows,
    notes: [
      'From /proc/PID/smaps_rollup of two live, idle units (USS = private pages; PSS shares the shared ones out).',
      'new Worker: what the process grew by per Worker (RSS; private memory as USS); a thread has no PSS of its own.',
    ],
  };
}

/** 'method at size: note' for each row that has a note. */
function notes(results: BenchResults): string[] {
  return results.rows.flatMap((r) =>
    r.note === undefined ? [] : [`note ${r.method} at ${r.size}: ${r.note}`],
  );
}

function tables(results: BenchResults): Table[] {
  const out: Table[] = [];
  if (results.rows.length > 0)
    out.push(startTable(results), startUsageTable(results), memoryTable(results));
  if (results.sections) out.push(...sectionTables(results.sections));
  return out;
}

/** Everything for the terminal: the tables, then the recommendation. */
export function terminalReport(results: BenchResults): string {
  const parts = tables(results).map(terminalText);
  const advice = recommendations(results);
  if (advice.length > 0)
    parts.push(['Recommendation (from this run)', '', ...advice.map((a) => `- ${a}`)].join('\n'));
  return parts.join('\n\n');
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
  // Start latency (#15).
  headline('fork(fn) / raw fork floor', ['forkexec.fork', 'first'], ['fork.floor', 'first'], {
    max: 1.5,
  }),
  headline('Process(fork) / fork(fn)', ['process.fork', 'first'], ['forkexec.fork', 'first'], {
    max: 1.5,
  }),
  headline(
    'new Worker / Process(forkserver), module not preloaded',
    ['worker', 'first'],
    ['process.forkserver.cold', 'first'],
    { min: 10 },
  ),
  headline(
    'Process(forkserver), module not preloaded, largest parent / smallest',
    ['process.forkserver.cold', 'last'],
    ['process.forkserver.cold', 'first'],
    { max: 1.3 },
  ),
  headline(
    'Process(spawn) / child_process.fork',
    ['process.spawn', 'first'],
    ['cp.fork', 'first'],
    {
      max: 1,
    },
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

/** results.md: the machine, every table, the ratios, the recommendation. */
export function markdown(results: BenchResults): string {
  const m = results.meta;
  const lines = [
    '# forkexec bench',
    '',
    `Node ${m.node} (V8 ${m.v8}), ${m.platform}, kernel ${m.kernel}, ${m.cpus} x ${m.cpuModel}; ${m.date}.`,
    `Medians, p10 and p90 over up to ${m.iterations} starts (or fork steps) per method and parent size; "vs fastest" compares medians within the same kind of work and parent size.`,
    '',
    ...tables(results).flatMap((t) => [markdownText(t), '']),
  ];
  const headlines = headlineRatios(results);
  if (headlines.length > 0)
    lines.push(
      'Ratios of medians in this run, against the targets of the issues:',
      '',
      ...headlines,
      '',
    );
  const advice = recommendations(results);
  if (advice.length > 0)
    lines.push('## Recommendation (from this run)', '', ...advice.map((a) => `- ${a}`));
  return `${lines.join('\n')}\n`;
}
