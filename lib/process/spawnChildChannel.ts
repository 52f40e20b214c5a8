/**
 * The `spawn` child's end of its channel (fd 3, a blocking stream socket
 * the parent made for it). The first frame is read synchronously: at that
 * moment no code of the user's has run, so nothing else could use the event
 * loop, and the parent wrote the task before the child was up, so it is
 * already waiting in the socket. Only when the child must wait for more
 * (a pool's next task, the parent's end) does it read on the event loop,
 * through a {@link Channel}, which loads `net`: a child whose one task
 * answers synchronously never does.
 */
import { EventEmitter } from 'node:events';
import { readSync } from 'node:fs';
import {
  FrameDecoder,
  channelFromFd,
  writeFrameSync,
  type Channel,
} from '../channel/framedChannel';
import { serveTasks } from './taskRunner';

/** Magic (4 bytes) and payload length (uint32 LE), as in framedChannel. */
const HEADER = 8;
const LENGTH_AT = 4;

/**
 * Emits 'message' for each frame and 'close' once no more will come; sends
 * with {@link sendFrameNow}, as the task runner expects of a channel.
 */
export class SpawnChildChannel extends EventEmitter {
  private evented: Channel | undefined;
  private closed = false;

  /**
   * `oneTask`: the parent sends one task and nothing after it (a Process),
   * so once that answer is written whole the channel is done: the child
   * leaves without waiting to see the parent close it.
   */
  constructor(
    private readonly fd: number,
    private readonly oneTask: boolean,
  ) {
    super();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Reads one whole frame, blocking, and emits its message; on end of
   * stream or foreign bytes, 'close'. Reads no byte past the frame, so the
   * event-loop reader later starts at a frame boundary.
   */
  readFirstFrame(): void {
    // The header goes to the decoder first: foreign bytes or an absurd
    // length end the channel before anything waits for a payload.
    const decoder = new FrameDecoder();
    const header = this.readExactly(HEADER);
    if (header) decoder.push(header);
    const payload =
      header && !decoder.failure ? this.readExactly(header.readUInt32LE(LENGTH_AT)) : null;
    const messages = payload ? decoder.push(payload) : [];
    if (messages.length === 0) {
      this.close();
      return;
    }
    for (const message of messages) this.emit('message', message);
  }

  /** From now on reads on the event loop, and sends through the stream. */
  listen(): void {
    if (this.evented || this.closed) return;
    const channel = channelFromFd(this.fd);
    this.evented = channel;
    channel.on('message', (message: unknown) => this.emit('message', message));
    channel.once('close', () => {
      this.close();
    });
  }

  /**
   * Writes a frame now: through the stream once there is one (which may
   * finish the write later, so the parent's close still ends the child),
   * else whole, with blocking writes.
   */
  sendFrameNow(frame: Buffer): void {
    if (this.evented) {
      this.evented.sendFrameNow(frame);
      return;
    }
    if (this.closed) return;
    writeFrameSync(this.fd, frame);
    if (this.oneTask) this.close();
  }

  /** No more messages will be emitted. */
  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close');
  }

  /** `length` bytes, blocking; null at end of stream or on a read error. */
  private readExactly(length: number): Buffer | null {
    const bytes = Buffer.allocUnsafe(length);
    let filled = 0;
    while (filled < length) {
      let got: number;
      try {
        got = readSync(this.fd, bytes, filled, length - filled, null);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EINTR') continue;
        return null;
      }
      if (got === 0) return null;
      filled += got;
    }
    return bytes;
  }
}

/**
 * Serves tasks from `fd`, a blocking stream socket whose first task the
 * parent wrote before this process got it (a `spawn` child, a forkserver
 * child): that task is read synchronously, and the event loop is used only
 * if the child must wait. Resolves when the channel is done.
 */
export function serveBlockingChannel(fd: number, oneTask: boolean): Promise<void> {
  const channel = new SpawnChildChannel(fd, oneTask);
  const served = serveTasks(channel);
  channel.readFirstFrame();
  // Once the first task has gone as far as it goes without the event loop
  // (a CommonJS target loads and answers in microtasks): a one-task child
  // whose answer is written is done; any other waits on the event loop, for
  // more tasks or for the parent's end.
  setImmediate(() => {
    if (!(oneTask && channel.isClosed)) channel.listen();
  });
  return served;
}
