/**
 * What was written to process.stdout / process.stderr before an exec must
 * reach its pipe, file or terminal first, in order. On Linux Node writes
 * stdio synchronously to files and terminals, and to pipes as far as the pipe
 * takes it; the rest waits in the stream until the loop runs again. Those
 * bytes are this process's only: a process forked from this one holds a copy
 * of its parent's queue, which is not its to write.
 */
import { forkexecError, type CodedError } from '../errors';
import type { NativeBinding } from '../native';

interface StdioStream {
  writableLength: number;
  destroyed: boolean;
  errored?: unknown;
  write(chunk: string, callback: () => void): boolean;
}

function pending(native: NativeBinding): [string, StdioStream][] {
  if (native.isForkedChild()) return [];
  const streams: [string, StdioStream][] = [
    ['process.stdout', process.stdout],
    ['process.stderr', process.stderr],
  ];
  // A stream that failed (EPIPE: the reader left) has nothing left to deliver.
  return streams.filter(([, s]) => s.writableLength > 0 && !s.destroyed && !s.errored);
}

/** Waits until the bytes queued on stdout and stderr are written. */
export async function flushStdio(native: NativeBinding): Promise<void> {
  for (let queued = pending(native); queued.length > 0; queued = pending(native)) {
    // Write callbacks run in order: an empty write's runs after every earlier one.
    await Promise.all(
      queued.map(([, stream]) => new Promise<void>((resolve) => stream.write('', resolve))),
    );
  }
}

/** For the synchronous exec calls, which cannot wait: the bytes that would be lost. */
export function stdioPendingError(native: NativeBinding, what: string): CodedError | undefined {
  const [first] = pending(native);
  if (first === undefined) return undefined;
  const [name, stream] = first;
  return forkexecError(
    'ERR_EXEC_STDIO_PENDING',
    `${what} would lose ${stream.writableLength} bytes still queued on ${name} (its pipe is full). ` +
      'await exec() waits for them; or call this from the last write callback.',
  );
}
