/**
 * The start methods, as Python's multiprocessing has them: how a child that
 * runs JavaScript comes to exist.
 *
 * - `fork`: a copy of this process (closures and all state available).
 * - `forkserver`: a copy of a small, clean server process started once.
 * - `spawn`: a fresh node that imports the target's module.
 */
import { invalidArgValue, unsupportedPlatform } from '../errors';
import { isLinux } from '../native';
import { forkStart } from './forkStart';
import { forkserverStart } from './forkserver/client';
import { spawnStart } from './spawnStart';
import type { StartMethod, StartMethodImpl } from './startMethodTypes';
import { resolveAutoStartMethod } from './startMethodAuto';

const implementations = new Map<StartMethod, StartMethodImpl>([
  ['fork', { name: 'fork', carriesFunctions: true, start: forkStart }],
  ['forkserver', { name: 'forkserver', carriesFunctions: false, start: forkserverStart }],
  ['spawn', { name: 'spawn', carriesFunctions: false, start: spawnStart }],
]);

/** The start methods this platform has: `['fork', 'forkserver', 'spawn']` on Linux, `['spawn']` elsewhere (win32, darwin, ...). */
export function getStartMethods(): StartMethod[] {
  return isLinux ? ['fork', 'forkserver', 'spawn'] : ['spawn'];
}

/** The default: `forkserver` on Linux (safe and fast, as in Python 3.14), `spawn` elsewhere. */
export function defaultStartMethod(): StartMethod {
  return isLinux ? 'forkserver' : 'spawn';
}

/** The implementation of a start method, or a clear error for an unknown or unavailable one. */
export function startMethodImpl(value: unknown, name = 'startMethod'): StartMethodImpl {
  const available = getStartMethods();
  const all: readonly string[] = ['fork', 'forkserver', 'spawn', 'auto'];
  if (typeof value !== 'string' || !all.includes(value)) {
    throw invalidArgValue(
      name,
      value,
      `must be 'auto' or one of the start methods available here: ${available.join(', ')}`,
    );
  }
  const method = value === 'auto' ? resolveAutoStartMethod() : (value as StartMethod);
  if (!available.includes(method)) {
    throw unsupportedPlatform(
      `The '${method}' start method`,
      `Available here: ${available.join(', ')}.`,
    );
  }
  const impl = implementations.get(method);
  if (!impl)
    throw unsupportedPlatform(`The '${method}' start method`, 'It is not built into this version.');
  return impl;
}
