/**
 * The launcher where there is no addon (win32, and darwin, the BSDs, sunos,
 * aix): Node's child_process (CreateProcess on win32) with the same
 * checked options, behind the same {@link ExitWatch} the POSIX launcher
 * gives. A start that fails (ENOENT, ...) is reported by child_process a
 * tick later; it rejects `watch.exited` with a Node-style error carrying
 * `path` and `spawnargs`, as a failed POSIX start does.
 */
import { spawn as cpSpawn, type ChildProcess } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import type { ExitWatch } from '../exitWatcher';
import type { WaitStatus } from '../posix/wait';
import { signalName } from '../signals';
import type { SystemError } from '../errors';
import { cwdError, type Prepared } from './prepare';
import type { Launched, LaunchFailure } from './launched';
import { checkWin32Signal, cpMethod, cpOptions, cpStartError } from './win32Plan';

function rawStatus(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return (code & 0xff) << 8;
  return signal === null ? 0 : (osConstants.signals[signal] ?? 0);
}

function exitStatus(pid: number, code: number | null, signal: NodeJS.Signals | null): WaitStatus {
  return {
    pid,
    exitCode: code,
    signal,
    signalNumber: signal === null ? null : (osConstants.signals[signal] ?? null),
    coreDumped: false,
    stopped: false,
    stopSignal: null,
    continued: false,
    // Windows has no wait status word: the exit code is all there is.
    // Elsewhere it is rebuilt as waitpid would give it.
    status: process.platform === 'win32' ? (code ?? 0) : rawStatus(code, signal),
  };
}

function watchChild(child: ChildProcess, prepared: Prepared): ExitWatch {
  let running = true;
  const exited = new Promise<WaitStatus>((resolve, reject) => {
    child.on('error', (error: SystemError) => {
      // After a successful start 'error' only reports a failed kill, which
      // kill() below already answers with false.
      if (child.pid !== undefined) return;
      running = false;
      reject(cpStartError(error, prepared));
    });
    child.once('exit', (code, signal) => {
      running = false;
      resolve(exitStatus(child.pid ?? 0, code, signal));
    });
  });
  return {
    pid: child.pid ?? 0,
    exited,
    get running() {
      return running;
    },
    kill(signal: number): boolean {
      checkWin32Signal(signal, 'kill()');
      if (!running || child.pid === undefined) return false;
      return child.kill(signalName(signal) as NodeJS.Signals);
    },
    ref: () => {
      child.ref();
    },
    unref: () => {
      child.unref();
    },
  };
}

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
    watch: watchChild(child, prepared),
  };
}
