/**
 * The parent's side of the forkserver: starts the server on first use (or
 * on `forkserver.start()`), asks it for children, and learns of their exits.
 *
 * The control socket is one end of a socketpair that only this process
 * holds (a forked child of ours closes its copy), so no other process can
 * talk to the server. Asking for a child waits synchronously, with a bound,
 * for the server's reply: like Python's forkserver, and so that
 * `Process.start()` knows the pid at once. Exits arrive on the event loop.
 */
import { join } from 'node:path';
import { atFork, safeModeFlags } from '../../fork';
import { callNative, forkexecError } from '../../errors';
import { statusFromExit, type ExitWatch } from '../../exitWatch/watch';
import { watchServedChild, type ServedExitWatch } from '../../exitWatch/served';
import { binding, type NativeReadinessWatcher } from '../../native';
import * as posix from '../../posix';
import { OwnedFd } from '../../ownedFd';
import { channelFromFd } from '../../channel/framedChannel';
import { childError } from '../../channel/resultCodec';
import { childExecArgv, spawnNodeHelper } from '../spawnNodeHelper';
import type { ChildOptions, StartedChild } from '../startedChild';
import { watchedChild } from '../watchedChild';
import {
  MAX_MESSAGE,
  decodeReply,
  encode,
  type Reply,
  type Request,
  type ServerConfig,
} from './protocol';

const SERVER_MAIN = join(__dirname, 'serverMain.js');
const SIGKILL = 9;
/** The first request also waits for the server to boot and preload. */
const REPLY_TIMEOUT_MS = 30_000;

interface Server {
  pid: number;
  control: number;
  watch: ExitWatch;
  readiness: NativeReadinessWatcher;
}

/** How many children the server keeps forked ahead of requests unless told otherwise. */
export const DEFAULT_PREFORK = 2;

let preload: string[] = [];
let prefork = DEFAULT_PREFORK;
let server: Server | null = null;
const served = new Map<number, ServedExitWatch>();
let nextId = 1;

function native() {
  return binding('the forkserver start method', 'Use the spawn start method instead.');
}

function errnoCode(error: unknown): string | undefined {
  return (error as { code?: string } | null)?.code;
}

/** What the next server starts with: the modules it imports before it forks, its pool size. */
export function setServerOptions(options: { preload: string[]; prefork: number }): void {
  preload = [...options.preload];
  prefork = options.prefork;
}

export function serverPid(): number | undefined {
  return server?.pid;
}

function startServer(): Server {
  const n = native();
  const flags = childExecArgv().filter(
    (a) => !/^--(no-)?(single[-_]threaded|minor[-_]ms)\b/.test(a),
  );
  const {
    pid,
    channelFd: control,
    watch,
  } = spawnNodeHelper(
    {
      argv: [
        SERVER_MAIN,
        JSON.stringify({ preload, prefork, parentPid: process.pid } satisfies ServerConfig),
      ],
      execArgv: [...safeModeFlags(), ...flags],
      seqpacket: true,
    },
    'the forkserver start method',
  );
  watch.unref();
  const readiness = new n.ReadinessWatcher(control, () => {
    drain();
  });
  readiness.unref();
  const started: Server = { pid, control, watch, readiness };
  void watch.exited.then(() => {
    if (server === started) serverGone();
  });
  return started;
}

/** Settles every served child as killed (they die with the server: pdeathsig). */
function settleAllKilled(): void {
  for (const [pid, child] of served) {
    child.report(statusFromExit(pid, null, 'SIGKILL'));
    served.delete(pid);
  }
}

/** The server died or was stopped: its children die with it (pdeathsig); settle them. */
function serverGone(): void {
  const gone = server;
  server = null;
  if (gone) {
    gone.readiness.close();
    posix.close(gone.control);
  }
  for (const child of served.values()) {
    try {
      child.kill(SIGKILL);
    } catch {
      // already gone
    }
  }
  settleAllKilled();
}

function updateRef(): void {
  if (!server) return;
  // Exits must be able to arrive while someone waits for one.
  const wanted = [...served.values()].some((c) => c.referenced);
  if (wanted) server.readiness.ref();
  else server.readiness.unref();
}

function dispatch(message: Reply, fds: number[]): void {
  if (message.type === 'exit') {
    const child = served.get(message.pid);
    if (!child) return;
    served.delete(message.pid);
    child.report(message.status);
    updateRef();
    return;
  }
  // A reply nobody waits for (its request timed out): do not leave the child running.
  for (const fd of fds) {
    try {
      posix.pidfdSendSignal(fd, SIGKILL);
    } catch {
      // not a pidfd, or already gone
    }
    posix.close(fd);
  }
}

/**
 * One message from the server without blocking: null when none waits,
 * 'gone' when the server closed its end or died with our request unread
 * (the kernel then reports ECONNRESET rather than EOF).
 */
function receive(control: number): { data: Buffer; fds: number[] } | 'gone' | null {
  let message;
  try {
    message = callNative(() => native().recvFds(control, MAX_MESSAGE));
  } catch (error) {
    if (errnoCode(error) === 'ECONNRESET') return 'gone';
    throw error;
  }
  if (message === null) return null;
  return message.data.length === 0 ? 'gone' : message;
}

/** Reads what the server sent, without blocking. */
function drain(): void {
  while (server) {
    const message = receive(server.control);
    if (message === null) return;
    if (message === 'gone') {
      serverGone();
      return;
    }
    dispatch(decodeReply(message.data), message.fds);
  }
}

function waitReply(control: number, id: number): { reply: Reply; fds: number[] } {
  const n = native();
  const deadline = Date.now() + REPLY_TIMEOUT_MS;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0 || !n.pollReadable(control, left)) {
      // A server that does not answer is of no use: the next request starts a new one.
      if (server) posix.kill(server.pid, 'SIGKILL');
      throw forkexecError(
        'ERR_FORKSERVER_TIMEOUT',
        `The forkserver did not answer within ${REPLY_TIMEOUT_MS} ms`,
      );
    }
    const message = receive(control);
    if (message === null) continue;
    if (message === 'gone') {
      serverGone();
      throw forkexecError('ERR_FORKSERVER_DIED', 'The forkserver exited before it answered');
    }
    const reply = decodeReply(message.data);
    if (reply.type !== 'exit' && reply.id === id) return { reply, fds: message.fds };
    dispatch(reply, message.fds);
  }
}

function send(channelFd: number, request: Request): Server {
  for (let attempt = 0; ; attempt++) {
    server ??= startServer();
    try {
      const control = server.control;
      callNative(() => native().sendFds(control, encode(request), [channelFd]));
      return server;
    } catch (error) {
      // A server that was killed: start another, once.
      if (attempt === 0 && ['EPIPE', 'ECONNRESET', 'ENOTCONN'].includes(errnoCode(error) ?? '')) {
        posix.kill(server.pid, 'SIGKILL');
        serverGone();
        continue;
      }
      throw error;
    }
  }
}

/** Asks the server for a child that serves tasks; the server is started if needed. */
export function forkserverStart(options: ChildOptions = {}): StartedChild {
  const n = native();
  const [parentEnd, childFd] = n.socketpair(false, true);
  // Closed as soon as it is sent: a failure after that must not close the
  // number again (it may be another thread's file by then).
  const childEnd = new OwnedFd(childFd);
  const channel = channelFromFd(parentEnd);
  // In the socket before the request leaves: the child that takes the
  // channel reads its task at once, while our reply is still on its way.
  if (options.firstFrame !== undefined) channel.sendFrameNow(options.firstFrame);
  const id = nextId++;
  let answer: { reply: Reply; fds: number[] };
  try {
    const current = send(childFd, { type: 'fork', id, oneTask: options.oneTask === true });
    childEnd.close();
    answer = waitReply(current.control, id);
  } catch (error) {
    childEnd.close();
    channel.destroy();
    throw error;
  }
  const { reply, fds } = answer;
  if (reply.type === 'failed') {
    channel.destroy();
    throw childError(reply.error, 0);
  }
  if (reply.type !== 'forked' || fds[0] === undefined) {
    channel.destroy();
    throw forkexecError('ERR_FORKSERVER_PROTOCOL', 'The forkserver sent an unexpected reply');
  }
  const watch = watchServedChild(reply.pid, fds[0], updateRef);
  served.set(reply.pid, watch);
  updateRef();
  return watchedChild(watch, channel);
}

/** Starts the server now (with `preload` imported before it forks). */
export function startForkserver(): void {
  server ??= startServer();
}

/** Closes the control socket; the server kills its children and exits. */
export async function stopForkserver(): Promise<void> {
  const current = server;
  if (!current) return;
  current.watch.ref();
  posix.close(current.control);
  current.readiness.close();
  server = null;
  await current.watch.exited;
  settleAllKilled();
}

// A forked child of ours has copies of the control socket and the pidfds:
// it must not talk to our server or signal our children. It starts its own
// server if it needs one.
atFork({
  afterInChild: () => {
    if (server) posix.close(server.control);
    server = null;
    for (const child of served.values()) child.forget();
    served.clear();
  },
});
