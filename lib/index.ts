/**
 * forkexec: real processes for Node.
 *
 * - `posix`: the raw syscalls (fork, execve, posix_spawn, waitpid, pidfds, fds).
 * - `fork`, `atFork`, `forkSafety`: fork() for JavaScript, a child that keeps running JavaScript.
 * - `spawn` / `spawnSync`: start an executable with an async-signal-safe child path.
 * - `exec`: replace this process with another program, which starts as a shell would start it.
 */
export { fork } from './fork/public';
export { atFork, safeModeFlags, forkSafety } from './fork';
export { exec, type ExecOptions, type ExecStdioEntry, type ExecveOptions } from './exec';
export type { ForkedChild, ForkResult, AtForkHooks, ForkSafety, ForkUnsafeReason } from './fork';
export type { ForkPromise } from './fork/forkPromise';
export * as posix from './posix';
export { Process, Pool, getStartMethods, forkserver, moduleTarget } from './process';
export type {
  ProcessOptions,
  PoolOptions,
  PoolWorkerExit,
  RunOptions,
  MapOptions,
  ImapOptions,
  PoolStats,
  TaskFunction,
  StartMethod,
  Target,
  ModuleTarget,
  TypedModuleTarget,
  TargetOf,
  ForkserverOptions,
} from './process';
export type {
  WaitStatus,
  ChildResourceUsage,
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
  pipeline,
  Subprocess,
  SubprocessError,
  type SubprocessResult,
  type SpawnError,
  type SpawnOptions,
  type SpawnEnv,
  type PipelineCommand,
  type PipelineOptions,
  type PipelineResult,
  type PipelineStep,
  type SpawnMethod,
  type OutputOf,
  type StdioEntry,
  type RlimitValue,
} from './spawn';
