/**
 * Under the `fork` start method a worker knows only the functions that
 * existed when it was forked, so a function made anew for every task (an
 * inline arrow in `pool.run(() => ..., args)` inside a loop) needs a fresh
 * worker each time. The same source registered again and again is that
 * mistake: warn once, naming the fix.
 */
import { registeredFunctionCount, registerFunction } from '../target';

/** How many distinct functions with one source make the warning. */
const REPEATS = 3;
export const FRESH_FUNCTION_WARNING = 'FORKEXEC_POOL_FRESH_FUNCTION';

const registrations = new Map<string, number>();
let warned = false;

/** Registers `fn` for a fork-method pool; warns once when its source keeps coming back as new functions. */
export function registerPoolFunction(fn: (...args: never[]) => unknown): number {
  const before = registeredFunctionCount();
  const id = registerFunction(fn);
  if (warned || registeredFunctionCount() === before) return id;
  const source = Function.prototype.toString.call(fn);
  const seen = (registrations.get(source) ?? 0) + 1;
  registrations.set(source, seen);
  if (seen >= REPEATS) {
    warned = true;
    registrations.clear();
    process.emitWarning(
      'A fork-method Pool was given a new function object with the same source several times ' +
        '(an inline function made per task). Each one is unknown to the workers already forked, ' +
        'so every such task forks a new worker. Define the function once, outside the loop, ' +
        'and pass that same function to every run()/map().',
      { type: 'PerformanceWarning', code: FRESH_FUNCTION_WARNING },
    );
  }
  return id;
}
