/**
 * A message channel between a parent and one child process: v8-serialized
 * values in length-prefixed frames over a stream socket. v8.serialize keeps
 * what JSON loses (Map, Set, Date, BigInt, typed arrays, undefined, cycles).
 */
import { EventEmitter } from 'node:events';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { deserialize, serialize } from 'node:v8';

const HEADER = 4;

/** Emits 'message' (value) and 'close' once the other side is gone. */
export class Channel extends EventEmitter {
  private pending: Buffer = Buffer.alloc(0);
  private closed = false;
  /** Settles once the underlying fd is really closed (its handle gone from the loop). */
  readonly whenClosed: Promise<void>;

  constructor(private readonly stream: Duplex) {
    super();
    this.whenClosed = new Promise((resolve) => {
      stream.once('close', () => {
        resolve();
      });
    });
    stream.on('data', (chunk: Buffer) => {
      this.receive(chunk);
    });
    // A peer that dies mid-write resets the connection: that is a close too.
    stream.on('error', () => {
      this.finish();
    });
    stream.on('close', () => {
      this.finish();
    });
    stream.on('end', () => {
      this.finish();
    });
  }

  /** Sends a value; throws (synchronously) when v8.serialize cannot handle it. */
  send(message: unknown): void {
    const payload = serialize(message);
    const header = Buffer.alloc(HEADER);
    header.writeUInt32LE(payload.length);
    if (!this.closed) this.stream.write(Buffer.concat([header, payload]));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Ends our side; the peer sees end-of-stream. */
  close(): void {
    this.stream.end();
  }

  /** Lets the event loop end while the channel is open. */
  unref(): void {
    (this.stream as Partial<Socket>).unref?.();
  }

  ref(): void {
    (this.stream as Partial<Socket>).ref?.();
  }

  private receive(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= HEADER) {
      const length = this.pending.readUInt32LE(0);
      if (this.pending.length < HEADER + length) break;
      const frame = this.pending.subarray(HEADER, HEADER + length);
      this.pending = this.pending.subarray(HEADER + length);
      this.emit('message', deserialize(frame));
    }
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.stream.destroy();
    this.emit('close');
  }
}

/** A channel over a connected stream socket or pipe fd that this process owns. */
export function channelFromFd(fd: number): Channel {
  return new Channel(new Socket({ fd, readable: true, writable: true }));
}
