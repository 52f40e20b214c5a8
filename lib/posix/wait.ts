/**
 * `waitpid` and `waitid` for one child at a time, with decoded statuses.
 *
 * Waiting for "any child" (pid -1), for this process group (0) or for
 * another group (< 0) is refused: libuv reaps the children of Node's own
 * child_process with waitpid(pid), and such a wait would steal their exits.
 */
import { binding, type NativeWaitStatus } from '../native';
import { callNative, invalidArgValue } from '../errors';
import { signalName } from '../signals';
import { validateFd, validateInteger } from '../validate';
import type { ChildResourceUsage } from '../exitWatch/resourceUsage';

export type { ChildResourceUsage } from '../exitWatch/resourceUsage';

const INT32_MAX = 2 ** 31 - 1;

/** What `waitpid` / `waitid` report about a child. */
export interface WaitStatus {
  /** The child the status belongs to. */
  pid: number;
  /** The exit code when the child exited normally, else `null`. */
  exitCode: number | null;
  /** The name of the signal that killed the child (e.g. `'SIGKILL'`), else `null`. */
  signal: string | null;
  /** The number of that signal (e.g. `9`), else `null`. */
  signalNumber: number | null;
  /** True when the child was killed and left a core dump. */
  coreDumped: boolean;
  /** True when the child was stopped (WUNTRACED / WSTOPPED). */
  stopped: boolean;
  /** The name of the signal that stopped it, else `null`. */
  stopSignal: string | null;
  /** True when a stopped child was resumed (WCONTINUED). */
  continued: boolean;
  /** The raw wait status word (for waitid: the equivalent word). */
  status: number;
  /**
   * The child's own resource usage, from the wait that reaped it. Present
   * when the child exited or was killed and the caller asked for it
   * (`{ resourceUsage: true }` to {@link waitpid} / {@link waitid}; the
   * library's own exit watchers always do); `undefined` where the kernel's
   * figures are not available (see {@link ChildResourceUsage}).
   */
  resourceUsage?: ChildResourceUsage;
}

/** Options of {@link waitpid} and {@link waitid}. */
export interface WaitOptions {
  /** Add the child's {@link ChildResourceUsage} to the status (default false). */
  resourceUsage?: boolean;
}

/** Turns the native layer's raw fields into a {@link WaitStatus}. */
export function decodeWaitStatus(raw: NativeWaitStatus): WaitStatus {
  return {
    pid: raw.pid,
    exitCode: raw.exited ? raw.exitStatus : null,
    signal: raw.signaled ? signalName(raw.termSignal) : null,
    signalNumber: raw.signaled ? raw.termSignal : null,
    coreDumped: raw.coreDumped,
    stopped: raw.stopped,
    stopSignal: raw.stopped ? signalName(raw.stopSignal) : null,
    continued: raw.continued,
    status: raw.status,
    resourceUsage: raw.rusage,
  };
}

function validateWaitOptions(options: unknown): boolean {
  if (options === undefined) return false;
  if (typeof options !== 'object' || options === null) {
    throw invalidArgValue('options', options, 'must be an object');
  }
  const { resourceUsage } = options as WaitOptions;
  if (resourceUsage !== undefined && typeof resourceUsage !== 'boolean') {
    throw invalidArgValue('options.resourceUsage', resourceUsage, 'must be a boolean');
  }
  return resourceUsage === true;
}

function decodeAsAsked(raw: NativeWaitStatus | null, withUsage: boolean): WaitStatus | null {
  if (raw === null) return null;
  const status = decodeWaitStatus(raw);
  if (!withUsage) delete status.resourceUsage;
  return status;
}

function refuseAnyChild(pid: unknown, call: string): void {
  if (typeof pid === 'number' && Number.isInteger(pid) && pid <= 0) {
    throw invalidArgValue(
      'pid',
      pid,
      `must be the pid of one child (> 0): ${call}(${pid}) would reap any child, ` +
        `stealing the exits that Node's own child_process waits for`,
    );
  }
}

/**
 * POSIX `waitpid()` for one child. `flags` combines `constants.WNOHANG`,
 * `WUNTRACED` and `WCONTINUED`. Returns `null` under WNOHANG when the child
 * has not changed state. With `{ resourceUsage: true }` (wait4) the status
 * of an exited or killed child carries its {@link ChildResourceUsage}.
 */
export function waitpid(pid: number, flags = 0, options?: WaitOptions): WaitStatus | null {
  const native = binding('posix.waitpid');
  refuseAnyChild(pid, 'waitpid');
  validateInteger(pid, 'pid', 1, INT32_MAX);
  validateInteger(flags, 'flags', 0, INT32_MAX);
  const withUsage = validateWaitOptions(options);
  // Always wait4: the usage costs nothing extra to collect.
  return decodeAsAsked(
    callNative(() => native.waitpid(pid, flags)),
    withUsage,
  );
}

/** Which child `waitid` waits for: by pid, or by a pidfd from {@link pidfdOpen}. */
export type WaitidTarget = 'pid' | 'pidfd';

/**
 * POSIX `waitid()` for one child, named by pid or by pidfd. `flags` defaults
 * to `constants.WEXITED` and may add `WSTOPPED`, `WCONTINUED`, `WNOHANG` and
 * `WNOWAIT`. Returns `null` under WNOHANG when nothing changed. With
 * `{ resourceUsage: true }` (the rusage argument of the raw syscall) the
 * status of an exited or killed child carries its {@link ChildResourceUsage}.
 */
export function waitid(
  idtype: WaitidTarget,
  id: number,
  flags?: number,
  options?: WaitOptions,
): WaitStatus | null {
  const native = binding('posix.waitid');
  let type: number;
  if (idtype === 'pid') {
    refuseAnyChild(id, 'waitid');
    validateInteger(id, 'id', 1, INT32_MAX);
    type = native.constants.P_PID;
  } else if (idtype === 'pidfd') {
    validateFd(id, 'id');
    type = native.constants.P_PIDFD;
  } else {
    throw invalidArgValue('idtype', idtype, "must be 'pid' or 'pidfd'");
  }
  const waitFlags = flags ?? native.constants.WEXITED;
  validateInteger(waitFlags, 'flags', 0, INT32_MAX);
  const withUsage = validateWaitOptions(options);
  return decodeAsAsked(
    callNative(() => native.waitid(type, id, waitFlags)),
    withUsage,
  );
}
