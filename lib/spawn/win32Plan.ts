/**
 * The checked options as child_process options, for win32 and every other
 * platform without the addon (see isLinux in ../native), where a child
 * starts through libuv (CreateProcess on win32) instead of the native child
 * path. Shared by the Subprocess launcher and spawnSync.
 */
import type { SpawnOptions as CpSpawnOptions, StdioOptions } from 'node:child_process';
import { unsupportedPlatform, type SystemError } from '../errors';
import { signalName } from '../signals';
import type { CheckedOptions, Prepared, StdioSlot } from './types';
import { spawnError, type SpawnError } from './error';

/** The signals Windows has (each but 0 ends the process), by number. */
const WIN32_SIGNALS = new Set([0, 2, 3, 9, 15]);

/**
 * Throws `ERR_FORKEXEC_UNSUPPORTED_PLATFORM` for a signal Windows does not
 * have (child_process would throw ENOSYS, at a moment nobody catches when
 * a timeout sends it).
 */
export function checkWin32Signal(signal: number, name: string): void {
  if (process.platform !== 'win32' || WIN32_SIGNALS.has(signal)) return;
  throw unsupportedPlatform(
    `${name} ${signalName(signal)}`,
    'Windows has SIGTERM, SIGKILL, SIGINT and SIGQUIT (each ends the process), and 0.',
  );
}

/** How child_process starts a child here: CreateProcess on win32, libuv's fork+exec elsewhere. */
export function cpMethod(): 'CreateProcess' | 'child_process' {
  return process.platform === 'win32' ? 'CreateProcess' : 'child_process';
}

/** `KEY=value` C strings back to the object child_process takes. */
function envObject(envp: Buffer[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of envp) {
    const text = entry.toString('utf8');
    const eq = text.indexOf('=');
    env[text.slice(0, eq)] = text.slice(eq + 1);
  }
  return env;
}

function cpSlot(slot: StdioSlot): 'pipe' | 'inherit' | 'ignore' | number {
  return typeof slot === 'string' ? slot : slot.fd;
}

/** stdio slots, then the extra `fds` (gaps between them are 'ignore'). */
function cpStdio(o: CheckedOptions): StdioOptions {
  const stdio: ('pipe' | 'inherit' | 'ignore' | number)[] = o.stdio.map(cpSlot);
  for (const { target, source } of o.fds) {
    while (stdio.length <= target) stdio.push('ignore');
    stdio[target] = source;
  }
  return stdio;
}

/** A start child_process refused (ENOENT, ...), with forkexec's `path` and `spawnargs`. */
export function cpStartError(error: SystemError, prepared: Prepared): SpawnError {
  error.path = prepared.fileText;
  return spawnError(error, prepared.spawnargs);
}

/** The child_process options that express the plan; timeout and kill stay with the caller. */
export function cpOptions(prepared: Prepared & { argv: Buffer[] }): CpSpawnOptions {
  const o = prepared.options;
  return {
    stdio: cpStdio(o),
    windowsHide: true,
    ...(o.cwdText === undefined ? {} : { cwd: o.cwdText }),
    // null: the parent's environment, as on POSIX.
    ...(o.envp === null ? {} : { env: envObject(o.envp) }),
    ...(o.argv0 === undefined ? {} : { argv0: o.argv0.toString('utf8') }),
  };
}
