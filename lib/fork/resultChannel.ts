/**
 * The function shape's result: one v8.serialize'd message over a pipe from
 * the child to the parent. The pipe is close-on-exec; the parent reads it on
 * its event loop (a libuv pipe, never a threadpool read that could block a
 * thread until the child exits) and EOF ends the message.
 */
import { Socket } from 'node:net';
import { serialize, deserialize } from 'node:v8';
import { writeSync } from 'node:fs';
import { forkexecError } from '../errors';

/** What the child sends: its value, the error fn threw, or why the value could not be sent. */
export type ResultMessage =
  | { kind: 'value'; value: unknown }
  | { kind: 'error'; name: string; message: string; stack: string | undefined; code: unknown }
  | { kind: 'unserializable'; message: string };

/** In the child: sends `message`. Returns false when it could not be serialized. */
export function sendResult(fd: number, message: ResultMessage): boolean {
  let bytes: Buffer;
  try {
    bytes = serialize(message);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    bytes = serialize({ kind: 'unserializable', message: reason } satisfies ResultMessage);
    writeAll(fd, bytes);
    return false;
  }
  writeAll(fd, bytes);
  return true;
}

function writeAll(fd: number, bytes: Buffer): void {
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset, bytes.length - offset);
    } catch (error) {
      // EPIPE: the parent stopped listening; the child still leaves.
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') continue;
      return;
    }
  }
}

/** The error fn threw, as sent to the parent (custom fields other than `code` are not kept). */
export function errorMessage(error: unknown): ResultMessage {
  if (error instanceof Error) {
    const { code } = error as Error & { code?: unknown };
    return {
      kind: 'error',
      name: error.name,
      message: error.message,
      stack: error.stack,
      code: typeof code === 'string' || typeof code === 'number' ? code : undefined,
    };
  }
  return {
    kind: 'error',
    name: 'Error',
    message: `fn threw a non-Error value: ${String(error)}`,
    stack: undefined,
    code: undefined,
  };
}

/** In the parent: reads the child's message. Resolves to null when the child sent none. */
export class ResultReader {
  readonly message: Promise<ResultMessage | null>;
  private readonly socket: Socket;

  constructor(fd: number) {
    this.socket = new Socket({ fd, readable: true, writable: false });
    const chunks: Buffer[] = [];
    this.message = new Promise((resolve) => {
      this.socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      this.socket.on('error', () => {
        // a read error ends the message like EOF; the exit status still tells what happened
      });
      this.socket.on('close', () => {
        resolve(chunks.length === 0 ? null : decode(Buffer.concat(chunks)));
      });
    });
  }

  ref(): void {
    this.socket.ref();
  }

  unref(): void {
    this.socket.unref();
  }

  /** In a child of this process: let go of the copy of the pipe, silently. */
  abandon(): void {
    this.socket.removeAllListeners();
    this.socket.on('error', () => undefined);
    this.socket.destroy();
  }
}

function decode(bytes: Buffer): ResultMessage {
  try {
    return deserialize(bytes) as ResultMessage;
  } catch (error) {
    return {
      kind: 'unserializable',
      message: `the child's message could not be read: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

/** The parent's rejection for a child whose fn threw: an Error carrying the child's stack. */
export function childError(message: Extract<ResultMessage, { kind: 'error' }>, pid: number): Error {
  const error = new Error(message.message);
  error.name = message.name;
  if (message.stack !== undefined) error.stack = message.stack;
  Object.defineProperty(error, 'pid', { value: pid, enumerable: true, configurable: true });
  if (message.code !== undefined) {
    Object.defineProperty(error, 'code', {
      value: message.code,
      enumerable: true,
      configurable: true,
    });
  }
  return error;
}

/** The parent's rejection for a value v8.serialize could not handle. */
export function unserializableError(reason: string, pid: number): Error {
  const error = forkexecError(
    'ERR_FORK_RESULT_UNSERIALIZABLE',
    `fork(fn): the value returned by fn in child ${pid} cannot be sent with v8.serialize: ${reason}`,
  );
  return error;
}
