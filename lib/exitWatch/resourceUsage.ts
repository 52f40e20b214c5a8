/**
 * The resource usage of one child, as the kernel gave it when the child was
 * reaped (wait4, or waitid with its rusage argument): that child alone
 * (its own threads, plus any of its children it waited for), never
 * `RUSAGE_CHILDREN`, which sums every child of the process.
 */

/**
 * One child's resource usage. Field names and units are those of Node's
 * `process.resourceUsage()`.
 *
 * Where it is `undefined` instead: on win32 and wherever Node's
 * child_process starts the child (no addon), because libuv reaps it and
 * Node exposes no rusage of a child; and for a status that is not a final
 * one (a stopped or continued child).
 */
export interface ChildResourceUsage {
  /** CPU time spent in user mode, in microseconds. */
  userCPUTime: number;
  /** CPU time spent in the kernel on the child's behalf, in microseconds. */
  systemCPUTime: number;
  /**
   * Peak resident set size, in KiB. Linux carries the peak across exec: a
   * child started by vfork or posix_spawn shared the parent's memory until
   * its exec, so its figure is at least the parent's RSS at that moment.
   */
  maxRSS: number;
  /** Page faults served without I/O (e.g. copy-on-write, zero pages). */
  minorPageFault: number;
  /** Page faults that needed I/O. */
  majorPageFault: number;
  /** Times the child gave up the CPU (waiting for I/O, a lock, sleep). */
  voluntaryContextSwitches: number;
  /** Times the child was preempted. */
  involuntaryContextSwitches: number;
}
