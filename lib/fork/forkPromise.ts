/**
 * What `fork(fn)` returns: a real Promise (`.then`, `.catch`, `.finally`,
 * `instanceof Promise`) that also carries the child's controls. One rule, as
 * Node's own APIs have it: argument errors throw at once; everything
 * operational, a refused fork (`ERR_FORK_UNSAFE`) included, rejects.
 */
import type { WaitStatus } from '../posix/wait';
import type { Signal } from '../signals';
import type { ForkedChild, ForkResult } from './index';

/** A child started by `fork(fn)`: a Promise of its {@link ForkResult}, with its controls. */
export interface ForkPromise<T> extends Promise<ForkResult<T>> {
  /** The child's pid; undefined when the fork was refused or failed (the promise then rejects). */
  readonly pid: number | undefined;
  /** Settles when the child has exited and been reaped (rejects as the promise does when there is no child). */
  readonly exited: Promise<WaitStatus>;
  /** True until the child has been reaped. */
  readonly running: boolean;
  /** Signals the child (default SIGTERM); false when it has already exited or never existed. */
  kill(signal?: Signal): boolean;
  /** Keeps the event loop alive until the child has exited (the default). */
  ref(): void;
  /** Lets the event loop end while the child runs. */
  unref(): void;
}

function ignore(): void {
  // Nobody has to await a child: a rejection nobody asked for is not an unhandled one.
}

/** The child's outcome as a Promise carrying its controls. */
export function forkPromise<T>(child: ForkedChild<T>): ForkPromise<T> {
  const promise = Promise.resolve(child) as ForkPromise<T>;
  promise.catch(ignore);
  return Object.defineProperties(promise, {
    pid: { value: child.pid, enumerable: true },
    exited: { value: child.exited },
    running: { get: () => child.running },
    kill: { value: (signal?: Signal) => child.kill(signal) },
    ref: {
      value: () => {
        child.ref();
      },
    },
    unref: {
      value: () => {
        child.unref();
      },
    },
  });
}

/** A fork that did not happen: the promise (and `exited`) reject with `error`. */
export function refusedFork<T>(error: Error): ForkPromise<T> {
  const promise = Promise.reject(error) as ForkPromise<T>;
  promise.catch(ignore);
  const exited = Promise.reject(error);
  exited.catch(ignore);
  return Object.defineProperties(promise, {
    pid: { value: undefined, enumerable: true },
    exited: { value: exited },
    running: { value: false },
    kill: { value: () => false },
    ref: { value: ignore },
    unref: { value: ignore },
  });
}
