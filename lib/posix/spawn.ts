/**
 * `posix_spawn()` and `posix_spawnp()` with their file actions and
 * attributes, one to one. The high-level `spawn()` of the package root builds
 * on the same glibc call when it can express a plan.
 */
import { binding, type NativeFileAction, type NativePosixSpawnOptions } from '../native';
import { callNative, invalidArgType, invalidArgValue } from '../errors';
import { currentEnvp, displayString, toArgv, toEnvp, toPath } from '../cstrings';
import { signalNumber, type Signal } from '../signals';
import {
  own,
  rejectUnknownKeys,
  validateArray,
  validateBoolean,
  validateFd,
  validateInteger,
  validateOptions,
} from '../validate';

/** Open flags as fs writes them, or a number made of `constants.O_*`. */
export type OpenFlags = 'r' | 'r+' | 'w' | 'w+' | 'a' | 'a+' | number;

/** One step the child performs, in order, before it execs. */
export type FileAction =
  /** Opens `path` as child fd `fd` (flags default `'r'`, mode `0o666`). */
  | { action: 'open'; fd: number; path: string | Buffer; flags?: OpenFlags; mode?: number }
  /** Closes child fd `fd`. */
  | { action: 'close'; fd: number }
  /** Makes child fd `newFd` a copy of fd `fd`. */
  | { action: 'dup2'; fd: number; newFd: number }
  /** Changes the child's working directory (glibc `addchdir_np`). */
  | { action: 'chdir'; path: string | Buffer }
  /** Changes the child's working directory to the directory open as `fd` (glibc `addfchdir_np`). */
  | { action: 'fchdir'; fd: number }
  /** Closes every child fd >= `fd` (glibc `addclosefrom_np`). */
  | { action: 'closefrom'; fd: number };

/** Options of {@link posixSpawn} and {@link posixSpawnp}. */
export interface PosixSpawnOptions {
  /** The child's environment (default: `process.env`). */
  env?: Record<string, string | Buffer | undefined>;
  /** Steps applied in the child, in order. */
  fileActions?: FileAction[];
  /** POSIX_SPAWN_SETPGROUP: put the child in process group `setpgroup` (0: a new group led by the child). */
  setpgroup?: number;
  /** POSIX_SPAWN_SETSID: the child leads a new session. */
  setsid?: boolean;
  /** POSIX_SPAWN_SETSIGMASK: the child's signal mask (these signals blocked, all others not). */
  setsigmask?: Signal[];
  /**
   * POSIX_SPAWN_SETSIGDEF: reset these signals to their default action (Node ignores SIGPIPE).
   * glibc's posix_spawn leaves its own signals 32 and 33 ignored in the child unless they are
   * listed here by number.
   */
  setsigdef?: Signal[];
  /** POSIX_SPAWN_RESETIDS: the child's effective ids become the real ids. */
  resetids?: boolean;
  /**
   * Let the child inherit this process's fds 0-2 (default `true`). Node marks
   * its own stdio close-on-exec at start-up, so without this a child would
   * start with no stdin, stdout or stderr. Done as `dup2(n, n)` file actions
   * before yours, which clear close-on-exec in the child only.
   */
  inheritStdio?: boolean;
}

const OPTION_KEYS = [
  'env',
  'fileActions',
  'setpgroup',
  'setsid',
  'setsigmask',
  'setsigdef',
  'resetids',
  'inheritStdio',
] as const;
const INT32_MAX = 2 ** 31 - 1;

function openFlags(value: unknown, name: string): number {
  const c = binding('posix.posixSpawn').constants;
  const words: Record<string, number> = {
    r: c.O_RDONLY,
    'r+': c.O_RDWR,
    w: c.O_WRONLY | c.O_CREAT | c.O_TRUNC,
    'w+': c.O_RDWR | c.O_CREAT | c.O_TRUNC,
    a: c.O_WRONLY | c.O_CREAT | c.O_APPEND,
    'a+': c.O_RDWR | c.O_CREAT | c.O_APPEND,
  };
  if (value === undefined) return c.O_RDONLY;
  if (typeof value === 'string') {
    const flags = words[value];
    if (flags === undefined)
      throw invalidArgValue(
        name,
        value,
        `must be one of ${Object.keys(words).join(', ')} or a number`,
      );
    return flags;
  }
  return validateInteger(value, name, 0, INT32_MAX);
}

function fileAction(value: unknown, name: string): NativeFileAction {
  if (value === null || typeof value !== 'object')
    throw invalidArgType(name, 'of type object', value);
  const a = value as Record<string, unknown>;
  switch (own(a, 'action')) {
    case 'open':
      return {
        action: 'open',
        fd: validateFd(own(a, 'fd'), `${name}.fd`),
        path: toPath(own(a, 'path'), `${name}.path`),
        flags: openFlags(own(a, 'flags'), `${name}.flags`),
        mode: validateInteger(own(a, 'mode') ?? 0o666, `${name}.mode`, 0, 0o7777),
      };
    case 'close':
      return { action: 'close', fd: validateFd(own(a, 'fd'), `${name}.fd`) };
    case 'dup2':
      return {
        action: 'dup2',
        fd: validateFd(own(a, 'fd'), `${name}.fd`),
        newFd: validateFd(own(a, 'newFd'), `${name}.newFd`),
      };
    case 'chdir':
      return { action: 'chdir', path: toPath(own(a, 'path'), `${name}.path`) };
    case 'fchdir':
      return { action: 'fchdir', fd: validateFd(own(a, 'fd'), `${name}.fd`) };
    case 'closefrom':
      return { action: 'closefrom', fd: validateFd(own(a, 'fd'), `${name}.fd`) };
    default:
      throw invalidArgValue(
        `${name}.action`,
        own(a, 'action'),
        "must be one of 'open', 'close', 'dup2', 'chdir', 'fchdir', 'closefrom'",
      );
  }
}

function signalList(value: unknown, name: string): number[] {
  return validateArray(value, name).map((s, i) => signalNumber(s, `${name}[${i}]`));
}

/** Checks the options and makes them the native layer's plan. */
function nativeOptions(options: unknown): { envp: Buffer[]; plan: NativePosixSpawnOptions } {
  const opts = validateOptions<PosixSpawnOptions>(options, 'options');
  rejectUnknownKeys(opts, OPTION_KEYS, 'options');
  const env = own(opts, 'env');
  const actions = own(opts, 'fileActions');
  const inheritStdio = validateBoolean(own(opts, 'inheritStdio') ?? true, 'options.inheritStdio');
  const stdio: NativeFileAction[] = inheritStdio
    ? [0, 1, 2].map((fd) => ({ action: 'dup2', fd, newFd: fd }))
    : [];
  const plan: NativePosixSpawnOptions = {
    fileActions: [
      ...stdio,
      ...(actions === undefined
        ? []
        : validateArray(actions, 'options.fileActions').map((a, i) =>
            fileAction(a, `options.fileActions[${i}]`),
          )),
    ],
    setsid: validateBoolean(own(opts, 'setsid') ?? false, 'options.setsid'),
    resetids: validateBoolean(own(opts, 'resetids') ?? false, 'options.resetids'),
  };
  const pgroup = own(opts, 'setpgroup');
  if (pgroup !== undefined)
    plan.setpgroup = validateInteger(pgroup, 'options.setpgroup', 0, INT32_MAX);
  const mask = own(opts, 'setsigmask');
  if (mask !== undefined) plan.setsigmask = signalList(mask, 'options.setsigmask');
  const sigdef = own(opts, 'setsigdef');
  if (sigdef !== undefined) plan.setsigdef = signalList(sigdef, 'options.setsigdef');
  return { envp: env === undefined ? currentEnvp() : toEnvp(env, 'options.env'), plan };
}

function spawnWith(usePath: boolean, file: unknown, argv: unknown, options: unknown): number {
  const what = usePath ? 'posix.posixSpawnp' : 'posix.posixSpawn';
  const native = binding(what, 'Use spawn() instead.');
  const path = toPath(file, usePath ? 'file' : 'path');
  const args = toArgv(argv, 'argv');
  const { envp, plan } = nativeOptions(options);
  return callNative(
    () => native.posixSpawn(path, args, envp, usePath, plan),
    displayString(file as string | Buffer),
  );
}

/**
 * POSIX `posix_spawn()`: starts `path` with `argv` and returns the child's
 * pid. The child inherits every fd that is not close-on-exec, unless file
 * actions say otherwise. Reap it with `waitpid(pid)`.
 */
export function posixSpawn(
  path: string | Buffer,
  argv: readonly (string | Buffer)[],
  options?: PosixSpawnOptions,
): number {
  return spawnWith(false, path, argv, options);
}

/** POSIX `posix_spawnp()`: like {@link posixSpawn}, searching this process's `PATH` for `file`. */
export function posixSpawnp(
  file: string | Buffer,
  argv: readonly (string | Buffer)[],
  options?: PosixSpawnOptions,
): number {
  return spawnWith(true, file, argv, options);
}
