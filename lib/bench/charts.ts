/** One SVG chart per question the harness answers, from the run's results. */
import type { BenchResults, BenchRow } from './harness';
import { barChartSvg, lineChartSvg, type Series } from './chart';

function bySize(rows: BenchRow[], value: (r: BenchRow) => number | undefined): Series[] {
  const methods = [...new Set(rows.map((r) => r.method))];
  return methods.map((method) => {
    const mine = rows.filter((r) => r.method === method).sort((a, b) => a.sizeBytes - b.sizeBytes);
    return {
      label: mine[0]?.label ?? method,
      dashed: mine[0]?.group === 'js',
      points: mine.flatMap((r) => {
        const v = value(r);
        return v === undefined || !Number.isFinite(v) ? [] : [{ x: r.sizeBytes, y: v }];
      }),
    };
  });
}

function sizeTicks(rows: BenchRow[]): { x: number; label: string }[] {
  const seen = new Map<number, string>();
  for (const r of rows) seen.set(r.sizeBytes, r.size);
  return [...seen].sort((a, b) => a[0] - b[0]).map(([x, label]) => ({ x, label }));
}

export function charts(results: BenchResults): Record<string, string> {
  const out: Record<string, string> = {};
  const starts = results.rows.filter((r) => r.group !== 'forkStep' && r.n > 0);
  if (starts.length > 0) {
    out['start.svg'] = lineChartSvg({
      title: 'What a start costs vs parent size (median wall time, log scale)',
      xLabel: 'memory held by the parent',
      yUnit: 'ms',
      xLog: true,
      yLog: true,
      xTicks: sizeTicks(starts),
      series: bySize(starts, (r) => r.median),
      footnote: 'solid: run /bin/true; dashed: run JavaScript',
    });
  }
  const memory = results.rows.filter((r) => r.memory !== undefined);
  if (memory.length > 0) {
    out['memory.svg'] = lineChartSvg({
      title: 'Private memory (USS) per running unit vs parent size',
      xLabel: 'memory held by the parent',
      yUnit: 'MB',
      xLog: true,
      yLog: false,
      xTicks: sizeTicks(memory),
      series: bySize(memory, (r) => (r.memory?.ussKiB ?? NaN) / 1024),
    });
  }
  const messaging = (results.sections?.messaging ?? []).filter((r) => r.figures !== undefined);
  if (messaging.length > 0) {
    out['messaging.svg'] = barChartSvg(
      `Many short tasks: trivial tasks per second, ${String(messaging[0]?.figures?.tasksQueued ?? 0)} queued at once (one unit per core)`,
      'tasks/s',
      messaging.map((r) => ({ label: r.label, value: r.figures?.tasksPerSecond ?? 0 })),
    );
  }
  const scaling = (results.sections?.scaling ?? []).filter((r) => r.points.length > 0);
  if (scaling.length > 0) {
    const counts = [...new Set(scaling.flatMap((r) => r.points.map((p) => p.n)))].sort(
      (a, b) => a - b,
    );
    out['scaling.svg'] = lineChartSvg({
      title: 'CPU-bound scaling: speed-up of N units of ~50 ms each, started at once',
      xLabel: 'units (N)',
      yUnit: 'x',
      xLog: false,
      yLog: false,
      xTicks: counts.map((n) => ({ x: n, label: String(n) })),
      series: scaling.map((r) => ({
        label: r.label,
        dashed: r.language === 'Python',
        points: r.points.map((p) => ({ x: p.n, y: p.speedup })),
      })),
      footnote: 'dashed: Python multiprocessing',
    });
  }
  return out;
}
