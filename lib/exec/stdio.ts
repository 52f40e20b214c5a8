/**
 * What was written to process.stdout / process.stderr before an exec must
 * reach its pipe, file or terminal first, in order. On Linux Node writes
 * stdio synchronously to files and terminals, and to pipes as far as the pipe
 * takes it; the rest waits in the stream until the loop runs again. Those
 * bytes are this process's only: a process forked from this one holds a copy
 * of its parent's queue, which is not its to write.
 */
import { readFileSync } from 'node:fs';
import { forkexecError, type CodedError } from '../errors';
import type { NativeBinding } from '../native';

interface StdioStream {
  writableLength: number;
  destroyed: boolean;
  errored?: unknown;
  write(chunk: string, callback: () => void): boolean;
}

/**
 * Bytes wait in a stream only when a write met a full pipe, which needs a
 * non-blocking fd. Looking at process.stdout creates it if the program never
 * did, and libuv then makes a pipe non-blocking: a blocking fd is left alone.
 */
function mayHoldQueuedBytes(native: NativeBinding, fd: number): boolean {
  try {
    const flags = /flags:\s*(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
    return flags === undefined || (parseInt(flags, 8) & (native.constants.O_NONBLOCK ?? 0)) !== 0;
  } catch {
    return true;
  }
}

function pending(native: NativeBinding): [string, StdioStream][] {
  if (native.isForkedChild()) return [];
  const queued: [string, StdioStream][] = [];
  for (const [fd, name] of [
    [1, 'stdout'],
    [2, 'stderr'],
  ] as const) {
    if (!mayHoldQueuedBytes(native, fd)) continue;
    const stream: StdioStream = process[name];
    // A stream that failed (EPIPE: the reader left) has nothing left to deliver.
    if (stream.writableLength > 0 && !stream.destroyed && !stream.errored) {
      queued.push([`process.${name}`, stream]);
    }
  }
  return queued;
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
