/**
 * Process-level syscalls: fork, the exec family, `_exit`, signals, pidfds,
 * sessions and process groups. One function per syscall.
 */
import { binding } from '../native';
import { callNative, invalidArgValue } from '../errors';
import { currentEnvp, displayString, toArgv, toEnvp, toPath } from '../cstrings';
import { signalNumber, type Signal } from '../signals';
import { validateFd, validateInteger, validatePid } from '../validate';
import { replaceProcess, syncExecState, type ExecveOptions } from '../exec/replace';

const INT32_MAX = 2 ** 31 - 1;
const FORK_HINT = 'Use spawn() or the spawn start method instead.';

/**
 * POSIX `fork()`: 0 in the child, the child's pid in the parent.
 *
 * The V8 heap is made forkable around the call and the child gets its own
 * libuv loop, so the child can run the few lines of JavaScript it takes to
 * call {@link execve} or {@link _exit}. To keep running JavaScript in a child
 * (timers, promises, its own exit), use `fork()` from the package root, which
 * adds what that needs.
 */
export function fork(): number {
  const native = binding('posix.fork', FORK_HINT);
  return callNative(() => native.fork());
}

/**
 * POSIX `execve()`: replaces the current process image (same pid). Returns
 * only by throwing: a system error with `syscall: 'execve'` and `path`, and
 * then the process is as it was.
 *
 * The new program starts as a shell would start it: fds 0-2 inheritable and
 * blocking (Node makes them close-on-exec, libuv non-blocking), no signal
 * ignored and none blocked (Node ignores SIGPIPE and SIGXFSZ), the terminal
 * out of the raw mode `setRawMode` put it in. Other fds are left as they
 * are. Bytes still queued on process.stdout / stderr for a full pipe cannot
 * be waited for here: it throws `ERR_EXEC_STDIO_PENDING` instead of losing
 * them (`await exec()` waits). In a Worker thread it throws
 * `ERR_WORKER_UNSUPPORTED_OPERATION`. `{ keepNodeState: true }` is the bare
 * syscall. `env` defaults to `process.env`.
 */
export function execve(
  path: string | Buffer,
  argv: readonly (string | Buffer)[],
  env?: Record<string, string | Buffer | undefined>,
  options?: ExecveOptions,
): never {
  return execSyscall('execve', path, argv, env, options);
}

/**
 * POSIX `execvp()`: like {@link execve} but searches `PATH` (this process's
 * `PATH`, as execvp does) when `file` has no slash. With `env`, the new image
 * gets that environment (GNU `execvpe`).
 */
export function execvp(
  file: string | Buffer,
  argv: readonly (string | Buffer)[],
  env?: Record<string, string | Buffer | undefined>,
  options?: ExecveOptions,
): never {
  return execSyscall('execvp', file, argv, env, options);
}

/** execve without `env` passes process.env; execvp passes environ, as the C call does. */
function execSyscall(
  name: 'execve' | 'execvp',
  file: string | Buffer,
  argv: readonly (string | Buffer)[],
  env: Record<string, string | Buffer | undefined> | undefined,
  options: ExecveOptions | undefined,
): never {
  const native = binding(`posix.${name}`);
  const usePath = name === 'execvp';
  const path = toPath(file, usePath ? 'file' : 'path');
  const args = toArgv(argv, 'argv');
  const defaultEnv = usePath ? null : currentEnvp();
  const envp = env === undefined ? defaultEnv : toEnvp(env, 'env');
  const state = syncExecState(native, `posix.${name}()`, options);
  return replaceProcess(native, {
    path,
    argv: args,
    envp,
    usePath,
    state,
    display: displayString(file),
  });
}

/**
 * POSIX `_exit()`: ends the process at once, with no 'exit' listeners, no
 * stdio flush and no Node teardown. `code` is 0 to 255.
 */
export function _exit(code: number): never {
  const native = binding('posix._exit');
  return native.exit(validateInteger(code, 'code', 0, 255));
}

/**
 * POSIX `kill()`. `pid` may be a process (> 0), this process group (0) or a
 * process group (< -1). `-1` ("every process you may signal") is refused.
 */
export function kill(pid: number, signal: Signal = 'SIGTERM'): void {
  const native = binding('posix.kill');
  validateInteger(pid, 'pid', -INT32_MAX, INT32_MAX);
  if (pid === -1) {
    throw invalidArgValue(
      'pid',
      pid,
      'must not be -1, which signals every process the caller may signal',
    );
  }
  const number = signalNumber(signal, 'signal');
  callNative(() => {
    native.kill(pid, number);
  });
}

/**
 * Linux `pidfd_open()`: an fd that refers to process `pid` for as long as it
 * is open, even after the pid is reused. Always close-on-exec. `flags` may be
 * `constants.O_NONBLOCK` (PIDFD_NONBLOCK).
 */
export function pidfdOpen(pid: number, flags = 0): number {
  const native = binding('posix.pidfdOpen');
  validatePid(pid, 'pid');
  validateInteger(flags, 'flags', 0, INT32_MAX);
  return callNative(() => native.pidfdOpen(pid, flags));
}

/** Linux `pidfd_send_signal()`: signals the process a pidfd refers to, never a recycled pid. */
export function pidfdSendSignal(pidfd: number, signal: Signal = 'SIGTERM'): void {
  const native = binding('posix.pidfdSendSignal');
  validateFd(pidfd, 'pidfd');
  const number = signalNumber(signal, 'signal');
  callNative(() => {
    native.pidfdSendSignal(pidfd, number);
  });
}

/** POSIX `setsid()`: a new session led by this process. Returns the session id. */
export function setsid(): number {
  const native = binding('posix.setsid');
  return callNative(() => native.setsid());
}

/** POSIX `setpgid()`. `pid` 0 means this process; `pgid` 0 means "a group named after pid". */
export function setpgid(pid = 0, pgid = 0): void {
  const native = binding('posix.setpgid');
  validateInteger(pid, 'pid', 0, INT32_MAX);
  validateInteger(pgid, 'pgid', 0, INT32_MAX);
  callNative(() => {
    native.setpgid(pid, pgid);
  });
}

/** POSIX `getpgid()`. `pid` 0 means this process. */
export function getpgid(pid = 0): number {
  const native = binding('posix.getpgid');
  validateInteger(pid, 'pid', 0, INT32_MAX);
  return callNative(() => native.getpgid(pid));
}

/** `getpid()` from the kernel (in a forked child `process.pid` would still be the parent's). */
export function getpid(): number {
  return binding('posix.getpid').getpid();
}

/** `getppid()` from the kernel. */
export function getppid(): number {
  return binding('posix.getppid').getppid();
}
