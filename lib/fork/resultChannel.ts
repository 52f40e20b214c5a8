/**
 * The function shape's result: one frame (channel/framedChannel.ts) holding
 * the child's outcome (channel/resultCodec.ts), over a close-on-exec pipe from
 * the child to the parent. The parent reads it on its event loop with a
 * readiness watcher and one read() per wake-up (never a threadpool read that
 * could block a thread until the child exits, and no stream: a net.Socket
 * and its Duplex machinery cost a fork more than the read itself).
 */
import { readSync } from 'node:fs';
import { FrameDecoder, writeFrameSync } from '../channel/framedChannel';
import { outcomeFrame, type ChildOutcome } from '../channel/resultCodec';
import { forkexecError } from '../errors';
import { binding } from '../native';

/** In the child: sends `outcome` on `fd`. Returns false when fn's value could not be serialized. */
export function sendResult(fd: number, outcome: ChildOutcome, pid: number): boolean {
  const { frame, serialized } = outcomeFrame(
    outcome,
    (checked) => checked,
    (reason) =>
      forkexecError(
        'ERR_FORK_RESULT_UNSERIALIZABLE',
        `fork(fn): the value returned by fn in child ${pid} cannot be sent with v8.serialize: ${reason}`,
      ),
  );
  writeFrameSync(fd, frame);
  return serialized;
}

/**
 * What the parent read: the child's outcome, null when the child left
 * without sending one, or the error for bytes on the pipe that were not a
 * result.
 */
export type ReadResult = ChildOutcome | Error | null;

/** The parent's end of a result pipe while it is read. */
export interface ResultReader {
  ref(): void;
  unref(): void;
  /** In a child of the parent: lets go of its copy of the pipe (its watcher is detached already). */
  abandon(): void;
}

// A pipe's capacity: what one read can bring.
const READ_SIZE = 64 * 1024;

/**
 * In the parent: reads the child's result from the pipe's read end `fd`
 * (blocking: each read follows a readiness report, so it returns at once),
 * and closes it once the frame or the end of the pipe came.
 */
export function readResult(fd: number): { reader: ResultReader; result: Promise<ReadResult> } {
  const native = binding('fork()');
  const decoder = new FrameDecoder();
  let open = true;
  let settle: (read: ReadResult) => void = () => undefined;
  const result = new Promise<ReadResult>((resolve) => {
    settle = resolve;
  });
  const finish = (read: ReadResult): void => {
    open = false;
    watcher.close();
    native.close(fd);
    settle(read);
  };
  const watcher = new native.ReadinessWatcher(fd, (error) => {
    if (!open) return;
    const chunk = error === null ? readChunk(fd) : null;
    if (chunk === null) {
      finish(decoder.failure ?? null);
      return;
    }
    // The child sends one frame and leaves: the first is the result.
    const [message] = decoder.push(chunk);
    if (message !== undefined) finish(message as ChildOutcome);
    else if (decoder.failure) finish(decoder.failure);
  });
  const reader: ResultReader = {
    ref: () => {
      if (open) watcher.ref();
    },
    unref: () => {
      if (open) watcher.unref();
    },
    abandon: () => {
      if (!open) return;
      open = false;
      native.close(fd);
    },
  };
  return { reader, result };
}

/** One read's bytes, or null at the end of the pipe (or when it cannot be read). */
function readChunk(fd: number): Buffer | null {
  const buffer = Buffer.allocUnsafe(READ_SIZE);
  let n: number;
  try {
    n = readSync(fd, buffer, 0, READ_SIZE, null);
  } catch {
    return null;
  }
  return n === 0 ? null : buffer.subarray(0, n);
}
