/**
 * The POSIX launcher: the kernel-facing checks and the fd plan, one native
 * call that runs the child path, then a pidfd watch on the child.
 */
import { Socket } from 'node:net';
import { binding } from '../native';
import { watchExit } from '../exitWatcher';
import { nativeSpawnError } from './error';
import { discardFdPlan, makeReady } from './prepare';
import type { Prepared } from './types';
import type { Launched, LaunchFailure } from './launched';

/** Starts the prepared plan; on failure nothing is left open and no child is left unreaped. */
export function launchPosix(
  prepared: Prepared & { file: Buffer; argv: Buffer[] },
): Launched | LaunchFailure {
  const ready = makeReady(prepared);
  if (!ready.ok) return { error: ready.error };
  const native = binding('spawn');
  let started;
  try {
    started = native.spawn(ready.plan);
  } catch (error) {
    discardFdPlan({ ...ready.fdPlan, closeInParent: [] });
    return {
      error: nativeSpawnError(error, {
        file: prepared.fileText,
        cwd: prepared.options.cwdText,
        spawnargs: prepared.spawnargs,
      }),
    };
  }
  let watch;
  try {
    watch = watchExit(started.pid, started.pidfd >= 0 ? started.pidfd : undefined);
  } catch (error) {
    // Without a watch nobody would reap it: end it now (it is ours and
    // unreaped, so the pid is still this child's).
    native.kill(started.pid, 9);
    native.waitpid(started.pid, 0);
    discardFdPlan({ ...ready.fdPlan, closeInParent: [] });
    return { error: error as Error };
  }
  const stdio = ready.fdPlan.parentEnds.map((fd, slot) =>
    fd === undefined ? null : new Socket({ fd, readable: slot !== 0, writable: slot === 0 }),
  );
  return { pid: started.pid, method: started.method, stdio, watch };
}
