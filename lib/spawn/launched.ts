/**
 * What a platform's launcher hands the Subprocess: the child's pid, the
 * parent's ends of its stdio as Node streams, and the watch on its exit.
 * The Subprocess (streams collected, timeout, abort, awaiting) is the same
 * on every platform; only how the child starts and is watched differs.
 */
import type { Readable, Writable } from 'node:stream';
import type { ExitWatch } from '../exitWatch/watch';

/**
 * How the child was started: `'posix_spawn'`, `'vfork'` or `'fork'` on
 * Linux (see README, "Start methods"); through Node's child_process where
 * there is no addon: `'CreateProcess'` on win32, `'child_process'` on the
 * other systems (darwin, the BSDs, sunos, aix).
 */
export type LaunchMethod = 'posix_spawn' | 'vfork' | 'fork' | 'CreateProcess' | 'child_process';

/** A child that was started, or is being started (win32 reports a failure later, on `watch.exited`). */
export interface Launched {
  pid: number | undefined;
  method: LaunchMethod;
  /** The parent's end of each stdio slot (slot 0 writable, the others readable), else null. */
  stdio: (Readable | Writable | null)[];
  watch: ExitWatch;
}

/** A launch that failed before any child existed; nothing is left open. */
export interface LaunchFailure {
  error: Error;
}
