// The trivial task of bench/pool.mjs, for forkexec's module targets and piscina alike.
export default function increment(x) {
  return x + 1;
}

export function increment2(x) {
  return x + 1;
}

/** Returns a buffer of `bytes` bytes (the "moved child -> parent" rows). */
export function makeBytes(bytes) {
  return Buffer.alloc(bytes, 1);
}

/** Returns the length of what it was given (the "moved parent -> child" rows). */
export function byteLength(buffer) {
  return buffer.length;
}
