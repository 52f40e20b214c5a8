/**
 * forkexec: real processes for Node.
 *
 * - `posix`: the raw syscalls (fork, execve, posix_spawn, waitpid, pidfds, fds).
 * - `fork`, `atFork`: fork() for JavaScript, a child that keeps running JavaScript.
 * - `spawn` / `spawnSync`: start an executable with an async-signal-safe child path.
 * - `exec`: replace this process with another program, which starts as a shell would start it.
 */
export { fork, atFork, safeModeFlags } from './fork';
export { exec, type ExecOptions, type ExecStdioEntry, type ExecveOptions } from './exec';
export type { ForkedChild, ForkResult, AtForkHooks } from './fork';
export * as posix from './posix';
export { Process, Pool, getStartMethods, forkserver } from './process';
export type {
  ProcessOptions,
  PoolOptions,
  RunOptions,
  MapOptions,
  ImapOptions,
  PoolStats,
  TaskFunction,
  StartMethod,
  Target,
  ModuleTarget,
  ForkserverOptions,
} from './process';
export type {
  WaitStatus,
  FileAction,
  PosixSpawnOptions,
  PipeOptions,
  DupOptions,
  OpenFlags,
} from './posix';
export type { SystemError, CodedError } from './errors';
export type { Signal } from './signals';
export {
  spawn,
  spawnSync,
  Subprocess,
  SubprocessError,
  type SubprocessResult,
  type SpawnError,
  type SpawnOptions,
  type SpawnMethod,
  type StdioEntry,
  type RlimitValue,
} from './spawn';
