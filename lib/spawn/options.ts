/**
 * The options of spawn() and spawnSync(): their types, their defaults and
 * their validation. Everything that is only a matter of the arguments'
 * shape throws here, synchronously, with Node's codes; checks that ask the
 * kernel (is the fd open, does the cwd exist) belong to fdPlan.ts and
 * resolve.ts.
 */
import type { Readable, Writable } from 'node:stream';
import {
  forkexecError,
  invalidArgType,
  invalidArgValue,
  outOfRange,
  unsupportedPlatform,
} from '../errors';
import { toCString, toEnvp, currentEnvp, type Environment } from '../cstrings';
import { signalNumber, type Signal } from '../signals';
import {
  own,
  rejectUnknownKeys,
  validateArray,
  validateBoolean,
  validateInteger,
  validateOptions,
} from '../validate';
import { isMainThread } from 'node:worker_threads';
import { binding, isLinux } from '../native';
import { checkWin32Signal } from './win32Plan';
import type { CheckedOptions, SpawnMethod, StdioSlot } from './types';
import { checkHandOver } from './handOver';

const INT32_MAX = 2 ** 31 - 1;
const UINT32_LIMIT = 2 ** 32 - 2; // (uid_t)-1 means "unchanged" to the kernel

/** The environment a child gets: strings (or bytes); numbers, bigints and booleans become strings. */
export type SpawnEnv = Readonly<
  Record<string, string | Buffer | number | bigint | boolean | undefined>
>;

/** A stream that owns an fd (process.stdout, fs streams, net sockets). */
export type StreamWithFd = (Readable | Writable) & { fd?: number };

/** One slot of `stdio`. */
export type StdioEntry = 'pipe' | 'inherit' | 'ignore' | number | StreamWithFd;

/** A resource limit: one number for soft and hard, or both. `Infinity` is RLIM_INFINITY. */
export type RlimitValue = number | readonly [number, number] | { soft: number; hard: number };

/** Options of {@link spawn} and {@link spawnSync}. */
export interface SpawnOptions {
  /** The child's working directory (default: the parent's). */
  cwd?: string | Buffer | URL;
  /**
   * The child's environment (default: `process.env`). Its `PATH` is the one searched.
   * Numbers, bigints and booleans are converted to strings as child_process does
   * (`{ PORT: 3000 }`); `undefined` leaves the key out; other values are refused.
   */
  env?: SpawnEnv;
  /** `argv[0]` for the child (default: `file` as given). */
  argv0?: string | Buffer;
  /**
   * Child fds 0, 1, 2 (and more): `'pipe'` (default), `'inherit'`, `'ignore'`, an fd, a stream with an fd.
   * A pipe of another Subprocess (`a.stdout`, `a.stdin`) is handed over: the parent closes its end
   * once this child has started, so this child gets every byte, and `a`'s result has no value for it.
   * A pipe the parent has already read from (or has unwritten bytes for) is refused with
   * `ERR_INVALID_ARG_VALUE`: hand it over in the tick `a` was started in.
   */
  stdio?: 'pipe' | 'inherit' | 'ignore' | readonly StdioEntry[];
  /** Extra child fds: `{ 3: parentFd }` (a fd or a stream with one; a Subprocess pipe is handed over as in `stdio`). */
  fds?: Readonly<Record<number, number | StreamWithFd>>;
  /** Close every fd that `stdio` / `fds` do not name (default `true`). */
  closeFds?: boolean;
  /** The child leads a new session. */
  setsid?: boolean;
  /**
   * Kill the child (with `killSignal`) when this process exits, or when SIGINT, SIGTERM
   * or SIGHUP ends it (default `true`; the signal itself is not swallowed: see README,
   * "Cleanup"). A SIGKILL of this process cannot be seen: add `pdeathsig` for that.
   * `false` for a child that must outlive this process.
   */
  cleanup?: boolean;
  /**
   * A daemon: the child leads a new session (`setsid`) and outlives this process
   * (`cleanup: false` unless given). Stdio still defaults to pipes: pass `'ignore'`.
   */
  detached?: boolean;
  /** Process group: 0 makes a new group led by the child, > 0 joins that group. */
  pgid?: number;
  uid?: number;
  gid?: number;
  /** Supplementary groups (default with `uid`: none). */
  groups?: readonly number[];
  umask?: number;
  /** Resource limits by name (`nofile`, `core`, ...): a number, `[soft, hard]` or `{ soft, hard }`. */
  rlimits?: Readonly<Record<string, RlimitValue>>;
  /**
   * Signal the child gets when the parent dies (Linux PR_SET_PDEATHSIG). The
   * kernel ties it to the thread that started the child, so it is refused in
   * a Worker (`ERR_FORKEXEC_PDEATHSIG_IN_WORKER`): there it would fire when
   * the Worker ends, not when the process does.
   */
  pdeathsig?: Signal;
  /** Force a start method (default `'auto'`). */
  method?: SpawnMethod;
  /**
   * Bounds the whole call, in milliseconds (0: no bound). At the deadline a running child is
   * killed with `killSignal`; once it is gone, the parent stops waiting for its stdout and stderr
   * (which a grandchild may hold open), keeping what they held, and the result has `timedOut`.
   * Without it the result waits until every holder of those pipes has closed them.
   */
  timeout?: number;
  /** Aborting kills the child, or once it is gone stops the wait for its pipes, as `timeout` does. */
  signal?: AbortSignal;
  /** The signal used by `timeout`, `signal`, `maxBuffer` and `kill()` (default `'SIGTERM'`). */
  killSignal?: Signal;
  /**
   * When a child sent a signal by `timeout`, `signal`, `maxBuffer` or `kill()` is still
   * alive this many milliseconds later, it gets SIGKILL (default 5000; `false`: never,
   * `true`: the default). A signal that is SIGKILL already needs no follow-up.
   */
  forceKillAfterDelay?: number | boolean;
  /** Written to the child's stdin, which is then closed. */
  input?: string | Buffer | Uint8Array;
  /** How collected output is returned: a Buffer encoding, or `'buffer'` (default `'utf8'`). */
  encoding?: BufferEncoding | 'buffer';
  /** Most bytes collected per stream; beyond it the child is killed (default 100 MiB). */
  maxBuffer?: number;
  /** `false`: resolve (never reject) when the child fails. */
  reject?: boolean;
}

const OPTION_KEYS = [
  'cwd',
  'env',
  'argv0',
  'stdio',
  'fds',
  'closeFds',
  'setsid',
  'cleanup',
  'detached',
  'pgid',
  'uid',
  'gid',
  'groups',
  'umask',
  'rlimits',
  'pdeathsig',
  'method',
  'timeout',
  'signal',
  'killSignal',
  'forceKillAfterDelay',
  'input',
  'encoding',
  'maxBuffer',
  'reject',
] as const;

const METHODS: readonly SpawnMethod[] = ['auto', 'posix_spawn', 'vfork', 'fork'];

function fdOfStream(value: unknown): number | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const direct = (value as { fd?: unknown }).fd;
  if (typeof direct === 'number') return direct;
  const handle = (value as { _handle?: { fd?: unknown } | null })._handle;
  if (handle && typeof handle.fd === 'number' && handle.fd >= 0) return handle.fd;
  return undefined;
}

function fdSource(value: unknown, name: string): number {
  if (typeof value === 'number') return validateInteger(value, name, 0, INT32_MAX);
  const fd = fdOfStream(value);
  if (fd === undefined)
    throw invalidArgType(name, 'an fd number or a stream that has an fd', value);
  checkHandOver(value as object, name);
  return validateInteger(fd, `${name}.fd`, 0, INT32_MAX);
}

/** The streams among the stdio entries and `fds` values (validated already): handed over once started. */
function streamsGiven(stdio: unknown, fds: unknown): object[] {
  const values: unknown[] = [
    ...(Array.isArray(stdio) ? (stdio as unknown[]) : []),
    ...(fds !== null && typeof fds === 'object' ? (Object.values(fds) as unknown[]) : []),
  ];
  return values.filter((v): v is object => v !== null && typeof v === 'object');
}

function stdioSlot(value: unknown, name: string): StdioSlot {
  if (value === 'pipe' || value === 'inherit' || value === 'ignore') return value;
  if (value === null || value === undefined) return 'ignore';
  if (typeof value === 'string') {
    throw invalidArgValue(name, value, "must be 'pipe', 'inherit', 'ignore', an fd or a stream");
  }
  return { fd: fdSource(value, name) };
}

function checkStdio(value: unknown, hasInput: boolean): StdioSlot[] {
  let slots: StdioSlot[];
  if (value === undefined) slots = ['pipe', 'pipe', 'pipe'];
  else if (typeof value === 'string') {
    const slot = stdioSlot(value, 'options.stdio');
    slots = [slot, slot, slot];
  } else {
    const list = validateArray(value, 'options.stdio');
    slots = list.map((entry, i) => stdioSlot(entry, `options.stdio[${i}]`));
    // Slots 0-2 that are not given are pipes, as in Node.
    while (slots.length < 3) slots.push('pipe');
  }
  if (hasInput && slots[0] !== 'pipe') {
    throw invalidArgValue(
      'options.stdio[0]',
      slots[0],
      "must be 'pipe' when options.input is given",
    );
  }
  return slots;
}

function checkFds(value: unknown, stdioCount: number): { target: number; source: number }[] {
  if (value === undefined) return [];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidArgType('options.fds', 'of type object', value);
  }
  const out: { target: number; source: number }[] = [];
  // No fd of the child can be at or above its RLIMIT_NOFILE (the parent's,
  // until the child path's setrlimit, which comes after the fds).
  const limit = isLinux ? binding('spawn').fdLimit() : Infinity;
  for (const key of Object.keys(value)) {
    const target = Number(key);
    if (!/^\d+$/.test(key) || target > INT32_MAX) {
      throw invalidArgValue('options.fds', key, 'must have fd numbers as keys');
    }
    if (target >= limit) {
      throw outOfRange(`options.fds.${key}`, `below RLIMIT_NOFILE (${limit})`, target);
    }
    if (target < stdioCount) {
      throw invalidArgValue(
        `options.fds.${key}`,
        target,
        'names an fd that options.stdio already sets',
      );
    }
    out.push({
      target,
      source: fdSource((value as Record<string, unknown>)[key], `options.fds.${key}`),
    });
  }
  return out;
}

function checkId(value: unknown, name: string): number {
  if (value === undefined) return -1;
  return validateInteger(value, name, 0, UINT32_LIMIT);
}

function rlimitNumber(value: unknown, name: string): number {
  if (value === Infinity) return -1;
  return validateInteger(value, name, 0, Number.MAX_SAFE_INTEGER);
}

function checkRlimits(value: unknown): number[] {
  if (value === undefined) return [];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidArgType('options.rlimits', 'of type object', value);
  }
  const known = binding('spawn').rlimits;
  const out: number[] = [];
  for (const key of Object.keys(value)) {
    const name = `options.rlimits.${key}`;
    const resource = known[key.toUpperCase().replace(/^RLIMIT_/, '')];
    if (resource === undefined) {
      throw invalidArgValue(
        name,
        key,
        `is not a known resource (known: ${Object.keys(known).join(', ').toLowerCase()})`,
      );
    }
    const limit: unknown = (value as Record<string, unknown>)[key];
    let soft: number;
    let hard: number;
    if (Array.isArray(limit)) {
      if (limit.length !== 2) throw invalidArgValue(name, limit, 'must be [soft, hard]');
      soft = rlimitNumber(limit[0], `${name}[0]`);
      hard = rlimitNumber(limit[1], `${name}[1]`);
    } else if (limit !== null && typeof limit === 'object') {
      soft = rlimitNumber((limit as { soft?: unknown }).soft, `${name}.soft`);
      hard = rlimitNumber((limit as { hard?: unknown }).hard, `${name}.hard`);
    } else {
      soft = hard = rlimitNumber(limit, name);
    }
    out.push(resource, soft, hard);
  }
  return out;
}

function checkInput(value: unknown): Buffer | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw invalidArgType(
    'options.input',
    'of type string or an instance of Buffer or Uint8Array',
    value,
  );
}

function checkEncoding(value: unknown): BufferEncoding | 'buffer' {
  if (value === undefined) return 'utf8';
  if (value === 'buffer') return value;
  if (typeof value === 'string' && Buffer.isEncoding(value)) return value;
  throw invalidArgValue('options.encoding', value, "must be a Buffer encoding or 'buffer'");
}

/** A file: URL's path as bytes: each %XX is one byte, so a non-UTF-8 name survives. */
function fileUrlBytes(url: URL): Buffer {
  if (/%2f/i.test(url.pathname)) {
    throw invalidArgValue('options.cwd', url.href, 'must not hold an encoded "/" (%2F)');
  }
  const parts = url.pathname.split(/(%[0-9a-fA-F]{2})/);
  return Buffer.concat(
    parts.map((part) =>
      /^%[0-9a-fA-F]{2}$/.test(part)
        ? Buffer.of(parseInt(part.slice(1), 16))
        : Buffer.from(part, 'utf8'),
    ),
  );
}

function checkCwd(value: unknown): { cwd: Buffer | null; text: string | undefined } {
  if (value === undefined) return { cwd: null, text: undefined };
  if (value instanceof URL) {
    if (value.protocol !== 'file:')
      throw invalidArgValue('options.cwd', value.href, 'must be a file: URL');
    const path = fileUrlBytes(value);
    return { cwd: toCString(path, 'options.cwd'), text: path.toString('utf8') };
  }
  const bytes = toCString(value, 'options.cwd');
  if (bytes.length === 0) throw invalidArgValue('options.cwd', value, 'must be a non-empty path');
  return { cwd: bytes, text: bytes.toString('utf8') };
}

/** `env` with numbers, bigints and booleans as strings; objects, symbols and functions refused. */
function checkEnv(value: unknown): Environment | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidArgType('options.env', 'of type object', value);
  }
  const env: Environment = {};
  for (const key of Object.keys(value)) {
    const entry: unknown = (value as Record<string, unknown>)[key];
    if (typeof entry === 'number' || typeof entry === 'bigint' || typeof entry === 'boolean') {
      env[key] = String(entry);
    } else if (entry === undefined || typeof entry === 'string' || entry instanceof Uint8Array) {
      env[key] = entry as string | Buffer | undefined;
    } else {
      throw invalidArgType(
        `options.env.${key}`,
        'of type string, number, bigint, boolean or an instance of Buffer',
        entry,
      );
    }
  }
  return env;
}

/** The PATH the child gets, as bytes: a Buffer value is searched as it is. */
function envPathOf(env: unknown): Buffer | undefined {
  const path = env === undefined ? process.env.PATH : (env as Record<string, unknown>).PATH;
  if (typeof path === 'string') return Buffer.from(path, 'utf8');
  if (path instanceof Uint8Array) return Buffer.from(path);
  return undefined;
}

/**
 * On the main thread process.env is the C environment (Node's setter calls
 * setenv), so the child can take `environ` as it is: no copy per spawn.
 * A Worker's process.env is its own copy and must be converted.
 */
function defaultEnvp(): Buffer[] | null {
  return isMainThread ? null : currentEnvp();
}

/** Options that ask for something only the POSIX child path can do, and the value that asks nothing. */
const POSIX_ONLY: readonly [keyof SpawnOptions, unknown][] = [
  ['setsid', false],
  ['detached', false],
  ['pgid', undefined],
  ['uid', undefined],
  ['gid', undefined],
  ['groups', undefined],
  ['umask', undefined],
  ['rlimits', undefined],
  ['pdeathsig', undefined],
  ['method', 'auto'],
  // CreateProcess passes only the stdio handles; nothing else can be kept open.
  ['closeFds', true],
];

/** Without the addon (child_process starts the child), each option that needs it is refused by name. */
function refuseWithoutAddon(opts: SpawnOptions): void {
  const hint =
    process.platform === 'win32'
      ? 'Windows starts children with CreateProcess, which has no equivalent; leave it out there.'
      : "forkexec's native addon is Linux-only, and child_process has no equivalent; leave it out there.";
  for (const [key, harmless] of POSIX_ONLY) {
    const value = own(opts, key);
    if (value === undefined || value === harmless) continue;
    throw unsupportedPlatform(`options.${key}`, hint);
  }
}

function checkPdeathsig(value: unknown): number {
  if (value === undefined) return 0;
  const signal = signalNumber(value, 'options.pdeathsig');
  if (!isMainThread) {
    throw forkexecError(
      'ERR_FORKEXEC_PDEATHSIG_IN_WORKER',
      'options.pdeathsig cannot be used in a Worker thread: the kernel sends it when the thread ' +
        'that started the child ends, so the child would die with this Worker, not with the process',
    );
  }
  return signal;
}

function checkMethod(opts: SpawnOptions): SpawnMethod {
  const method = own(opts, 'method') ?? 'auto';
  if (!METHODS.includes(method)) {
    throw invalidArgValue('options.method', method, `must be one of ${METHODS.join(', ')}`);
  }
  // A credential change in a CLONE_VM child would make the parent non-dumpable.
  const changesIds = ['uid', 'gid', 'groups'].some((k) => own(opts, k as 'uid') !== undefined);
  if (method === 'vfork' && changesIds) {
    throw invalidArgValue(
      'options.method',
      method,
      "cannot be 'vfork' with uid, gid or groups (a credential change in a child that shares " +
        "the parent's memory makes the parent non-dumpable); use 'fork' or 'auto'",
    );
  }
  return method;
}

function checkAbortSignal(signal: unknown): AbortSignal | undefined {
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw invalidArgType('options.signal', 'an instance of AbortSignal', signal);
  }
  return signal;
}

// setsid makes the child the leader of a new session and of a new group
// whose id is its pid; the kernel refuses setpgid for a session leader.
function refuseSetsidWithPgid(opts: SpawnOptions): void {
  const pgid = own(opts, 'pgid');
  const newSession = own(opts, 'setsid') === true || own(opts, 'detached') === true;
  if (newSession && pgid !== undefined) {
    throw invalidArgValue(
      'options.pgid',
      pgid,
      'cannot be combined with setsid or detached: true (a new session already makes a new process group led by the child)',
    );
  }
}

/** The default of `forceKillAfterDelay`, as execa's. */
const FORCE_KILL_AFTER_DELAY = 5000;

function checkForceKillAfterDelay(value: unknown): number {
  if (value === undefined || value === true) return FORCE_KILL_AFTER_DELAY;
  if (value === false) return -1;
  if (typeof value !== 'number') {
    throw invalidArgType('options.forceKillAfterDelay', 'of type number or boolean', value);
  }
  return validateInteger(value, 'options.forceKillAfterDelay', 0, INT32_MAX);
}

function checkMaxBuffer(value: number | undefined): number {
  const maxBuffer = value ?? 100 * 1024 * 1024;
  if (maxBuffer !== Infinity)
    validateInteger(maxBuffer, 'options.maxBuffer', 0, Number.MAX_SAFE_INTEGER);
  return maxBuffer;
}

/** What the child sets up before exec besides its fds: session, group, ids, umask, limits. */
function checkChildSetup(
  opts: SpawnOptions,
): Pick<
  CheckedOptions,
  | 'closeFds'
  | 'setsid'
  | 'cleanup'
  | 'pgid'
  | 'uid'
  | 'gid'
  | 'groups'
  | 'umask'
  | 'rlimits'
  | 'pdeathsig'
> {
  const pgid = own(opts, 'pgid');
  const groups = own(opts, 'groups');
  const umask = own(opts, 'umask');
  const detached = validateBoolean(own(opts, 'detached') ?? false, 'options.detached');
  return {
    closeFds: validateBoolean(own(opts, 'closeFds') ?? true, 'options.closeFds'),
    setsid: validateBoolean(own(opts, 'setsid') ?? false, 'options.setsid') || detached,
    cleanup: validateBoolean(own(opts, 'cleanup') ?? !detached, 'options.cleanup'),
    pgid: pgid === undefined ? -1 : validateInteger(pgid, 'options.pgid', 0, INT32_MAX),
    uid: checkId(own(opts, 'uid'), 'options.uid'),
    gid: checkId(own(opts, 'gid'), 'options.gid'),
    groups:
      groups === undefined
        ? null
        : validateArray(groups, 'options.groups').map((g, i) => checkId(g, `options.groups[${i}]`)),
    umask: umask === undefined ? -1 : validateInteger(umask, 'options.umask', 0, 0o777),
    rlimits: checkRlimits(own(opts, 'rlimits')),
    pdeathsig: checkPdeathsig(own(opts, 'pdeathsig')),
  };
}

/** Checks every option; throws TypeError / RangeError with Node's codes. */
export function checkOptions(options: unknown): CheckedOptions {
  const opts = validateOptions<SpawnOptions>(options, 'options');
  rejectUnknownKeys(opts, OPTION_KEYS, 'options');
  if (!isLinux) refuseWithoutAddon(opts);
  const input = checkInput(own(opts, 'input'));
  const stdio = checkStdio(own(opts, 'stdio'), input !== undefined);
  const env = checkEnv(own(opts, 'env'));
  const { cwd, text } = checkCwd(own(opts, 'cwd'));
  const argv0 = own(opts, 'argv0');
  const method = checkMethod(opts);
  const signal = checkAbortSignal(own(opts, 'signal'));
  refuseSetsidWithPgid(opts);
  const maxBuffer = checkMaxBuffer(own(opts, 'maxBuffer'));
  const killSignal = signalNumber(own(opts, 'killSignal') ?? 'SIGTERM', 'options.killSignal');
  checkWin32Signal(killSignal, 'options.killSignal');
  return {
    cwd,
    cwdText: text,
    envp: env === undefined ? defaultEnvp() : toEnvp(env, 'options.env'),
    envPath: envPathOf(env),
    argv0: argv0 === undefined ? undefined : toCString(argv0, 'options.argv0'),
    stdio,
    fds: checkFds(own(opts, 'fds'), stdio.length),
    streams: streamsGiven(own(opts, 'stdio'), own(opts, 'fds')),
    ...checkChildSetup(opts),
    method,
    timeout: validateInteger(own(opts, 'timeout') ?? 0, 'options.timeout', 0, INT32_MAX),
    signal,
    killSignal,
    forceKillAfterDelay: checkForceKillAfterDelay(own(opts, 'forceKillAfterDelay')),
    input,
    encoding: checkEncoding(own(opts, 'encoding')),
    maxBuffer,
    reject: validateBoolean(own(opts, 'reject') ?? true, 'options.reject'),
  };
}
