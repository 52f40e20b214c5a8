/**
 * The function shape's result: one frame (channel/framedChannel.ts) holding
 * the child's outcome (channel/resultCodec.ts), over a close-on-exec pipe from
 * the child to the parent. The parent reads it on its event loop (a libuv
 * pipe, never a threadpool read that could block a thread until the child
 * exits).
 */
import { channelFromFd, writeFrameSync, type Channel } from '../channel/framedChannel';
import { outcomeFrame, type ChildOutcome } from '../channel/resultCodec';
import { forkexecError } from '../errors';

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

/** In the parent: reads the child's result from the pipe's read end `fd`. */
export function readResult(fd: number): { channel: Channel; result: Promise<ReadResult> } {
  const channel = channelFromFd(fd, { writable: false });
  const result = new Promise<ReadResult>((resolve) => {
    channel.once('message', (message: ChildOutcome) => {
      resolve(message);
    });
    channel.once('close', () => {
      resolve(channel.failure ?? null);
    });
  });
  return { channel, result };
}
