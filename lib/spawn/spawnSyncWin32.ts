/**
 * spawnSync() on win32: child_process.spawnSync (CreateProcess) with the
 * same checked options, its answer turned into the same result and errors
 * as on POSIX.
 */
import { spawnSync as cpSpawnSync } from 'node:child_process';
import { signalName } from '../signals';
import type { SystemError } from '../errors';
import type { SubprocessResult } from './error';
import { cwdError } from './prepare';
import type { Prepared } from './types';
import { cpMethod, cpOptions, cpStartError } from './win32Plan';

/** Runs the prepared plan to completion; throws a system error when it could not start. */
export function spawnSyncWin32(prepared: Prepared & { argv: Buffer[] }): SubprocessResult {
  const o = prepared.options;
  const start = performance.now();
  const badCwd = cwdError(prepared);
  if (badCwd) throw badCwd;
  const ran = cpSpawnSync(prepared.fileText, prepared.spawnargs, {
    ...cpOptions(prepared),
    ...(o.input === undefined ? {} : { input: o.input }),
    timeout: o.timeout,
    killSignal: signalName(o.killSignal) as NodeJS.Signals,
    maxBuffer: o.maxBuffer,
    encoding: 'buffer',
  });
  const failure = ran.error as SystemError | undefined;
  const timedOut = failure?.code === 'ETIMEDOUT';
  const maxBufferExceeded = failure?.code === 'ENOBUFS';
  if (failure && !timedOut && !maxBufferExceeded) throw cpStartError(failure, prepared);
  const decode = (b: Buffer | null | undefined): string | Buffer | undefined => {
    if (b === null || b === undefined) return undefined;
    return o.encoding === 'buffer' ? b : b.toString(o.encoding);
  };
  return {
    exitCode: ran.status,
    signal: ran.signal,
    stdout: o.stdio[1] === 'pipe' ? decode(ran.stdout) : undefined,
    stderr: o.stdio[2] === 'pipe' ? decode(ran.stderr) : undefined,
    durationMs: performance.now() - start,
    pid: ran.pid,
    command: prepared.command,
    method: cpMethod(),
    timedOut,
    isCanceled: false,
    maxBufferExceeded,
    // child_process reaped it and keeps no rusage of a child.
    resourceUsage: undefined,
  };
}
