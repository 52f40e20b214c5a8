/**
 * The one message channel between a parent and a child process, used by
 * fork(fn) (one result over a pipe), Process and Pool (tasks and results
 * over a socketpair or a child_process pipe).
 *
 * A frame is a header (4 magic bytes, then the payload's length as a
 * little-endian uint32) and a v8.serialize'd payload. v8.serialize keeps what
 * JSON loses (Map, Set, Date, BigInt, typed arrays, undefined, cycles). The
 * magic makes bytes that are not ours (a child writing to the wrong fd) a
 * clear error at once, rather than a length that waits for gigabytes.
 */
import { EventEmitter } from 'node:events';
import { writeSync } from 'node:fs';
import type { Socket, SocketConstructorOpts } from 'node:net';
import type { Duplex } from 'node:stream';
import { forkexecError } from '../errors';
import { COMPACT_TAG, decodeCompactResult, encodeCompactResult } from './compactResult';
import {
  COMPACT_TASK_TAG,
  decodeCompactTask,
  encodeCompactTask,
  type CompactTarget,
} from './compactTask';

const MAGIC = Buffer.from('FXC1', 'latin1');
const HEADER = MAGIC.length + 4;
/**
 * The largest payload a frame may carry (1 GiB). A length header above it
 * is foreign bytes, not a message to wait for: a peer that wrote a wrong or
 * hostile header is an error at once instead of a parent buffering toward
 * gigabytes.
 */
export const MAX_PAYLOAD = 0x4000_0000;
/** Frames queued in one tick below this total are joined into one write. */
const JOIN_BELOW = 64 * 1024;
/** The read buffer of a channel on an fd (what the stream would allocate per read). */
const READ_BUFFER = 64 * 1024;
/** How many foreign bytes an error shows. */
const SHOWN = 32;

let v8: typeof import('node:v8') | undefined;

/**
 * node:v8, loaded on first use: it pulls in Node's streams, which a fresh
 * `spawn` child whose task and answer are compact never needs.
 */
function v8Module(): typeof import('node:v8') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  v8 ??= require('node:v8') as typeof import('node:v8');
  return v8;
}

/** One frame for `message`; throws (synchronously) when v8.serialize cannot handle it. */
export function encodeFrame(message: unknown): Buffer {
  const payload = v8Module().serialize(message);
  if (payload.length > MAX_PAYLOAD) {
    throw new RangeError(`a message of ${payload.length} bytes is over the 1 GiB frame limit`);
  }
  const header = Buffer.allocUnsafe(HEADER);
  MAGIC.copy(header);
  header.writeUInt32LE(payload.length, MAGIC.length);
  return Buffer.concat([header, payload]);
}

/** The frame of a task's answer with a primitive value, without v8.serialize; undefined for other values. */
export function encodeCompactResultFrame(id: number, value: unknown): Buffer | undefined {
  const frame = encodeCompactResult(id, value, HEADER);
  if (!frame) return undefined;
  MAGIC.copy(frame);
  frame.writeUInt32LE(frame.length - HEADER, MAGIC.length);
  return frame;
}

/**
 * The frame of a task with primitive arguments, without v8.serialize;
 * undefined for other arguments. With `target`, the task carries its module
 * target and teaches `slot` to name it.
 */
export function encodeCompactTaskFrame(
  id: number,
  slot: number,
  args: readonly unknown[],
  each: boolean,
  target?: CompactTarget,
): Buffer | undefined {
  const frame = encodeCompactTask(id, slot, args, each, HEADER, target);
  if (!frame) return undefined;
  MAGIC.copy(frame);
  frame.writeUInt32LE(frame.length - HEADER, MAGIC.length);
  return frame;
}

/** `transient`: `bytes` will be overwritten; v8's typed arrays would point into them, so they are copied first. */
function decodePayload(bytes: Buffer, transient = false): unknown {
  if (bytes[0] === COMPACT_TAG) return decodeCompactResult(bytes);
  if (bytes[0] === COMPACT_TASK_TAG) return decodeCompactTask(bytes);
  return v8Module().deserialize(transient ? Buffer.from(bytes) : bytes);
}

/**
 * Writes a whole frame to a blocking fd, synchronously: for a child that
 * leaves right after. A parent that stopped listening (EPIPE) is not an error
 * here; the child still leaves.
 */
export function writeFrameSync(fd: number, frame: Buffer): void {
  let offset = 0;
  while (offset < frame.length) {
    try {
      offset += writeSync(fd, frame, offset, frame.length - offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') continue;
      return;
    }
  }
}

function garbage(bytes: Buffer, why: string): Error {
  const shown = JSON.stringify(bytes.subarray(0, SHOWN).toString('latin1'));
  return forkexecError(
    'ERR_FORKEXEC_CHANNEL_GARBAGE',
    `The other process wrote something that is not a forkexec message on its channel (${why}; it starts with ${shown})`,
  );
}

/**
 * Cuts a byte stream into messages. Chunks are kept as they come and joined
 * once per frame, so a large payload read in many pieces is copied once.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Set (ERR_FORKEXEC_CHANNEL_GARBAGE) once foreign bytes came; nothing more is decoded. */
  failure: Error | undefined;

  /** Set while decoding a chunk that is valid only during the call: what is kept is copied. */
  private transient = false;

  /**
   * The messages completed by `chunk` (those before any foreign bytes).
   * `transient`: the chunk's memory is reused after this call (a socket's
   * read buffer), so partial frames and v8 payloads (whose typed arrays
   * would point into it) are copied out of it.
   */
  push(chunk: Buffer, transient = false): unknown[] {
    const messages: unknown[] = [];
    if (this.failure) return messages;
    this.transient = transient;
    try {
      this.decode(chunk, messages);
    } catch (error) {
      this.failure = error as Error;
    }
    return messages;
  }

  private decode(chunk: Buffer, messages: unknown[]): void {
    const at = this.chunks.length === 0 ? this.decodeWhole(chunk, messages) : 0;
    if (at === chunk.length) return;
    const rest = this.transient ? Buffer.from(chunk.subarray(at)) : chunk.subarray(at);
    this.chunks.push(rest);
    this.buffered += rest.length;
    for (;;) {
      const head = this.peek(Math.min(HEADER, this.buffered));
      const magicSeen = Math.min(head.length, MAGIC.length);
      if (!head.subarray(0, magicSeen).equals(MAGIC.subarray(0, magicSeen))) {
        throw garbage(this.peek(Math.min(SHOWN, this.buffered)), 'no frame header');
      }
      if (head.length < HEADER) return;
      const length = head.readUInt32LE(MAGIC.length);
      if (length > MAX_PAYLOAD) {
        throw garbage(head, `a frame header announcing ${length} bytes, over the 1 GiB limit`);
      }
      if (this.buffered < HEADER + length) return;
      const bytes = this.take(HEADER + length).subarray(HEADER);
      try {
        messages.push(decodePayload(bytes));
      } catch (error) {
        throw garbage(bytes, `a payload v8.deserialize refused: ${(error as Error).message}`);
      }
    }
  }

  /**
   * With nothing buffered before `chunk`: the frames that lie whole in it,
   * decoded in place (the usual case: small messages, one read each).
   * Returns where the rest starts; anything odd is left to the careful path.
   */
  private decodeWhole(chunk: Buffer, messages: unknown[]): number {
    let at = 0;
    while (
      chunk.length - at >= HEADER &&
      chunk[at] === MAGIC[0] &&
      chunk[at + 1] === MAGIC[1] &&
      chunk[at + 2] === MAGIC[2] &&
      chunk[at + 3] === MAGIC[3]
    ) {
      const end = at + HEADER + chunk.readUInt32LE(at + MAGIC.length);
      if (end > chunk.length) break;
      const bytes = chunk.subarray(at + HEADER, end);
      try {
        messages.push(decodePayload(bytes, this.transient));
      } catch (error) {
        throw garbage(bytes, `a payload v8.deserialize refused: ${(error as Error).message}`);
      }
      at = end;
    }
    return at;
  }

  private peek(length: number): Buffer {
    if (this.chunks.length > 1 && this.chunks[0].length < length) this.join();
    return this.chunks.length === 0 ? Buffer.alloc(0) : this.chunks[0].subarray(0, length);
  }

  private take(length: number): Buffer {
    if (this.chunks[0].length < length) this.join();
    const all = this.chunks[0];
    const rest = all.subarray(length);
    this.chunks = rest.length === 0 ? [] : [rest];
    this.buffered -= length;
    return all.subarray(0, length);
  }

  private join(): void {
    this.chunks = [Buffer.concat(this.chunks, this.buffered)];
  }
}

/**
 * Emits 'message' (value) for each frame, and 'close' once the other side
 * is gone. Bytes that are not frames end the channel: `failure` says why
 * (read it on 'close'), so a confused or hostile peer never throws into the
 * event loop.
 */
export class Channel extends EventEmitter {
  private readonly decoder = new FrameDecoder();
  private closed = false;
  /** Frames sent in this tick, written together on the next one. */
  private outgoing: Buffer[] = [];
  private outgoingBytes = 0;
  /** Settles once the underlying fd is really closed (its handle gone from the loop). */
  readonly whenClosed: Promise<void>;

  /**
   * `fd`, when the stream is a socket on an fd we own: a frame written while
   * nothing is queued goes out with one write(2) from here, without the
   * stream's per-write request and callback ticks.
   */
  constructor(
    private readonly stream: Duplex,
    private readonly fd = -1,
    readsItself = false,
  ) {
    super();
    this.whenClosed = new Promise((resolve) => {
      stream.once('close', () => {
        resolve();
      });
    });
    if (!readsItself) {
      stream.on('data', (chunk: Buffer) => {
        this.receive(chunk, false);
      });
    }
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
    this.sendFrame(encodeFrame(message));
  }

  /**
   * Sends a frame made by {@link encodeFrame}. The frames of one tick go out
   * in one write: a burst of small messages costs one syscall and wakes the
   * peer once, not once per message.
   */
  sendFrame(frame: Buffer): void {
    if (this.closed) return;
    if (this.outgoing.length === 0) process.nextTick(this.flush);
    this.outgoing.push(frame);
    this.outgoingBytes += frame.length;
  }

  /**
   * Sends a frame now, after any queued ones: for an answer that must be on
   * its way before the sender runs code that might never return.
   */
  sendFrameNow(frame: Buffer): void {
    if (this.closed) return;
    this.outgoing.push(frame);
    this.outgoingBytes += frame.length;
    this.flush();
  }

  /** Sends frames now, in one write: for a burst the caller has already gathered. */
  sendFramesNow(frames: Buffer[]): void {
    if (this.closed) return;
    for (const frame of frames) {
      this.outgoing.push(frame);
      this.outgoingBytes += frame.length;
    }
    this.flush();
  }

  /** Writes what sendFrame queued (before `close()`, and on the tick after the sends). */
  private readonly flush = (): void => {
    const frames = this.outgoing;
    if (frames.length === 0) return;
    const bytes = this.outgoingBytes;
    this.outgoing = [];
    this.outgoingBytes = 0;
    if (this.closed) return;
    if (frames.length === 1) this.write(frames[0]);
    else if (bytes < JOIN_BELOW) this.write(Buffer.concat(frames, bytes));
    else {
      this.stream.cork();
      for (const frame of frames) this.stream.write(frame);
      this.stream.uncork();
    }
  };

  /**
   * One write(2) when the stream holds nothing unwritten (so order is kept);
   * what the socket does not take now, and any error, goes through the
   * stream, which queues it or reports the error as it always does.
   */
  private write(bytes: Buffer): void {
    let rest = bytes;
    if (this.fd >= 0 && this.stream.writableLength === 0) {
      try {
        rest = bytes.subarray(writeSync(this.fd, bytes));
      } catch {
        rest = bytes;
      }
      if (rest.length === 0) return;
    }
    this.stream.write(rest);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Why the channel ended early: foreign bytes on it (ERR_FORKEXEC_CHANNEL_GARBAGE). */
  get failure(): Error | undefined {
    return this.decoder.failure;
  }

  /** Ends our side once what was sent is written; the peer sees end-of-stream. */
  close(): void {
    this.flush();
    this.stream.end();
  }

  /** Drops the connection now, unread bytes and all: for a peer that is being killed. */
  destroy(): void {
    this.finish();
  }

  /** Lets the event loop end while the channel is open. */
  unref(): void {
    (this.stream as Partial<Socket>).unref?.();
  }

  ref(): void {
    (this.stream as Partial<Socket>).ref?.();
  }

  /** In a forked child of this process: let go of the copy of the fd, telling nobody. */
  abandon(): void {
    this.closed = true;
    this.outgoing = [];
    this.removeAllListeners();
    this.stream.removeAllListeners();
    this.stream.on('error', () => undefined);
    this.stream.destroy();
  }

  /** Bytes read from the stream; `transient` when their memory is reused after this call. */
  receive(chunk: Buffer, transient: boolean): void {
    if (this.closed) return;
    for (const message of this.decoder.push(chunk, transient)) this.emit('message', message);
    if (this.decoder.failure) this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.stream.destroy();
    this.emit('close');
  }
}

/** A channel over a connected stream socket or pipe fd that this process owns. */
export function channelFromFd(fd: number, options: { writable?: boolean } = {}): Channel {
  const writable = options.writable ?? true;
  // Reads land in one reused buffer and go straight to the decoder: no
  // buffer allocated (and shrunk) per read, no stream machinery per message.
  const scratch = Buffer.allocUnsafeSlow(READ_BUFFER);
  // Reads start from the event loop, after the channel below exists.
  const reader: { channel?: Channel } = {};
  const onread = {
    buffer: scratch,
    callback: (bytes: number): boolean => {
      reader.channel?.receive(scratch.subarray(0, bytes), true);
      return true;
    },
  };
  // Loaded here, not at the top: a spawn child that answers from synchronous
  // reads never needs net.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Socket: NetSocket } = require('node:net') as typeof import('node:net');
  const socket = new NetSocket({ fd, readable: true, writable, onread } as SocketConstructorOpts);
  const channel = new Channel(socket, writable ? fd : -1, true);
  reader.channel = channel;
  return channel;
}
