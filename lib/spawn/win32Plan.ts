/**
 * The checked options as child_process options, for win32, where a child
 * starts through CreateProcess (libuv) instead of the native child path.
 * Shared by the Subprocess launcher and spawnSync.
 */
import type { SpawnOptions as CpSpawnOptions, StdioOptions } from 'node:child_process';
import type { CheckedOptions, StdioSlot } from './options';
import type { Prepared } from './prepare';

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
