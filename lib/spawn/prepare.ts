/**
 * From (file, args, options) to the one plan the native layer executes:
 * validation (throws), then the checks that ask the kernel and the PATH
 * lookup (returned as a start error), then the fd plan.
 */
import { toArgv, toPath, displayString } from '../cstrings';
import { validateArray, validateOptions } from '../validate';
import type { NativeSpawnPlan } from '../native';
import type { SystemError } from '../errors';
import { checkOptions } from './options';
import type { Prepared } from './types';
import { checkCwd, resolveExecutable } from './resolve';
import { discardFdPlan, makeFdPlan, type FdPlan } from './fdPlan';
import { spawnError, type SpawnError } from './error';

/** A plan ready to start, or the reason it cannot start. */
export type Ready =
  { ok: true; plan: NativeSpawnPlan; fdPlan: FdPlan } | { ok: false; error: SystemError };

/** Reads `args` and `options` the way Node does: `args` may be left out. */
export function splitArguments(
  args: unknown,
  options: unknown,
): { args: unknown[]; options: unknown } {
  if (args === undefined || args === null) return { args: [], options };
  if (!Array.isArray(args) && typeof args === 'object') {
    validateOptions(args, 'options');
    return { args: [], options: args };
  }
  return { args: validateArray(args, 'args'), options };
}

/** Checks every argument; throws TypeError / RangeError (nothing has been created yet). */
export function prepare(
  file: unknown,
  args: unknown[],
  options: unknown,
): Prepared & { file: Buffer; argv: Buffer[] } {
  const fileBytes = toPath(file, 'file');
  const argBytes = args.length === 0 ? [] : toArgv(args, 'args');
  const checked = checkOptions(options);
  const fileText = displayString(file as string | Buffer);
  const spawnargs = argBytes.map((a) => a.toString('utf8'));
  return {
    options: checked,
    file: fileBytes,
    argv: [checked.argv0 ?? fileBytes, ...argBytes],
    fileText,
    spawnargs,
    command: [fileText, ...spawnargs].join(' '),
  };
}

/** The cwd must be a directory the child can enter: ENOENT etc. with `syscall: 'chdir'`, `path` = the cwd. */
export function cwdError(p: Prepared): SpawnError | undefined {
  const { cwd, cwdText } = p.options;
  if (cwd === null) return undefined;
  const error = checkCwd(cwd, cwdText ?? cwd.toString('utf8'));
  return error && spawnError(error, p.spawnargs);
}

/** The kernel-facing checks and the fd plan. On failure nothing is left open. */
export function makeReady(p: Prepared & { file: Buffer; argv: Buffer[] }): Ready {
  const o = p.options;
  const badCwd = cwdError(p);
  if (badCwd) return { ok: false, error: badCwd };
  const resolved = resolveExecutable(p.file, p.fileText, o.envPath, o.cwd);
  if ('error' in resolved) return { ok: false, error: spawnError(resolved.error, p.spawnargs) };
  const fdPlan = makeFdPlan(o);
  if ('error' in fdPlan) return { ok: false, error: spawnError(fdPlan.error, p.spawnargs) };
  return {
    ok: true,
    fdPlan,
    plan: {
      path: resolved.path,
      argv: p.argv,
      envp: o.envp,
      cwd: o.cwd,
      fds: fdPlan.fds,
      closeFds: o.closeFds,
      setsid: o.setsid,
      pgid: o.pgid,
      umask: o.umask,
      rlimits: o.rlimits,
      groups: o.groups,
      uid: o.uid,
      gid: o.gid,
      pdeathsig: o.pdeathsig,
      method: o.method,
      closeInParent: fdPlan.closeInParent,
    },
  };
}

export { discardFdPlan };
