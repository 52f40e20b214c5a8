/**
 * spawn(): start an executable the safe way. No JavaScript runs in the
 * child; between fork and exec only the async-signal-safe C of
 * native/child_path.c runs (or glibc's posix_spawn, when it can express the
 * plan).
 */
import { Subprocess } from './subprocess';
import { prepare, splitArguments } from './prepare';
import type { SpawnOptions } from './options';
import type { ExactOptions, NoOptions, OutputOf } from './outputTypes';

type Args = readonly (string | Buffer)[];

/**
 * Starts `file` with `args`. Argument and option errors throw at once;
 * everything else rejects the returned Subprocess with one class,
 * {@link SubprocessError}: a start that fails (ENOENT, EACCES, EBADF, a
 * failing chdir / setuid / execve in the child; with the system error's
 * `code`, `errno`, `syscall`, `path`), a non-zero exit, a signal, a
 * timeout, an abort. The result's `stdout` / `stderr` are typed from
 * `stdio` and `encoding`: a string for a pipe, a Buffer with
 * `encoding: 'buffer'`, undefined for a slot that is not a pipe.
 */
export function spawn<const O extends SpawnOptions = NoOptions>(
  file: string | Buffer,
  args?: Args,
  options?: ExactOptions<O>,
): Subprocess<OutputOf<O, 1>, OutputOf<O, 2>>;
export function spawn<const O extends SpawnOptions = NoOptions>(
  file: string | Buffer,
  options: ExactOptions<O>,
): Subprocess<OutputOf<O, 1>, OutputOf<O, 2>>;
export function spawn(
  file: string | Buffer,
  args?: Args | SpawnOptions,
  options?: SpawnOptions,
): Subprocess {
  const split = splitArguments(args, options);
  return new Subprocess(prepare(file, split.args, split.options));
}

export { Subprocess } from './subprocess';
export { spawnSync } from './spawnSync';
export {
  pipeline,
  type PipelineCommand,
  type PipelineOptions,
  type PipelineResult,
  type PipelineStep,
} from './pipeline';
export { SubprocessError, type SubprocessResult, type SpawnError } from './error';
export type { SpawnOptions, SpawnEnv, StdioEntry, RlimitValue, StreamWithFd } from './options';
export type { SpawnMethod } from './types';
export type { OutputOf } from './outputTypes';
