/**
 * Whether this process may fork and keep running JavaScript in the child.
 *
 * Only the forking thread exists in a child. V8's background threads (GC,
 * compiler) can hold locks or own jobs at that moment, and the child then
 * deadlocks or crashes; measured here, only V8 in single-threaded mode from
 * start-up (`node --single-threaded`) survived a fork soak. Worker threads
 * are threads too: their isolates would be half-present in the child.
 */
import { isMainThread, type Worker } from 'node:worker_threads';
import { forkexecError, type CodedError } from '../errors';

/** How to get the safe mode, quoted in every ERR_FORK_UNSAFE message. */
export const SAFE_MODE_HINT =
  'Start node with --single-threaded (`node --single-threaded app.js`, or the `forkexec-node app.js` ' +
  'launcher this package installs, which does that); NODE_OPTIONS does not accept --single-threaded.';

/** True when V8 runs single-threaded from start-up (the last of the flags on the command line wins). */
export function singleThreadedV8(execArgv: readonly string[] = process.execArgv): boolean {
  let on = false;
  for (const arg of execArgv) {
    if (/^--single[-_]threaded(=true)?$/.test(arg)) on = true;
    else if (/^--no-single[-_]threaded$|^--single[-_]threaded=false$/.test(arg)) on = false;
  }
  return on;
}

// Workers created after this module loaded ('worker' is emitted for each new
// Worker, in the thread that created it). Earlier ones cannot be seen.
const liveWorkers = new Set<Worker>();
process.on('worker', (worker: Worker) => {
  liveWorkers.add(worker);
  worker.once('exit', () => liveWorkers.delete(worker));
});

/** Worker threads of this thread that have not exited. */
export function liveWorkerCount(): number {
  return liveWorkers.size;
}

/** Throws `ERR_FORK_UNSAFE` when a fork of this process could hang or crash in the child. */
export function assertForkSafe(): void {
  const error = forkUnsafeReason();
  if (error) {
    Error.captureStackTrace(error, assertForkSafe);
    throw error;
  }
}

function forkUnsafeReason(): CodedError | undefined {
  if (!isMainThread) {
    return forkexecError(
      'ERR_FORK_UNSAFE',
      'fork() refused: it was called in a Worker thread; the child would have only this thread of a ' +
        'process whose main thread is gone. Call fork() from the main thread.',
    );
  }
  if (!singleThreadedV8()) {
    return forkexecError(
      'ERR_FORK_UNSAFE',
      'fork() refused: V8 runs background threads, which do not exist in a forked child and can ' +
        `deadlock it. ${SAFE_MODE_HINT}`,
    );
  }
  const workers = liveWorkers.size;
  if (workers > 0) {
    return forkexecError(
      'ERR_FORK_UNSAFE',
      `fork() refused: ${workers} Worker thread(s) are running; a forked child would have their ` +
        'memory but not their threads. Terminate them first (`await worker.terminate()`).',
    );
  }
  return undefined;
}
