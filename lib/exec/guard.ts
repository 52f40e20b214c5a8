/**
 * exec from a Worker thread. execve replaces the whole process, every thread
 * included. What exec() sets right lives on the main thread: process.stdout
 * and process.stderr (a Worker's are message ports to them, asynchronous)
 * and the terminal. A Worker is refused; `posix.execve(..., {
 * keepNodeState: true })` is the bare syscall and replaces the process from
 * any thread, as POSIX does.
 */
import { isMainThread } from 'node:worker_threads';
import { forkexecError } from '../errors';

export function refuseInWorker(what: string): void {
  if (isMainThread) return;
  throw forkexecError(
    'ERR_WORKER_UNSUPPORTED_OPERATION',
    `${what} is not supported in Worker threads: the main thread's stdout, stderr and terminal ` +
      'cannot be flushed and restored from here. Post a message to the main thread and exec ' +
      'there, or use posix.execve(path, argv, env, { keepNodeState: true }) for the bare syscall.',
  );
}
