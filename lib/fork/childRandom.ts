/**
 * A forked child's Math.random. V8's generator state is copied by fork, so
 * the child would replay the parent's sequence; it gets one drawing from the
 * kernel's CSPRNG instead. The function is made (and compiled) in the parent,
 * so that installing it is all a child does on its critical path; its pool
 * starts empty in every child and is filled on the first draw.
 */
import { randomFillSync } from 'node:crypto';

// 256 doubles per refill: one getrandom() per 256 draws.
const POOL_WORDS = 512;

interface ChildRandom {
  random: () => number;
  /** Forgets the pool, so the next draw refills it from the kernel. */
  empty: () => void;
}

function makeChildRandom(): ChildRandom {
  const pool = new Uint32Array(POOL_WORDS);
  let next = pool.length;
  // 53 random bits per double.
  const random = (): number => {
    if (next >= pool.length) {
      randomFillSync(pool);
      next = 0;
    }
    const high = (pool[next++] ?? 0) >>> 5;
    const low = (pool[next++] ?? 0) >>> 6;
    return (high * 67108864 + low) / 9007199254740992;
  };
  return {
    random,
    empty: () => {
      next = pool.length;
    },
  };
}

let prepared: ChildRandom | undefined;

/** In the parent, before a fork: makes the child's generator and compiles it with one draw. */
export function prepareChildRandom(): void {
  if (prepared !== undefined) return;
  prepared = makeChildRandom();
  prepared.random();
}

/** In a child: Math.random draws from the kernel from now on, nothing of the parent's pool. */
export function installChildRandom(): void {
  prepared ??= makeChildRandom();
  prepared.empty();
  Object.defineProperty(Math, 'random', {
    value: prepared.random,
    writable: true,
    enumerable: false,
    configurable: true,
  });
}
