/**
 * The launcher where there is no addon (win32, and darwin, the BSDs, sunos,
 * aix): Node's child_process (CreateProcess on win32) with the same
 * checked options, behind the same ExitWatch the POSIX launcher gives
 * (../exitWatch/childProcess). A start that fails (ENOENT, ...) is reported by child_process a
 * tick later; it rejects `watch.exited` with a Node-style error carrying
 * `path` and `spawnargs`, as a failed POSIX start does.
 */
import { spawn as cpSpawn } from 'node:child_process';
import { watchChildProcess } from '../exitWatch/childProcess';
import { cwdError } from './prepare';
import type { Prepared } from './types';
import type { Launched, LaunchFailure } from './launched';
import { cpMethod, cpOptions, cpStartError } from './win32Plan';

/** Starts the prepared plan through child_process. */
export function launchWin32(prepared: Prepared & { argv: Buffer[] }): Launched | LaunchFailure {
  const badCwd = cwdError(prepared);
  if (badCwd) return { error: badCwd };
  const child = cpSpawn(prepared.fileText, prepared.spawnargs, cpOptions(prepared));
  // 'pipe' slots are streams of child_process; the others are null there too.
  const stdio = child.stdio.map((s) => s ?? null);
  return {
    pid: child.pid,
    method: cpMethod(),
    stdio,
    watch: watchChildProcess(child, (error) => cpStartError(error, prepared)),
  };
}
