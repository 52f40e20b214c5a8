/**
 * The options of exec(): a subset of spawn()'s, checked by spawn's own
 * validation. stdio defaults to 'inherit' (the new program takes over this
 * process's stdio) and cannot be 'pipe': no parent stays to read it.
 */
import { invalidArgValue } from '../errors';
import type { Environment } from '../cstrings';
import { own, rejectUnknownKeys, validateOptions } from '../validate';
import type { SpawnOptions, StreamWithFd } from '../spawn/options';

/** One slot of exec's `stdio`: keep this process's fd, /dev/null, or another fd. */
export type ExecStdioEntry = 'inherit' | 'ignore' | number | StreamWithFd;

/** Options of {@link exec}. */
export interface ExecOptions {
  /** The working directory of the new program (default: this process's). */
  cwd?: string | Buffer | URL;
  /** The new program's environment (default: `process.env`). Its `PATH` is the one searched. */
  env?: Environment;
  /** `argv[0]` for the new program (default: `file` as given). */
  argv0?: string | Buffer;
  /** Fds 0, 1, 2 of the new program: `'inherit'` (default), `'ignore'` (/dev/null), an fd, a stream with an fd. */
  stdio?: 'inherit' | 'ignore' | readonly ExecStdioEntry[];
  /** More fds the new program gets: `{ 3: fd }`. */
  fds?: Readonly<Record<number, number | StreamWithFd>>;
  /** Every fd that `stdio` / `fds` do not name is closed at exec (default `true`). */
  closeFds?: boolean;
}

const EXEC_KEYS = ['cwd', 'env', 'argv0', 'stdio', 'fds', 'closeFds'] as const;

function stdioOf(value: unknown): unknown {
  if (value === undefined) return 'inherit';
  if (value === 'pipe') {
    throw invalidArgValue('options.stdio', value, "cannot be 'pipe' for exec (no parent stays)");
  }
  if (!Array.isArray(value)) return value;
  const slots: unknown[] = (value as unknown[]).slice();
  slots.forEach((slot, i) => {
    if (slot === 'pipe') {
      throw invalidArgValue(`options.stdio[${i}]`, slot, "cannot be 'pipe' for exec");
    }
  });
  // Slots 0-2 not given keep this process's fd (spawn would make pipes).
  while (slots.length < 3) slots.push('inherit');
  return slots;
}

/** exec's options as spawn options, for spawn's validation; throws on a wrong argument. */
export function toSpawnOptions(options: unknown): SpawnOptions {
  const opts = validateOptions<ExecOptions>(options, 'options');
  rejectUnknownKeys(opts, EXEC_KEYS, 'options');
  const out: Record<string, unknown> = { stdio: stdioOf(own(opts, 'stdio')) };
  for (const key of ['cwd', 'env', 'argv0', 'fds', 'closeFds'] as const) {
    const value = own(opts, key);
    if (value !== undefined) out[key] = value;
  }
  return out;
}
