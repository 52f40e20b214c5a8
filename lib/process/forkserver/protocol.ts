/**
 * What travels on the forkserver's control socket (SOCK_SEQPACKET: one
 * message per request or reply, each with its own fds).
 *
 * - client -> server: `fork`, with the child's end of its task channel (fd).
 * - server -> client: `forked` with the child's pid and a pidfd for it (fd),
 *   or `failed`; later `exit`, with its wait status, when the server has
 *   reaped that child.
 *
 * A pre-forked child and the server talk on a socketpair of their own, in
 * one-byte messages ({@link UsapSignal}).
 */
import { deserialize, serialize } from 'node:v8';
import type { WaitStatus } from '../../posix/wait';
import type { EncodedError } from '../../channel/resultCodec';

/** `oneTask`: the child serves one task (a Process) and leaves once its answer is written. */
export type Request = { type: 'fork'; id: number; oneTask: boolean };

export type Reply =
  | { type: 'forked'; id: number; pid: number }
  | { type: 'failed'; id: number; error: EncodedError }
  | { type: 'exit'; pid: number; status: WaitStatus };

export const MAX_MESSAGE = 64 * 1024;

/** What the server starts with (its argv[2], JSON). */
export interface ServerConfig {
  preload: string[];
  /** How many children it keeps forked ahead of requests. */
  prefork: number;
  parentPid: number;
}

/** Between the server and a pre-forked child. */
export const UsapSignal = {
  /** server -> child, with the request's channel fd: serve it. */
  handOff: 1,
  /** server -> child, with the request's channel fd: serve its one task, then leave. */
  handOffOneTask: 4,
  /** child -> server: it has started and waits (it pre-faults meanwhile). */
  ready: 2,
  /** child -> server: it has the channel fd (the server may reply `forked`). */
  taken: 3,
} as const;

export function encode(message: Request | Reply): Buffer {
  return serialize(message);
}

export function decodeRequest(data: Buffer): Request {
  return deserialize(data) as Request;
}

export function decodeReply(data: Buffer): Reply {
  return deserialize(data) as Reply;
}
