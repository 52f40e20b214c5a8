/**
 * `posix`: thin, typed POSIX syscalls. Each validates its arguments and
 * throws Node-style errors; on win32 each throws
 * `ERR_FORKEXEC_UNSUPPORTED_PLATFORM`.
 */
export {
  fork,
  execve,
  execvp,
  _exit,
  kill,
  pidfdOpen,
  pidfdSendSignal,
  setsid,
  setpgid,
  getpgid,
  getpid,
  getppid,
} from './process';
export type { ExecveOptions } from '../exec/replace';
export {
  waitpid,
  waitid,
  type WaitStatus,
  type WaitidTarget,
  type WaitOptions,
  type ChildResourceUsage,
} from './wait';
export {
  pipe,
  dup,
  dup2,
  close,
  getCloexec,
  setCloexec,
  type PipeOptions,
  type DupOptions,
} from './fd';
export {
  posixSpawn,
  posixSpawnp,
  type FileAction,
  type OpenFlags,
  type PosixSpawnOptions,
} from './spawn';
export { constants, type PosixConstants } from './constants';
