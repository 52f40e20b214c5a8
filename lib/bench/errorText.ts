/**
 * How a failed method or subject is written in its row: the error with its
 * Node-style code, as Node prints its own (`Error [ERR_X]: message`), so a
 * reader sees which rule refused it (forkexec's errors carry `code` as a
 * property, which String(error) leaves out).
 */
export function errorText(error: unknown): string {
  const text = String(error);
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || text.includes(code)) return text;
  const name = error instanceof Error ? error.name : 'Error';
  return text.startsWith(`${name}: `)
    ? `${name} [${code}]: ${text.slice(name.length + 2)}`
    : `${text} [${code}]`;
}
