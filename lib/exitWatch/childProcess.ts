/**
 * The {@link ExitWatch} on a child that Node's child_process started (win32,
 * and the other systems without the addon): libuv reaps it, we listen.
 * Shared by the spawn launcher and the `spawn` start method there.
 */
import type { ChildProcess } from 'node:child_process';
import type { SystemError } from '../errors';
import { pendingExit, statusFromExit, type ExitWatch } from './watch';
import { signalName } from '../signals';
import { checkWin32Signal } from '../spawn/win32Plan';

/**
 * Watches `child`. A start that fails (ENOENT, a bad cwd, ...) is reported
 * by child_process a tick later; it rejects `exited` with
 * `startError(error)` (by default the error itself).
 */
export function watchChildProcess(
  child: ChildProcess,
  startError: (error: SystemError) => Error = (error) => error,
): ExitWatch {
  const pending = pendingExit();
  child.on('error', (error: SystemError) => {
    // After a successful start 'error' only reports a failed kill, which
    // kill() below already answers with false.
    if (child.pid !== undefined) return;
    pending.reject(startError(error));
  });
  child.once('exit', (code, signal) => {
    pending.resolve(statusFromExit(child.pid ?? 0, code, signal));
  });
  return {
    pid: child.pid ?? 0,
    exited: pending.exited,
    get running() {
      return pending.running;
    },
    kill(signal: number): boolean {
      checkWin32Signal(signal, 'kill()');
      if (!pending.running || child.pid === undefined) return false;
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
