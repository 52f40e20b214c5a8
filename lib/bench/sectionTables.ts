/** The tables of the sections after the start costs: messaging, scaling, Python's own. */
import type { MessagingRow, SectionResults } from './sections';
import { fmtMB, fmtMs, type Table } from './table';

const marked = (label: string, singleThreaded: boolean): string =>
  singleThreaded ? `${label} [--single-threaded]` : label;

const failed = (r: MessagingRow, columns: number): string[] => [
  `failed: ${r.error ?? ''}`,
  ...Array.from({ length: columns - 1 }, () => '-'),
];

function messagingTable(s: SectionResults): Table {
  return {
    title: 'Messaging once units run: one task at a time (a pool of one unit per core)',
    header: ['language', 'pool', 'round trip µs', 'tasks/s'],
    numericFrom: 2,
    rows: s.messaging.map((r) => [
      r.language,
      marked(r.label, r.singleThreaded),
      ...(r.figures
        ? [r.figures.roundTripUs.toFixed(0), (1e6 / r.figures.roundTripUs).toFixed(0)]
        : failed(r, 2)),
    ]),
    notes: [
      'Each task awaited before the next is sent (Python: Pool.apply); median of the runs.',
      '[--single-threaded]: that row ran in `node --single-threaded`, which fork() needs.',
    ],
  };
}

function manyShortTable(s: SectionResults): Table {
  const queued = s.messaging.find((r) => r.figures)?.figures?.tasksQueued ?? 0;
  const best = Math.max(...s.messaging.map((r) => r.figures?.tasksPerSecond ?? 0));
  return {
    title: `Many short tasks: ${String(queued)} trivial tasks queued at once`,
    header: ['language', 'pool', 'tasks/s', 'µs/task', 'vs best', 'map in chunks: items/s'],
    numericFrom: 2,
    rows: s.messaging.map((r) => [
      r.language,
      marked(r.label, r.singleThreaded),
      ...(r.figures
        ? [
            r.figures.tasksPerSecond.toFixed(0),
            (1e6 / r.figures.tasksPerSecond).toFixed(1),
            `${(best / r.figures.tasksPerSecond).toFixed(2)}x`,
            r.figures.mapItemsPerSecond.toFixed(0),
          ]
        : failed(r, 4)),
    ]),
    notes: [
      'tasks/s: one message per task (run() for each; Python: Pool.map with chunksize=1).',
      "map in chunks: the same items through map, about four chunks per unit (Python's Pool.map default).",
    ],
  };
}

function scalingTable(s: SectionResults): Table {
  const counts = [...new Set(s.scaling.flatMap((r) => r.points.map((p) => p.n)))].sort(
    (a, b) => a - b,
  );
  return {
    title: 'CPU-bound scaling: N units of ~50 ms CPU each, started at once (wall ms / speed-up)',
    header: ['language', 'method', ...counts.map((n) => `N=${String(n)}`)],
    numericFrom: 2,
    rows: s.scaling.map((r) => [
      r.language,
      marked(r.label, r.singleThreaded),
      ...(r.error !== undefined && r.points.length === 0
        ? [`failed: ${r.error}`, ...counts.slice(1).map(() => '-')]
        : counts.map((n) => {
            const p = r.points.find((x) => x.n === n);
            return p ? `${fmtMs(p.wallMs)} / ${p.speedup.toFixed(2)}x` : '-';
          })),
    ]),
    notes: [
      'speed-up = N x wall(1) / wall(N): how much more work per second N units give than one.',
    ],
  };
}

function pythonTable(s: SectionResults): Table | undefined {
  if (!s.python) return undefined;
  const rows = Object.entries(s.python.methods).map(([method, m]) => [
    `Python Process(${method})`,
    'value' in m.startMs ? fmtMs(m.startMs.value) : `failed: ${m.startMs.error}`,
    'value' in m.memory ? fmtMB(m.memory.value.rssKiB) : '-',
    'value' in m.memory ? fmtMB(m.memory.value.pssKiB) : '-',
    'value' in m.memory ? fmtMB(m.memory.value.ussKiB) : '-',
  ]);
  return {
    title: `Python ${s.python.version} multiprocessing: start to result, and memory per unit`,
    header: ['method', 'start ms (median)', 'RSS MB', 'PSS MB', 'USS MB'],
    numericFrom: 1,
    rows,
    notes: [
      'The Python parent is its own small interpreter (no ballast): compare with the smallest parent size.',
      'Memory: two idle workers of a Pool of that start method, as the JavaScript Process rows are read.',
    ],
  };
}

export function sectionTables(s: SectionResults): Table[] {
  const out: Table[] = [];
  if (s.messaging.length > 0) out.push(messagingTable(s), manyShortTable(s));
  if (s.scaling.length > 0) out.push(scalingTable(s));
  const python = pythonTable(s);
  if (python) out.push(python);
  if (s.pythonNote !== undefined) {
    out.push({ title: 'Python rows', header: ['note'], numericFrom: 1, rows: [[s.pythonNote]] });
  }
  return out;
}
