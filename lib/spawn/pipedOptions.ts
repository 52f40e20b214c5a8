/**
 * The options of a child that reads another child's stdout (`a.pipe(...)`,
 * `pipeline()`): its stdin is that pipe's read end, handed over so that the
 * parent keeps no copy (which would otherwise hold the pipe open and keep
 * the reader waiting for an EOF that never comes).
 */
import type { Readable } from 'node:stream';
import { invalidArgValue } from '../errors';
import { validateOptions } from '../validate';
import type { SpawnOptions, StdioEntry } from './options';

/** The stdio of the reader: the given slots, with slot 0 taken by the pipe. */
function readerStdio(stdin: StdioEntry, stdio: SpawnOptions['stdio']): StdioEntry[] {
  if (stdio === undefined) return [stdin, 'pipe', 'pipe'];
  if (typeof stdio === 'string') return [stdin, stdio, stdio];
  if (stdio[0] !== undefined && stdio[0] !== null) {
    throw invalidArgValue(
      'options.stdio[0]',
      stdio[0],
      'must be left out when stdin comes from the previous command',
    );
  }
  return [stdin, ...stdio.slice(1)];
}

/**
 * `options` with stdin taken from `source` (the writer's stdout). A writer
 * that never started has no stdout: the reader then gets /dev/null (EOF at
 * once) and the writer's start error is what the caller reports.
 */
export function pipedOptions(
  source: Readable | null,
  sourcePid: number | undefined,
  options: unknown,
): SpawnOptions {
  const opts = { ...validateOptions<SpawnOptions>(options, 'options') };
  if (opts.input !== undefined) {
    throw invalidArgValue(
      'options.input',
      '<input>',
      'cannot be given when stdin comes from the previous command',
    );
  }
  if (source === null && sourcePid !== undefined) {
    throw invalidArgValue(
      'stdout',
      null,
      "of the previous command is not a pipe (its stdio[1] must be 'pipe' to pipe it)",
    );
  }
  opts.stdio = readerStdio(source ?? 'ignore', opts.stdio);
  return opts;
}
