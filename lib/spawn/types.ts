/**
 * The spawn types several spawn modules share (types only, so that modules
 * importing one another for these never form an import cycle).
 */

/** How the child is started: see README, "Start methods". */
export type SpawnMethod = 'auto' | 'posix_spawn' | 'vfork' | 'fork';

/** A stdio slot after validation: a word, or a parent fd. */
export type StdioSlot = 'pipe' | 'inherit' | 'ignore' | { fd: number };

/** The options, checked, with defaults filled in. */
export interface CheckedOptions {
  cwd: Buffer | null;
  cwdText: string | undefined;
  /** null: the process environment itself (`environ`), which is process.env on the main thread. */
  envp: Buffer[] | null;
  envPath: Buffer | undefined;
  argv0: Buffer | undefined;
  stdio: StdioSlot[];
  fds: { target: number; source: number }[];
  /** The streams given in `stdio` and `fds`: a Subprocess's pipe among them is handed over at the start. */
  streams: object[];
  closeFds: boolean;
  setsid: boolean;
  pgid: number;
  uid: number;
  gid: number;
  groups: number[] | null;
  umask: number;
  rlimits: number[];
  pdeathsig: number;
  method: SpawnMethod;
  timeout: number;
  signal: AbortSignal | undefined;
  killSignal: number;
  /** Kill the child when this process exits or a signal ends it. */
  cleanup: boolean;
  /** Milliseconds from a kill to SIGKILL; -1: never. */
  forceKillAfterDelay: number;
  input: Buffer | undefined;
  encoding: BufferEncoding | 'buffer';
  maxBuffer: number;
  reject: boolean;
}

/** What every spawn knows before it starts. */
export interface Prepared {
  options: CheckedOptions;
  fileText: string;
  spawnargs: string[];
  command: string;
}
