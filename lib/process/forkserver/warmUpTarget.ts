/**
 * The forkserver's warm-up target: a module of its own that nothing else
 * imports, so that the warm-up loads it the way a child loads a target
 * nobody preloaded (resolve, read, compile), not from the module cache.
 */
export function warmUpTarget(value: number): number {
  return value;
}
