/**
 * The native addon, typed once. Every call into C++ goes through this
 * interface; functions here receive arguments that lib/ has already checked.
 */
import { join } from 'node:path';
import { unsupportedPlatform } from './errors';
import type { ChildResourceUsage } from './exitWatch/resourceUsage';

/** A wait status as decoded by the native layer (raw numbers). */
export interface NativeWaitStatus {
  pid: number;
  status: number;
  exited: boolean;
  exitStatus: number;
  signaled: boolean;
  termSignal: number;
  coreDumped: boolean;
  stopped: boolean;
  stopSignal: number;
  continued: boolean;
  /** Set once the child has exited or been killed (native/wait_status.cc). */
  rusage?: ChildResourceUsage;
}

/** A posix_spawn file action with its strings already made C strings. */
export type NativeFileAction =
  | { action: 'open'; fd: number; path: Buffer; flags: number; mode: number }
  | { action: 'close'; fd: number }
  | { action: 'dup2'; fd: number; newFd: number }
  | { action: 'chdir'; path: Buffer }
  | { action: 'fchdir'; fd: number }
  | { action: 'closefrom'; fd: number };

export interface NativePosixSpawnOptions {
  fileActions: NativeFileAction[];
  setpgroup?: number;
  setsid: boolean;
  setsigmask?: number[];
  setsigdef?: number[];
  resetids: boolean;
}

/** What the native layer throws or reports for a failed syscall: positive errno, syscall name. */
export type NativeErrnoError = Error & { errno: number; syscall: string };

/** The native exit watcher of one child (see native/exit_watcher.cc). */
export interface NativeExitWatcher {
  kill(signal: number): boolean;
  ref(): void;
  unref(): void;
}

/** How the process is put right before an exec (native/exec_state.h). */
export interface NativeExecState {
  /** Flat [target, source, ...] sorted by target; source -1 is /dev/null, source == target keeps it. */
  fds: number[];
  /** Every fd that `fds` does not name is made close-on-exec. */
  closeFds: boolean;
  cwd: Buffer | null;
}

/** A spawn plan in the shape native/launcher.cc reads; lib/spawn/prepare.ts builds it. */
export interface NativeSpawnPlan {
  path: Buffer;
  argv: Buffer[];
  /** null: the C environment (`environ`) as it is. */
  envp: Buffer[] | null;
  cwd: Buffer | null;
  /** Flat pairs [targetFd, sourceFd, ...] sorted by target; source -1 is /dev/null. */
  fds: number[];
  closeFds: boolean;
  setsid: boolean;
  /** -1: keep the parent's group. */
  pgid: number;
  /** -1: keep the parent's umask. */
  umask: number;
  /** Flat triples [resource, soft, hard, ...]; -1 is RLIM_INFINITY. */
  rlimits: number[];
  groups: number[] | null;
  /** -1: unchanged. */
  uid: number;
  gid: number;
  pdeathsig: number;
  method: 'auto' | 'posix_spawn' | 'vfork' | 'fork';
  /** Parent fds (child ends of pipes) closed by the native layer right after the start. */
  closeInParent: number[];
}

/** What native spawn() returns. */
export interface NativeSpawned {
  pid: number;
  /** -1 where the kernel has no pidfds. */
  pidfd: number;
  method: 'posix_spawn' | 'vfork' | 'fork';
}

export interface NativeSpawnSyncOptions {
  stdinFd: number;
  input: Buffer | null;
  stdoutFd: number;
  stderrFd: number;
  timeoutMs: number;
  maxBuffer: number;
  killSignal: number;
  /** SIGKILL this long after killSignal was sent (-1: never). */
  forceKillAfterMs: number;
}

export interface NativeSpawnSyncResult {
  pid: number;
  method: 'posix_spawn' | 'vfork' | 'fork';
  status: NativeWaitStatus;
  stdout: Buffer;
  stderr: Buffer;
  timedOut: boolean;
  maxBufferExceeded: boolean;
  /** The child was started but its status is lost (waitid or poll failed). */
  waitError: NativeErrnoError | null;
}

/** Calls back when an fd is readable (see native/readiness_watcher.cc). */
export interface NativeReadinessWatcher {
  close(): void;
  ref(): void;
  unref(): void;
}

/** What one fork of the JavaScript fork took (nanoseconds) and how much heap it re-marked. */
export interface NativeForkTimings {
  /** 0 in the child. */
  pid: number;
  scanNs: number;
  allowNs: number;
  forkNs: number;
  restoreNs: number;
  /** MADV_DONTFORK mappings found (and re-marked). */
  mappings: number;
  /** The madvise ranges covering them (only holes between the mappings of one range). */
  ranges: number;
  bytes: number;
  /** True when the mapping list of the previous fork was reused (/proc/self/maps unchanged). */
  scanReused: boolean;
}

/** A thread that was not asleep when a fork had to wait for it (see native/thread_quiescence.cc). */
export interface BusyThread {
  tid: number;
  name: string;
  /** The state letter of /proc/<pid>/task/<tid>/stat (R running, D disk wait, S sleeping...). */
  state: string;
  /** Where in the kernel it waits (/proc/<pid>/task/<tid>/wchan). */
  wchan: string;
}

export interface NativeBinding {
  ReadinessWatcher: new (
    fd: number,
    onReadable: (error: NativeErrnoError | null) => void,
  ) => NativeReadinessWatcher;
  /** In a forked child: stops every exit/readiness watcher copied from the parent. */
  detachInheritedWatchers(): number;
  socketpair(seqpacket: boolean, cloexec: boolean): [number, number];
  pollReadable(fd: number, timeoutMs: number): boolean;
  setPdeathsig(signal: number): void;
  /** Populates, for writing, the resident pages of every private writable mapping until `stopFd` is readable (native/prefault.cc). */
  prefaultPrivateMemory(stopFd: number): {
    mappings: number;
    bytes: number;
    supported: boolean;
    interrupted: boolean;
  };
  /**
   * Right before this process leaves: clones a holder that shares its memory,
   * so that the kernel's teardown of it comes after this exit is reported
   * (native/teardown_holder.cc). The holder's pid (its parent is this
   * process's parent, which must reap it), or 0 when there is none.
   */
  holdMemoryTeardown(): number;
  sendFds(socket: number, data: Buffer, fds: number[]): number;
  recvFds(socket: number, maxBytes: number): { data: Buffer; fds: number[] } | null;
  peerCredentials(socket: number): { pid: number; uid: number; gid: number };
  spawn(plan: NativeSpawnPlan): NativeSpawned;
  spawnSync(plan: NativeSpawnPlan, options: NativeSpawnSyncOptions): NativeSpawnSyncResult;
  /** RLIMIT_* numbers by name without the prefix (`NOFILE`). */
  rlimits: Record<string, number>;
  ExitWatcher: new (
    pidfd: number,
    onExit: (error: NativeErrnoError | null, status: NativeWaitStatus | null) => void,
  ) => NativeExitWatcher;
  constants: Record<string, number>;
  fork(): number;
  /** `{ poolBusy: true }` when libuv's threadpool did not come to rest within `poolWaitMs`. */
  jsFork(poolWaitMs: number): NativeForkTimings | { poolBusy: true };
  measureFork(mode: 'bare' | 'scan' | 'cached'): NativeForkTimings;
  /** In a fork(fn) child: drops the parent's finished threadpool jobs before they complete here. */
  dropParentCompletions(): number;
  /** Before a fork: waits until every other thread sleeps; the ones still busy after `timeoutMs`. */
  waitForIdleThreads(timeoutMs: number): BusyThread[];
  /** In a forked child: calls back before each poll once nothing else keeps the loop alive. */
  watchDrain(onDrained: (final: boolean) => void): void;
  /** napi_fatal_exception: Node's uncaught-exception handling of `error`, synchronously. */
  raiseHandled(error: Error): void;
  /** execve, or execvpe with usePath; envp null is environ; state null is the bare syscall. */
  exec(
    path: Buffer,
    argv: Buffer[],
    envp: Buffer[] | null,
    usePath: boolean,
    state: NativeExecState | null,
  ): never;
  /** True in a process forked from the one that loaded the addon. */
  isForkedChild(): boolean;
  exit(code: number): never;
  kill(pid: number, signal: number): void;
  pidfdOpen(pid: number, flags: number): number;
  pidfdSendSignal(pidfd: number, signal: number): void;
  setsid(): number;
  setpgid(pid: number, pgid: number): void;
  getpgid(pid: number): number;
  getpid(): number;
  getppid(): number;
  waitpid(pid: number, flags: number): NativeWaitStatus | null;
  waitid(idtype: number, id: number, flags: number): NativeWaitStatus | null;
  pipe(flags: number): [number, number];
  dup(fd: number, cloexec: boolean): number;
  dup2(oldFd: number, newFd: number, cloexec: boolean): number;
  close(fd: number): void;
  getCloexec(fd: number): boolean;
  setCloexec(fd: number, on: boolean): void;
  /** The soft RLIMIT_NOFILE (Infinity when unlimited): every fd number is below it. */
  fdLimit(): number;
  posixSpawn(
    path: Buffer,
    argv: Buffer[],
    envp: Buffer[],
    usePath: boolean,
    options: NativePosixSpawnOptions,
  ): number;
}

let loaded: NativeBinding | undefined;

/**
 * True on Linux, the one platform where the addon exists (prebuilt for glibc on x64 and
 * arm64, compiled at install elsewhere). On every other platform (win32,
 * darwin, the BSDs, sunos, aix) nothing is built: children start through
 * child_process, and what needs the addon throws.
 */
export const isLinux = process.platform === 'linux';

/**
 * The addon, loaded on first use. Where there is none (see {@link isLinux}):
 * the call named by `what` throws `ERR_FORKEXEC_UNSUPPORTED_PLATFORM` with `hint`.
 */
export function binding(what: string, hint?: string): NativeBinding {
  if (loaded) return loaded;
  if (!isLinux) throw unsupportedPlatform(what, hint);
  // node-gyp-build picks a prebuild that fits, else build/Release.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const load = require('node-gyp-build') as (dir: string) => NativeBinding;
  loaded = load(join(__dirname, '..'));
  return loaded;
}
