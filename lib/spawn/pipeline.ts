/**
 * pipeline(): commands joined as a shell joins them with `|`, by real
 * kernel pipes (each stdout is the next stdin; the parent keeps no end of
 * them, so nothing can wait for an EOF the parent holds back). It resolves
 * with every command's result, in order; like a shell, success is the last
 * command's, or with `pipefail` every command's.
 */
import { invalidArgValue } from '../errors';
import {
  own,
  rejectUnknownKeys,
  validateArray,
  validateBoolean,
  validateOptions,
} from '../validate';
import { SubprocessError, succeeded, type SubprocessResult } from './error';
import type { SpawnOptions } from './options';
import { Subprocess } from './subprocess';
import { prepare, splitArguments } from './prepare';
import { pipedOptions } from './pipedOptions';

/** One command of a pipeline: `[file, args?, options?]`. */
export type PipelineCommand =
  | readonly [file: string | Buffer]
  | readonly [file: string | Buffer, args: readonly (string | Buffer)[]]
  | readonly [file: string | Buffer, args: readonly (string | Buffer)[], options: SpawnOptions];

/** Options of {@link pipeline}. */
export interface PipelineOptions {
  /**
   * Like bash's `set -o pipefail`: fail when any command fails (the rightmost
   * failure is the error). Default `false`: only the last command decides.
   */
  pipefail?: boolean;
}

/** One command's outcome: its result, or the SubprocessError it ended in. */
export type PipelineStep = SubprocessResult | SubprocessError;

/** What a pipeline gives once every command has ended. */
export interface PipelineResult {
  /** Every command's result (a SubprocessError for one that failed), in order. */
  results: PipelineStep[];
  /** The last command's collected stdout. */
  stdout: string | Buffer | undefined;
}

function checkCommand(command: unknown, i: number): [unknown, unknown[], unknown] {
  const list = validateArray(command, `commands[${i}]`);
  if (list.length < 1 || list.length > 3) {
    throw invalidArgValue(`commands[${i}]`, command, 'must be [file, args?, options?]');
  }
  const split = splitArguments(list[1], list[2]);
  return [list[0], split.args, split.options];
}

function failed(step: PipelineStep): boolean {
  return step instanceof SubprocessError || !succeeded(step);
}

/** The index of the failure that fails the pipeline (the rightmost with pipefail), or -1. */
function decisiveFailure(results: readonly PipelineStep[], pipefail: boolean): number {
  const last = results.length - 1;
  if (!pipefail) return failed(results[last]) ? last : -1;
  for (let i = last; i >= 0; i--) if (failed(results[i])) return i;
  return -1;
}

/** Starts every command, each reading the previous one's stdout. */
export function startPipeline(commands: unknown): Subprocess[] {
  const list = validateArray(commands, 'commands');
  if (list.length === 0) throw invalidArgValue('commands', list, 'must hold at least one command');
  const checked = list.map(checkCommand);
  const started: Subprocess[] = [];
  for (const [i, [file, args, options]] of checked.entries()) {
    const previous = started[i - 1];
    const opts: unknown =
      previous === undefined
        ? firstOptions(options)
        : pipedOptions(previous.stdout, previous.pid, options);
    started.push(new Subprocess(prepare(file, args, opts)));
  }
  return started;
}

/** The first command reads nothing unless told to: a stdin pipe nobody writes would never end. */
function firstOptions(options: unknown): SpawnOptions {
  const opts = validateOptions<SpawnOptions>(options, 'options');
  if (own(opts, 'stdio') !== undefined || own(opts, 'input') !== undefined) return opts;
  return { ...opts, stdio: ['ignore', 'pipe', 'pipe'] };
}

/**
 * Runs `commands` as `a | b | c`. Argument errors throw; everything else
 * rejects with the failing command's {@link SubprocessError}, which carries
 * every result as `results`.
 */
export function pipeline(
  commands: readonly PipelineCommand[],
  options?: PipelineOptions,
): Promise<PipelineResult> {
  const opts = validateOptions<PipelineOptions>(options, 'options');
  rejectUnknownKeys(opts, ['pipefail'], 'options');
  const pipefail = validateBoolean(own(opts, 'pipefail') ?? false, 'options.pipefail');
  return settle(startPipeline(commands), pipefail);
}

/** Waits for every command; fails as the shell would. */
async function settle(children: Subprocess[], pipefail: boolean): Promise<PipelineResult> {
  const results: PipelineStep[] = await Promise.all(
    children.map((child) =>
      child.then(
        (r) => r,
        (e: unknown) => {
          if (e instanceof SubprocessError) return e;
          throw e;
        },
      ),
    ),
  );
  const decisive = decisiveFailure(results, pipefail);
  if (decisive >= 0) {
    const step = results[decisive];
    const error = step instanceof SubprocessError ? step : new SubprocessError(step);
    error.results = results;
    throw error;
  }
  return { results, stdout: results.at(-1)?.stdout };
}
