/**
 * spawnSync(): the same plan, run to completion in one native call that
 * polls the pipes and the child's pidfd (no thread, no waitpid(-1)), so a
 * child that fills a pipe can never block it. On win32, child_process's
 * spawnSync with the same options.
 */
import { binding, isLinux } from '../native';
import { decodeWaitStatus } from '../posix/wait';
import { systemError } from '../errors';
import {
  SubprocessError,
  nativeSpawnError,
  startFailed,
  succeeded,
  type SubprocessResult,
} from './error';
import { discardFdPlan, makeReady, prepare, splitArguments } from './prepare';
import type { Prepared } from './types';
import { abortError } from './abort';
import { handOver } from './handOver';
import { spawnSyncWin32 } from './spawnSyncWin32';
import type { SpawnOptions } from './options';
import type { ExactOptions, NoOptions, OutputOf } from './outputTypes';

/**
 * Runs `file` to completion. Returns the {@link SubprocessResult}; throws a
 * {@link SubprocessError} when it did not succeed (unless `reject: false`),
 * or could not start (then with the system error's `code`, `errno`,
 * `syscall`, `path`). The AbortSignal is only
 * checked before the start: nothing else can run while this waits.
 */
export function spawnSync<const O extends SpawnOptions = NoOptions>(
  file: string | Buffer,
  args?: readonly (string | Buffer)[],
  options?: ExactOptions<O>,
): SubprocessResult<OutputOf<O, 1>, OutputOf<O, 2>>;
export function spawnSync<const O extends SpawnOptions = NoOptions>(
  file: string | Buffer,
  options: ExactOptions<O>,
): SubprocessResult<OutputOf<O, 1>, OutputOf<O, 2>>;
export function spawnSync(
  file: string | Buffer,
  args?: readonly (string | Buffer)[] | SpawnOptions,
  options?: SpawnOptions,
): SubprocessResult {
  const split = splitArguments(args, options);
  const prepared = prepare(file, split.args, split.options);
  const o = prepared.options;
  const started = performance.now();
  if (o.signal?.aborted) throw startFailed(abortError(o.signal), prepared, started, true);
  let result: SubprocessResult;
  try {
    result = isLinux ? spawnSyncPosix(prepared) : spawnSyncWin32(prepared);
  } catch (error) {
    throw startFailed(error as Error, prepared, started);
  }
  // The loop has not run since the start: nothing of theirs was read here.
  handOver(o.streams);
  if (o.reject && !succeeded(result)) throw new SubprocessError(result, o.timeout);
  return result;
}

/** One native call: start, feed stdin, collect, wait. */
function spawnSyncPosix(prepared: Prepared & { file: Buffer; argv: Buffer[] }): SubprocessResult {
  const native = binding('spawnSync');
  const o = prepared.options;
  const start = performance.now();
  const ready = makeReady(prepared);
  if (!ready.ok) throw ready.error;
  const ends = ready.fdPlan.parentEnds;
  let raw;
  try {
    raw = native.spawnSync(ready.plan, {
      stdinFd: ends[0] ?? -1,
      input: o.input ?? null,
      stdoutFd: ends[1] ?? -1,
      stderrFd: ends[2] ?? -1,
      timeoutMs: o.timeout,
      maxBuffer: o.maxBuffer === Infinity ? Number.MAX_SAFE_INTEGER : o.maxBuffer,
      killSignal: o.killSignal,
      forceKillAfterMs: o.forceKillAfterDelay,
    });
  } catch (error) {
    throw nativeSpawnError(error, {
      file: prepared.fileText,
      cwd: o.cwdText,
      spawnargs: prepared.spawnargs,
    });
  } finally {
    // Pipes for slots above 2 are not read by spawnSync; close what is left.
    discardFdPlan({ fds: [], closeInParent: [], parentEnds: ends.slice(3) });
  }
  if (raw.waitError) {
    // Started, but its status is lost (ECHILD: reaped by someone else, such
    // as a SIGCHLD set to SIG_IGN or a waitpid(-1) elsewhere in the process).
    const { errno, syscall } = raw.waitError;
    throw systemError(errno, syscall, {
      message: `the status of child ${String(raw.pid)} (${prepared.command}) is lost`,
    });
  }
  const status = decodeWaitStatus(raw.status);
  const decode = (b: Buffer): string | Buffer =>
    o.encoding === 'buffer' ? b : b.toString(o.encoding);
  return {
    exitCode: status.exitCode,
    signal: status.signal,
    stdout: ends[1] === undefined ? undefined : decode(raw.stdout),
    stderr: ends[2] === undefined ? undefined : decode(raw.stderr),
    durationMs: performance.now() - start,
    pid: raw.pid,
    command: prepared.command,
    method: raw.method,
    timedOut: raw.timedOut,
    isCanceled: false,
    maxBufferExceeded: raw.maxBufferExceeded,
    resourceUsage: status.resourceUsage,
  };
}
