/**
 * The parent's collection of a child's stdout and stderr for its result.
 *
 * A pipe reaches EOF only when every process holding its write end has
 * closed it, and a grandchild the child left running in the background
 * keeps it open after the child is gone. So the result can wait for the
 * pipes only as long as the caller allows: when `timeout` (or an abort) says
 * stop and the child is gone, `abandon()` takes what is in the pipe at that
 * moment and ends the stream there.
 */
import { readSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';

/** Collects one output stream up to maxBuffer. */
class Collector {
  chunks: Buffer[] = [];
  bytes = 0;
  exceeded = false;

  constructor(
    stream: Readable,
    private readonly max: number,
    onExceeded: () => void,
  ) {
    stream.on('data', (chunk: Buffer) => {
      if (this.exceeded) return;
      const room = this.max - this.bytes;
      if (chunk.length > room) {
        if (room > 0) this.chunks.push(chunk.subarray(0, room));
        this.bytes = this.max;
        this.exceeded = true;
        onExceeded();
        return;
      }
      this.chunks.push(chunk);
      this.bytes += chunk.length;
    });
  }

  value(encoding: BufferEncoding | 'buffer'): string | Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    return encoding === 'buffer' ? all : all.toString(encoding);
  }
}

/** The libuv handle under a net.Socket made from a pipe fd. */
interface PipeHandle {
  fd?: number;
  readStop?: () => number;
}

/**
 * The most read from a pipe when it is cut. What the child left there is at
 * most the pipe's size (1 MiB unless root raised fs.pipe-max-size); more
 * means a grandchild writes as fast as we read, and must not keep us here.
 */
const MOST_TAKEN_AT_CUT = 16 * 1024 * 1024;

/** EOF was pushed already ('end' may still wait for a paused reader). */
function sawEof(stream: Readable): boolean {
  return (
    (stream as Readable & { _readableState?: { ended?: boolean } })._readableState?.ended === true
  );
}

/**
 * Ends `stream` at what its pipe holds now: reading stops, the bytes already
 * in the pipe are read without blocking (libuv made the fd non-blocking) and
 * pushed, then EOF. Every listener sees them; whatever a grandchild writes
 * later is not read.
 */
function endAtWhatIsThere(stream: Readable): void {
  const handle = (stream as Readable & { _handle?: PipeHandle | null })._handle;
  const fd = handle?.fd;
  if (!handle || typeof fd !== 'number' || fd < 0 || typeof handle.readStop !== 'function') {
    stream.destroy();
    return;
  }
  handle.readStop();
  const buffer = Buffer.allocUnsafe(65536);
  for (let taken = 0; taken < MOST_TAKEN_AT_CUT && !stream.destroyed;) {
    let n: number;
    try {
      n = readSync(fd, buffer, 0, buffer.length, null);
    } catch {
      break; // EAGAIN: nothing more for now
    }
    if (n === 0) break;
    taken += n;
    stream.push(Buffer.from(buffer.subarray(0, n)));
  }
  if (!stream.destroyed) stream.push(null);
}

/** The stdout (slot 1) and stderr (slot 2) of a Subprocess, collected for its result. */
export class CollectedOutput {
  readonly #collectors: (Collector | undefined)[] = [];
  readonly #open = new Set<Readable>();
  /** Settles once every collected stream has closed. */
  readonly closed: Promise<void>;

  constructor(
    stdio: readonly (Readable | Writable | null)[],
    maxBuffer: number,
    onExceeded: (stream: Readable) => void,
  ) {
    const closing: Promise<void>[] = [];
    for (const slot of [1, 2]) {
      const stream = stdio[slot] as Readable | null | undefined;
      if (!stream) continue;
      this.#open.add(stream);
      closing.push(
        new Promise((resolve) =>
          stream.once('close', () => {
            this.#open.delete(stream);
            resolve();
          }),
        ),
      );
      this.#collectors[slot] = new Collector(stream, maxBuffer, () => {
        onExceeded(stream);
      });
    }
    this.closed = Promise.all(closing).then(() => undefined);
  }

  /** The stream of `slot` went to another child: it has no value here. */
  handedOver(slot: number): void {
    this.#collectors[slot] = undefined;
  }

  /**
   * Stops waiting for EOF on the streams still open, keeping what their
   * pipes hold now. True when there was one (the result is cut there).
   */
  abandon(): boolean {
    const cut = [...this.#open].filter((s) => !sawEof(s) && !s.destroyed);
    for (const stream of cut) endAtWhatIsThere(stream);
    return cut.length > 0;
  }

  /** The collected bytes of `slot` (1 or 2), or undefined when it was not collected. */
  value(slot: number, encoding: BufferEncoding | 'buffer'): string | Buffer | undefined {
    return this.#collectors[slot]?.value(encoding);
  }
}
