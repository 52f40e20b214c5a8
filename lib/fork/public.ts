/**
 * The public fork(): the same fork as ./index, behind the rule a library
 * can build on. A wrong argument throws at once; for `fork(fn)` everything
 * operational rejects the returned promise, `ERR_FORK_UNSAFE` included
 * (node without the safe-mode flags, a live Worker thread, threads that
 * stayed busy), so `fork(fn).catch(...)` sees every failure. `fork()`
 * without `fn` returns a number (0 in the child), so it throws them.
 *
 * The package's own start methods use ./index directly: they need the
 * refusal synchronously, before any process exists.
 */
import { invalidArgType } from '../errors';
import { fork as forkNow, type ForkedChild } from './index';
import { forkPromise, refusedFork, type ForkPromise } from './forkPromise';

/**
 * Forks this process.
 *
 * Without an argument, the POSIX shape: returns 0 in the child and the
 * child's pid in the parent; the child continues after `fork()` and ends when
 * it calls `process.exit()`, throws an uncaught exception or runs out of work.
 * Its exit is the caller's to watch (e.g. `posix.waitpid(pid)`). Throws
 * `ERR_FORK_UNSAFE` where a fork could hang or crash the child.
 *
 * With `fn`, the child runs `fn` (sync or async) and exits: 0 with the value
 * sent to the parent (v8.serialize), or 1 with the error printed to its
 * stderr and sent to the parent. Returns a Promise of the {@link ForkResult}
 * that rejects with the child's error, or with `ERR_FORK_UNSAFE` when the
 * fork was refused (ask `forkSafety()` first to choose another way).
 */
export function fork(): number;
export function fork<T>(fn: () => T): ForkPromise<Awaited<T>>;
export function fork(fn?: unknown): number | ForkPromise<unknown> {
  if (fn !== undefined && typeof fn !== 'function') {
    throw invalidArgType('fn', 'of type function', fn);
  }
  if (fn === undefined) return forkNow();
  let child: ForkedChild<unknown>;
  try {
    child = forkNow(fn as () => unknown);
  } catch (error) {
    return refusedFork(error as Error);
  }
  return forkPromise(child);
}
