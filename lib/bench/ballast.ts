/**
 * Memory held by the parent while it starts children, because fork cost
 * grows with the parent's size while posix_spawn and threads do not. Half
 * is Buffers (off the V8 heap, pages touched so they are really resident),
 * half JavaScript objects on the V8 heap.
 */

/** What the parent holds; kept reachable for the run. */
export interface Ballast {
  buffers: Buffer[];
  objects: unknown[][];
}

const MB = 1024 * 1024;
const BUFFER_CHUNK = 64 * MB;
/** Roughly what one small object below costs on the V8 heap, in bytes. */
const OBJECT_COST = 64;

export function allocateBallast(totalBytes: number): Ballast {
  const ballast: Ballast = { buffers: [], objects: [] };
  let buffers = Math.floor(totalBytes / 2);
  while (buffers > 0) {
    const size = Math.min(BUFFER_CHUNK, buffers);
    // Buffer.alloc zero-fills: every page is touched.
    ballast.buffers.push(Buffer.alloc(size, 1));
    buffers -= size;
  }
  let objects = Math.floor(totalBytes / 2 / OBJECT_COST);
  while (objects > 0) {
    const count = Math.min(1_000_000, objects);
    const chunk: unknown[] = new Array<unknown>(count);
    for (let i = 0; i < count; i++) chunk[i] = { i, s: i & 0xff };
    ballast.objects.push(chunk);
    objects -= count;
  }
  return ballast;
}

/** '50MB', '512MB', '2GB' -> bytes. */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(MB|GB|M|G)$/i.exec(text.trim());
  if (!match) throw new Error(`not a size: '${text}' (use e.g. 50MB, 512MB, 2GB)`);
  const value = Number(match[1]);
  const unit = (match[2] ?? 'MB').toUpperCase().startsWith('G') ? 1024 * MB : MB;
  return Math.round(value * unit);
}

export function formatSize(bytes: number): string {
  return bytes >= 1024 * MB
    ? `${+(bytes / 1024 / MB).toFixed(1)}GB`
    : `${Math.round(bytes / MB)}MB`;
}

/** The resident set of this process, from /proc (bytes). */
export function residentBytes(): number {
  return process.memoryUsage.rss();
}
