/**
 * A pre-forked forkserver child (Android's zygote calls them USAPs) while it
 * waits: it takes its copy-on-write faults ahead of time, tells the server
 * it is ready, then blocks until the server hands it the channel of one
 * request. Blocking is all it has to do: it has no loop work, and it dies
 * with the server (pdeathsig) or leaves when the server closes its socket.
 */
import { binding } from '../../native';
import * as posix from '../../posix';
import { UsapSignal } from './protocol';

const WAIT_FOREVER = -1;
/**
 * A child taken within this of its start is not pre-faulted: it is about
 * to serve, and pre-faulting would only take CPU from the ones serving (a
 * copy of all the server's memory, against the few pages a request writes).
 */
const PREFAULT_AFTER_MS = 50;

function signalServer(socket: number, signal: number): void {
  try {
    binding('the forkserver').sendFds(socket, Buffer.of(signal), []);
  } catch {
    // The server closed its end: the next read says so.
  }
}

/** A request's channel, as a child gets it (the client sent its first task already, if it had one). */
export interface HandedRequest {
  fd: number;
  /** Serve one task and leave once its answer is written (a Process). */
  oneTask: boolean;
}

/**
 * Waits on `socket` for a request's channel fd; with `prefault`, pre-faults
 * this child's memory meanwhile, once it has waited a little (until the
 * request comes). Null when the server closed the socket instead: nobody
 * needs this child any more.
 */
export function awaitRequest(socket: number, prefault: boolean): HandedRequest | null {
  const native = binding('the forkserver');
  signalServer(socket, UsapSignal.ready);
  if (prefault && !native.pollReadable(socket, PREFAULT_AFTER_MS)) {
    native.prefaultPrivateMemory(socket);
  }
  for (;;) {
    native.pollReadable(socket, WAIT_FOREVER);
    let message: { data: Buffer; fds: number[] } | null;
    try {
      message = native.recvFds(socket, 1);
    } catch {
      return null;
    }
    if (message === null) continue;
    if (message.data.length === 0) return null;
    const [channelFd, ...extra] = message.fds;
    for (const fd of extra) posix.close(fd);
    const signal = message.data[0];
    const handOff = signal === UsapSignal.handOff || signal === UsapSignal.handOffOneTask;
    if (!handOff || channelFd === undefined) {
      if (channelFd !== undefined) posix.close(channelFd);
      continue;
    }
    signalServer(socket, UsapSignal.taken);
    return { fd: channelFd, oneTask: signal === UsapSignal.handOffOneTask };
  }
}
