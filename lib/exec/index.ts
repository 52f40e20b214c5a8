/**
 * exec(): replace this process with another program, which starts as if a
 * shell had started it: same pid; fds 0-2 open and blocking; no signal
 * ignored or blocked; the terminal in the mode it had before the program
 * put it in raw mode; whatever was written to process.stdout / stderr
 * delivered first. A failed exec changes nothing.
 */
import { binding } from '../native';
import { makeReady, prepare, splitArguments } from '../spawn/prepare';
import { refuseInWorker } from './guard';
import { toSpawnOptions, type ExecOptions } from './options';
import { replaceProcess } from './replace';
import { flushStdio } from './stdio';

/**
 * Replaces this process with `file` (searched along `PATH` of `options.env`
 * like spawn() when it has no slash). The promise never resolves: it
 * rejects when the exec fails (a system error with `code`, `errno`,
 * `syscall`, `path`), or on a wrong argument, and the process goes on as it
 * was. Main thread only (`ERR_WORKER_UNSUPPORTED_OPERATION` in a Worker).
 */
export async function exec(
  file: string | Buffer,
  args?: readonly (string | Buffer)[] | ExecOptions,
  options?: ExecOptions,
): Promise<never> {
  const native = binding('exec()');
  refuseInWorker('exec()');
  const split = splitArguments(args, options);
  const prepared = prepare(file, split.args, toSpawnOptions(split.options));
  const ready = makeReady(prepared);
  if (!ready.ok) throw ready.error;
  await flushStdio(native);
  const { plan } = ready;
  return replaceProcess(native, {
    path: plan.path,
    argv: plan.argv,
    envp: plan.envp,
    usePath: false,
    state: { fds: plan.fds, closeFds: plan.closeFds, cwd: plan.cwd },
    display: prepared.fileText,
  });
}

export type { ExecOptions, ExecStdioEntry } from './options';
export type { ExecveOptions } from './replace';
