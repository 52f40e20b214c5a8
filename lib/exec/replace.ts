/**
 * The one way every exec of this package goes: the native call that puts
 * the process in the state a new program expects (native/exec_state.h),
 * execs, and puts it all back when the exec fails.
 */
import { callNative } from '../errors';
import type { NativeBinding, NativeExecState } from '../native';
import { own, rejectUnknownKeys, validateBoolean, validateOptions } from '../validate';
import { checkOptions } from '../spawn/options';
import { makeFdPlan } from '../spawn/fdPlan';
import { refuseInWorker } from './guard';
import { stdioPendingError } from './stdio';

/** Options of `posix.execve` and `posix.execvp`. */
export interface ExecveOptions {
  /**
   * `true`: the bare syscall; the new program gets Node's process state as it
   * is: fds 0-2 close-on-exec (so closed in it), O_NONBLOCK on stdio that
   * libuv opened, SIGPIPE and SIGXFSZ ignored, the terminal mode as the
   * program left it; nothing written is waited for. Allowed in a Worker
   * thread, where it replaces the whole process. Default `false`.
   */
  keepNodeState?: boolean;
}

export interface ExecCall {
  path: Buffer;
  argv: Buffer[];
  /** null: this process's environment (`environ`). */
  envp: Buffer[] | null;
  /** Search PATH as execvp does. */
  usePath: boolean;
  /** null: the bare syscall. */
  state: NativeExecState | null;
  /** The `path` of the error when the exec fails. */
  display: string;
}

export function replaceProcess(native: NativeBinding, call: ExecCall): never {
  const { path, argv, envp, usePath, state, display } = call;
  return callNative(() => native.exec(path, argv, envp, usePath, state), display);
}

/** Fds 0-2 as they are (made inheritable and blocking); no other fd changes. */
function stdioState(): NativeExecState {
  const plan = makeFdPlan(checkOptions({ stdio: 'inherit', closeFds: false }));
  if ('error' in plan) throw plan.error;
  return { fds: plan.fds, closeFds: false, cwd: null };
}

/**
 * The state plan of posix.execve / posix.execvp: null for the bare syscall;
 * else the checks first (Worker thread, stdio bytes a synchronous call
 * cannot wait for), so that a refusal changes nothing.
 */
export function syncExecState(
  native: NativeBinding,
  what: string,
  options: unknown,
): NativeExecState | null {
  const opts = validateOptions<ExecveOptions>(options ?? {}, 'options');
  rejectUnknownKeys(opts, ['keepNodeState'], 'options');
  if (validateBoolean(own(opts, 'keepNodeState') ?? false, 'options.keepNodeState')) return null;
  refuseInWorker(what);
  const pending = stdioPendingError(native, what);
  if (pending) throw pending;
  return stdioState();
}
