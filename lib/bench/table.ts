/** A titled table, rendered for the terminal and as Markdown. */
export interface Table {
  title: string;
  header: string[];
  /** Columns from this index on are numbers (right-aligned). */
  numericFrom: number;
  rows: string[][];
  /** Lines under the table. */
  notes?: string[];
}

export function terminalText(table: Table): string {
  const all = [table.header, ...table.rows];
  const widths = table.header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string =>
    r
      .map((cell, i) =>
        i >= table.numericFrom ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0),
      )
      .join('  ')
      .trimEnd();
  return [
    table.title,
    '',
    line(table.header),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...table.rows.map(line),
    ...(table.notes ?? []),
  ].join('\n');
}

export function markdownText(table: Table): string {
  const align = table.header.map((_, i) => (i >= table.numericFrom ? '---:' : '---'));
  return [
    `## ${table.title}`,
    '',
    `| ${table.header.join(' | ')} |`,
    `| ${align.join(' | ')} |`,
    ...table.rows.map((r) => `| ${r.join(' | ')} |`),
    ...(table.notes && table.notes.length > 0 ? ['', ...table.notes.map((n) => `- ${n}`)] : []),
  ].join('\n');
}

/** Milliseconds with the precision a reader needs. */
export const fmtMs = (ms: number): string =>
  !Number.isFinite(ms) ? '-' : ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);

/** KiB as MB with one decimal. */
export const fmtMB = (kib: number | undefined): string =>
  kib === undefined ? '-' : (kib / 1024).toFixed(1);
