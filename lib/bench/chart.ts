/**
 * A small SVG line chart and a bar chart, no dependency. Every series gets
 * its own colour: a fixed palette of distinct colours, then evenly spaced
 * hues when there are more series than that.
 */

export interface Series {
  label: string;
  points: { x: number; y: number }[];
  dashed?: boolean;
}

export interface LineChart {
  title: string;
  xLabel: string;
  yUnit: string;
  xLog: boolean;
  yLog: boolean;
  /** Labels for the x ticks (by x value). */
  xTicks: { x: number; label: string }[];
  series: Series[];
  footnote?: string;
}

const WIDTH = 960;
const HEIGHT = 540;
const PLOT = { left: 80, right: 600, top: 40, bottom: 470 };
const PALETTE = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#bcbd22',
  '#000000',
  '#7f7f7f',
  '#393b79',
  '#637939',
  '#8c6d31',
  '#843c39',
  '#7b4173',
];

/** A colour no other series of the chart has. */
export function seriesColor(index: number, count: number): string {
  if (count <= PALETTE.length) return PALETTE[index] ?? '#000';
  return `hsl(${String(Math.round((index * 360) / count))}, 70%, 40%)`;
}

const escape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function scale(log: boolean, min: number, max: number, from: number, to: number) {
  const f = log ? Math.log10 : (v: number) => v;
  const lo = f(min);
  const span = f(max) - lo || 1;
  return (v: number): number => from + ((f(v) - lo) / span) * (to - from);
}

function yTicks(log: boolean, min: number, max: number): number[] {
  if (log) {
    const out: number[] = [];
    for (let v = min; v <= max * 1.0001; v *= 10) out.push(v);
    return out;
  }
  const step = (max - min) / 5;
  return Array.from({ length: 6 }, (_, i) => min + i * step);
}

const tickText = (v: number): string =>
  v >= 100 ? v.toFixed(0) : String(v >= 1 ? +v.toFixed(1) : +v.toPrecision(2));

function frame(title: string): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${PLOT.left}" y="24" font-size="15">${escape(title)}</text>`,
    `<rect x="${PLOT.left}" y="${PLOT.top}" width="${PLOT.right - PLOT.left}" height="${PLOT.bottom - PLOT.top}" fill="none" stroke="#888"/>`,
  ];
}

export function lineChartSvg(chart: LineChart): string {
  const ys = chart.series.flatMap((s) => s.points.map((p) => p.y)).filter((v) => v > 0);
  const xs = chart.xTicks.map((t) => t.x);
  const yMin = chart.yLog ? 10 ** Math.floor(Math.log10(Math.min(...ys, 1))) : 0;
  const yMax = chart.yLog
    ? 10 ** Math.ceil(Math.log10(Math.max(...ys, 1)))
    : Math.max(...ys, 1) * 1.1;
  const single = xs.length < 2;
  const x = single
    ? () => (PLOT.left + PLOT.right) / 2
    : scale(chart.xLog, Math.min(...xs), Math.max(...xs), PLOT.left + 20, PLOT.right - 20);
  const y = scale(chart.yLog, yMin, yMax, PLOT.bottom, PLOT.top);
  const out = frame(chart.title);
  for (const v of yTicks(chart.yLog, yMin, yMax)) {
    const py = y(v).toFixed(1);
    out.push(`<line x1="${PLOT.left}" x2="${PLOT.right}" y1="${py}" y2="${py}" stroke="#ddd"/>`);
    out.push(
      `<text x="${PLOT.left - 6}" y="${py}" text-anchor="end" dominant-baseline="middle">${tickText(v)} ${escape(chart.yUnit)}</text>`,
    );
  }
  for (const t of chart.xTicks) {
    const px = x(t.x).toFixed(1);
    out.push(`<line x1="${px}" x2="${px}" y1="${PLOT.top}" y2="${PLOT.bottom}" stroke="#eee"/>`);
    out.push(
      `<text x="${px}" y="${PLOT.bottom + 18}" text-anchor="middle">${escape(t.label)}</text>`,
    );
  }
  out.push(
    `<text x="${(PLOT.left + PLOT.right) / 2}" y="${PLOT.bottom + 40}" text-anchor="middle">${escape(chart.xLabel)}</text>`,
  );
  chart.series.forEach((s, i) => {
    const color = seriesColor(i, chart.series.length);
    const dash = s.dashed ? ' stroke-dasharray="6 3"' : '';
    const points = s.points.filter((p) => p.y > 0 || !chart.yLog);
    const coords = points.map((p) => `${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`);
    out.push(
      `<polyline points="${coords.join(' ')}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`,
    );
    for (const c of coords) {
      const [px, py] = c.split(',');
      out.push(`<circle cx="${px ?? 0}" cy="${py ?? 0}" r="3" fill="${color}"/>`);
    }
    const ly = PLOT.top + 10 + i * 20;
    out.push(
      `<line x1="${PLOT.right + 20}" x2="${PLOT.right + 44}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"${dash}/>`,
      `<text x="${PLOT.right + 50}" y="${ly}" dominant-baseline="middle">${escape(s.label)}</text>`,
    );
  });
  if (chart.footnote) {
    out.push(
      `<text x="${PLOT.right + 20}" y="${PLOT.bottom}" fill="#555">${escape(chart.footnote)}</text>`,
    );
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** Horizontal bars, one per entry, each its own colour. */
export function barChartSvg(
  title: string,
  unit: string,
  bars: { label: string; value: number }[],
): string {
  const out = frame(title);
  const max = Math.max(...bars.map((b) => b.value), 1);
  const height = Math.min(30, (PLOT.bottom - PLOT.top - 10) / Math.max(bars.length, 1));
  bars.forEach((b, i) => {
    const top = PLOT.top + 5 + i * height;
    const w = ((PLOT.right - PLOT.left - 10) * b.value) / max;
    out.push(
      `<rect x="${PLOT.left}" y="${top.toFixed(1)}" width="${w.toFixed(1)}" height="${(height * 0.7).toFixed(1)}" fill="${seriesColor(i, bars.length)}"/>`,
      `<text x="${PLOT.right + 10}" y="${(top + height * 0.35).toFixed(1)}" dominant-baseline="middle">${escape(b.label)}: ${tickText(b.value)} ${escape(unit)}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
