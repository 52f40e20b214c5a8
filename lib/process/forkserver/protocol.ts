/**
 * What travels on the forkserver's control socket (SOCK_SEQPACKET: one
 * message per request or reply, each with its own fds).
 *
 * - client -> server: `fork`, with the child's end of its task channel (fd).
 * - server -> client: `forked` with the child's pid and a pidfd for it (fd),
 *   or `failed`; later `exit`, with its wait status, when the server has
 *   reaped that child.
 */
import { deserialize, serialize } from 'node:v8';
import type { WaitStatus } from '../../posix/wait';
import type { EncodedError } from '../../channel/resultCodec';

export type Request = { type: 'fork'; id: number };

export type Reply =
  | { type: 'forked'; id: number; pid: number }
  | { type: 'failed'; id: number; error: EncodedError }
  | { type: 'exit'; pid: number; status: WaitStatus };

export const MAX_MESSAGE = 64 * 1024;

export function encode(message: Request | Reply): Buffer {
  return serialize(message);
}

export function decodeRequest(data: Buffer): Request {
  return deserialize(data) as Request;
}

export function decodeReply(data: Buffer): Reply {
  return deserialize(data) as Reply;
}
