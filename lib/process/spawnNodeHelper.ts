/**
 * Starting a helper node process (the forkserver, a `spawn` start-method
 * child) that talks to us over a socketpair: posix_spawn of this process's
 * execPath with its end of the pair at fd 3 and nothing else open, then an
 * exit watch on it. The flags a helper inherits are {@link childExecArgv}.
 */
import { watchExit, type ExitWatch } from '../exitWatcher';
import { binding } from '../native';
import * as posix from '../posix';
import { EVERY_SIGNAL } from '../signals';

/** The fd where a helper finds its end of the socketpair. */
export const HELPER_CHANNEL_FD = 3;
const SIGKILL = 9;

/** Flags that run code or tools of their own, and must not reach a helper. */
const DROPPED_WITH_VALUE = new Set([
  '-e',
  '--eval',
  '-p',
  '--print',
  '-r',
  '--require',
  '--import',
]);
const DROPPED_PREFIXES = [
  '--input-type',
  '--test',
  '--watch',
  '--inspect',
  '--debug',
  '-i',
  '--interactive',
  '--check',
  '-c',
];

/** process.execArgv without the flags that would make the child something other than a plain node. */
export function childExecArgv(execArgv: readonly string[] = process.execArgv): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i] ?? '';
    if (DROPPED_WITH_VALUE.has(arg)) {
      i++;
      continue;
    }
    if (
      DROPPED_PREFIXES.some((p) => arg === p || arg.startsWith(`${p}=`) || arg.startsWith(`${p}-`))
    )
      continue;
    out.push(arg);
  }
  return out;
}

/** What a helper runs, and where. */
export interface NodeHelperOptions {
  /** The script, and the arguments after it. */
  argv: string[];
  /** Node flags before the script. */
  execArgv: string[];
  /** SOCK_SEQPACKET (one message per send) rather than SOCK_STREAM. */
  seqpacket: boolean;
  env?: Record<string, string | undefined>;
  cwd?: string;
}

/** A running helper: our end of the socketpair (close-on-exec) and the watch on its exit. */
export interface NodeHelper {
  pid: number;
  channelFd: number;
  watch: ExitWatch;
}

/**
 * Starts the helper. On failure nothing is left open and no child is left
 * unreaped.
 */
export function spawnNodeHelper(options: NodeHelperOptions, feature: string): NodeHelper {
  const native = binding(feature);
  const [channelFd, helperEnd] = native.socketpair(options.seqpacket, true);
  let pid: number;
  try {
    pid = posix.posixSpawn(
      process.execPath,
      [process.execPath, ...options.execArgv, ...options.argv],
      {
        ...(options.env === undefined ? {} : { env: options.env }),
        fileActions: [
          { action: 'dup2', fd: helperEnd, newFd: HELPER_CHANNEL_FD },
          { action: 'closefrom', fd: HELPER_CHANNEL_FD + 1 },
          ...(options.cwd === undefined ? [] : [{ action: 'chdir' as const, path: options.cwd }]),
        ],
        // A fresh node starts as any program would: no signal ignored (Node
        // ignores SIGPIPE; glibc's posix_spawn would leave 32 and 33), none blocked.
        setsigdef: [...EVERY_SIGNAL],
        setsigmask: [],
      },
    );
  } catch (error) {
    posix.close(channelFd);
    throw error;
  } finally {
    posix.close(helperEnd);
  }
  try {
    return { pid, channelFd, watch: watchExit(pid) };
  } catch (error) {
    // Without a watch nobody would reap it: end it now (it is ours and
    // unreaped, so the pid is still this child's).
    native.kill(pid, SIGKILL);
    native.waitpid(pid, 0);
    posix.close(channelFd);
    throw error;
  }
}
