/**
 * The `auto` start method, for libraries: the `fork` start method when a
 * fork is safe in this process right now (forkSafety(): Linux, the main
 * thread, node started with the safe-mode flags, no Worker thread), else
 * `spawn`, a fresh node that imports the target's module. It is chosen when
 * the Process or Pool is made; a module target runs either way, a function
 * target only where the choice is `fork`.
 */
import { forkSafety } from '../fork/safety';
import type { StartMethod } from './startMethodTypes';

/** The start method `auto` stands for here and now. */
export function resolveAutoStartMethod(): Exclude<StartMethod, 'auto'> {
  return forkSafety().safe ? 'fork' : 'spawn';
}
