/**
 * chart.svg: median start cost against parent size, log-log, one line per
 * method. The steps of fork() are not starts: they stay in the table.
 */
import type { BenchResults, BenchRow } from './harness';

const WIDTH = 900;
const HEIGHT = 520;
const PLOT = { left: 70, right: 560, top: 40, bottom: 460 };
const COLORS = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
  '#000000',
  '#aec7e8',
];

const escape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function logScale(min: number, max: number, from: number, to: number): (v: number) => number {
  const lo = Math.log10(min);
  const span = Math.log10(max) - lo || 1;
  return (v) => from + ((Math.log10(v) - lo) / span) * (to - from);
}

/** Where a parent size (x) and a median in ms (y) go, and the range of ms shown. */
interface Axes {
  x: (sizeBytes: number) => number;
  y: (ms: number) => number;
  yMin: number;
  yMax: number;
}

/** The grid: a line per power of ten of ms, and one per parent size. */
function grid(rows: BenchRow[], sizes: number[], { x, y, yMin, yMax }: Axes): string[] {
  const out: string[] = [];
  for (let v = yMin; v <= yMax * 1.0001; v *= 10) {
    const py = y(v).toFixed(1);
    out.push(`<line x1="${PLOT.left}" x2="${PLOT.right}" y1="${py}" y2="${py}" stroke="#ddd"/>`);
    out.push(
      `<text x="${PLOT.left - 6}" y="${py}" text-anchor="end" dominant-baseline="middle">${v >= 1 ? v.toFixed(0) : v.toString()} ms</text>`,
    );
  }
  for (const s of sizes) {
    const px = x(s).toFixed(1);
    const label = rows.find((r) => r.sizeBytes === s)?.size ?? '';
    out.push(`<line x1="${px}" x2="${px}" y1="${PLOT.top}" y2="${PLOT.bottom}" stroke="#eee"/>`);
    out.push(
      `<text x="${px}" y="${PLOT.bottom + 18}" text-anchor="middle">${escape(label)}</text>`,
    );
  }
  out.push(
    `<text x="${(PLOT.left + PLOT.right) / 2}" y="${PLOT.bottom + 40}" text-anchor="middle">memory held by the parent</text>`,
  );
  return out;
}

/** One method's line, its points and its legend entry (the index-th). */
function methodLine(rows: BenchRow[], method: string, index: number, { x, y }: Axes): string[] {
  const mine = rows.filter((r) => r.method === method).sort((a, b) => a.sizeBytes - b.sizeBytes);
  const color = COLORS[index % COLORS.length] ?? '#000';
  const points = mine.map((r) => `${x(r.sizeBytes).toFixed(1)},${y(r.median).toFixed(1)}`);
  const dash = mine[0]?.group === 'js' ? ' stroke-dasharray="6 3"' : '';
  const out = [
    `<polyline points="${points.join(' ')}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`,
  ];
  for (const p of points) {
    const [px, py] = p.split(',');
    out.push(`<circle cx="${px ?? 0}" cy="${py ?? 0}" r="3" fill="${color}"/>`);
  }
  const ly = PLOT.top + 10 + index * 20;
  out.push(
    `<line x1="${PLOT.right + 20}" x2="${PLOT.right + 44}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"${dash}/>`,
    `<text x="${PLOT.right + 50}" y="${ly}" dominant-baseline="middle">${escape(mine[0]?.label ?? method)}</text>`,
  );
  return out;
}

export function chartSvg(results: BenchResults): string {
  const rows = results.rows.filter((r) => r.group !== 'forkStep');
  const sizes = [...new Set(rows.map((r) => r.sizeBytes))].sort((a, b) => a - b);
  const medians = rows.map((r) => r.median).filter((v) => v > 0);
  const yMin = 10 ** Math.floor(Math.log10(Math.min(...medians, 0.1)));
  const yMax = 10 ** Math.ceil(Math.log10(Math.max(...medians, 1)));
  const x =
    sizes.length > 1
      ? logScale(sizes[0] ?? 1, sizes[sizes.length - 1] ?? 2, PLOT.left + 20, PLOT.right - 20)
      : () => (PLOT.left + PLOT.right) / 2;
  const axes: Axes = { x, y: logScale(yMin, yMax, PLOT.bottom, PLOT.top), yMin, yMax };
  const methods = [...new Set(rows.map((r) => r.method))];
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${PLOT.left}" y="24" font-size="15">Cost of starting one unit of work vs parent size (median, log scale)</text>`,
    `<rect x="${PLOT.left}" y="${PLOT.top}" width="${PLOT.right - PLOT.left}" height="${PLOT.bottom - PLOT.top}" fill="none" stroke="#888"/>`,
    ...grid(rows, sizes, axes),
    ...methods.flatMap((method, i) => methodLine(rows, method, i, axes)),
    `<text x="${PLOT.right + 20}" y="${PLOT.bottom}" fill="#555">solid: run /bin/true; dashed: run JavaScript</text>`,
    '</svg>',
  ];
  return `${out.join('\n')}\n`;
}
