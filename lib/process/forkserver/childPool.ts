/**
 * The forkserver's children: a few forked ahead of requests (Android's USAP
 * pool), each waiting on a socketpair of its own, and the ones serving a
 * request. A request is handed to a waiting child (one message, no fork on
 * its path); the pool forks a replacement once the reply has gone out.
 * With no child waiting, the request gets a child forked for it.
 *
 * A fork blocks the server for milliseconds (the syscall, then its own
 * copy-on-write faults), and the server is the one that reaps: while a
 * child it just handed out is young, and others still wait, the replacement
 * waits for that child's exit (or its head start to run out), so a short
 * task's exit is not reported late because of it. When requests come back
 * to back there is no time to wait: the replacement is forked at once,
 * while the served child runs, and it does not pre-fault (it will serve
 * soon, and the CPU is better spent on the ones serving).
 *
 * A waiting child that died is dropped and replaced; the caller never sees
 * it. The hand-off waits for the child to say it took the channel, so a
 * child that dies while a request is on its way to it costs a retry with
 * another one, not the request.
 */
import { forkMovingRandomnessInChild, type ForkedChild } from '../../fork';
import { watchExit } from '../../exitWatcher';
import { binding } from '../../native';
import * as posix from '../../posix';
import type { WaitStatus } from '../../posix/wait';
import { serveBlockingChannel } from '../spawnChildChannel';
import { UsapSignal } from './protocol';
import { awaitRequest, type HandedRequest } from './usapChild';

const SIGKILL = 9;

/** A waiting child answers a hand-off within this, or it is replaced. */
const HAND_OFF_TIMEOUT_MS = 5_000;
/** How long a replacement waits for the exit of the child just handed out. */
const HEAD_START_MS = 50;
/** Requests closer than this to each other come back to back. */
const BACK_TO_BACK_MS = 100;

const ignore = (): void => undefined;

/**
 * Reaps the holder a served child left with its memory (our child too:
 * native/teardown_holder.cc). It exits once that child has, at the latest.
 */
function reapHolder(pid: number): void {
  try {
    watchExit(pid).exited.catch(ignore);
  } catch {
    // not ours after all (ECHILD), or gone: nothing to reap
  }
}

interface PooledChild {
  pid: number;
  child: ForkedChild<number>;
  /** The server's end of its socketpair; -1 once closed. */
  socket: number;
  /** It said it has started and waits (a hand-off then waits for no start-up). */
  ready: boolean;
  /** A request was handed to it (its exit goes to the client). */
  served: boolean;
  /** When (Date.now()) it was handed its request. */
  servedAt: number;
}

export class ChildPool {
  private readonly native = binding('the forkserver');
  private readonly waiting: PooledChild[] = [];
  private readonly children = new Map<number, PooledChild>();
  private refillPending = false;
  private refillTimer: NodeJS.Timeout | undefined;
  private lastRequestAt = 0;
  private backToBack = false;
  private closed = false;

  /**
   * @param size how many children wait ahead of requests.
   * @param controlFd the server's control socket (no child keeps it).
   * @param onServedExit a child that served a request was reaped.
   */
  constructor(
    private readonly size: number,
    private readonly controlFd: number,
    private readonly onServedExit: (pid: number, status: WaitStatus) => void,
  ) {}

  /** A child serving `channelFd` (the caller closes its copy): its pid. Throws if fork fails. */
  serve(channelFd: number, oneTask: boolean): number {
    const now = Date.now();
    this.backToBack = now - this.lastRequestAt < BACK_TO_BACK_MS;
    this.lastRequestAt = now;
    for (let usap = this.takeWaiting(); usap; usap = this.takeWaiting()) {
      if (this.handOff(usap, { fd: channelFd, oneTask })) return usap.pid;
      this.discard(usap);
    }
    return this.forkChild({ fd: channelFd, oneTask }, false).pid;
  }

  /** Forks replacements, one per turn of the loop, so requests in between come first. */
  refillSoon(): void {
    if (this.refillPending || this.closed || this.waiting.length >= this.size) return;
    const wait = this.headStartLeft();
    if (wait > 0) {
      this.refillTimer ??= setTimeout(() => {
        this.refillTimer = undefined;
        this.refillSoon();
      }, wait);
      return;
    }
    this.refillPending = true;
    setImmediate(() => {
      this.refillPending = false;
      if (this.closed || this.waiting.length >= this.size) return;
      try {
        this.waiting.push(this.forkChild(undefined, !this.backToBack));
      } catch {
        return; // out of processes or memory: requests fork for themselves
      }
      this.refillSoon();
    });
  }

  /** Kills every child (waiting or serving) and waits until each is reaped. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.refillTimer);
    const all = [...this.children.values()];
    for (const entry of all) entry.child.kill('SIGKILL');
    await Promise.all(all.map((entry) => entry.child.exited));
  }

  /** How long a refill still waits for a young served child (0 when none, or nothing waits). */
  private headStartLeft(): number {
    if (this.waiting.length === 0 || this.backToBack) return 0;
    const now = Date.now();
    let left = 0;
    for (const entry of this.children.values()) {
      if (entry.served) left = Math.max(left, entry.servedAt + HEAD_START_MS - now);
    }
    return left;
  }

  /** The waiting child to use: the first that said it waits, else the oldest. */
  private takeWaiting(): PooledChild | undefined {
    for (const usap of [...this.waiting]) {
      this.readSignals(usap);
      if (usap.socket >= 0) continue;
      this.waiting.splice(this.waiting.indexOf(usap), 1);
      this.discard(usap);
    }
    const at = Math.max(
      this.waiting.findIndex((usap) => usap.ready),
      0,
    );
    return this.waiting.splice(at, 1)[0];
  }

  /** Reads what a waiting child said without blocking; closes its socket at EOF. */
  private readSignals(usap: PooledChild): number | undefined {
    let last: number | undefined;
    while (usap.socket >= 0) {
      let message: { data: Buffer; fds: number[] } | null;
      try {
        message = this.native.recvFds(usap.socket, 1);
      } catch {
        message = { data: Buffer.alloc(0), fds: [] };
      }
      if (message === null) return last;
      for (const fd of message.fds) posix.close(fd);
      if (message.data.length === 0) {
        this.closeSocket(usap);
        return last;
      }
      last = message.data[0];
      if (last === UsapSignal.ready) usap.ready = true;
      if (last === UsapSignal.taken) return last;
    }
    return last;
  }

  /** Sends the channel to a waiting child; true once it says it took it. */
  private handOff(usap: PooledChild, request: HandedRequest): boolean {
    const signal = request.oneTask ? UsapSignal.handOffOneTask : UsapSignal.handOff;
    try {
      this.native.sendFds(usap.socket, Buffer.of(signal), [request.fd]);
    } catch {
      return false;
    }
    const deadline = Date.now() + HAND_OFF_TIMEOUT_MS;
    for (let left = HAND_OFF_TIMEOUT_MS; left > 0; left = deadline - Date.now()) {
      if (!this.native.pollReadable(usap.socket, left)) break;
      const said = this.readSignals(usap);
      if (said === UsapSignal.taken) {
        usap.served = true;
        usap.servedAt = Date.now();
        this.closeSocket(usap);
        return true;
      }
      if (usap.socket < 0) return false;
    }
    return false;
  }

  /** Drops a waiting child that cannot serve: killed (if still there) and, when reaped, replaced. */
  private discard(usap: PooledChild): void {
    this.closeSocket(usap);
    usap.child.kill('SIGKILL');
  }

  private closeSocket(usap: PooledChild): void {
    if (usap.socket >= 0) posix.close(usap.socket);
    usap.socket = -1;
  }

  /** Forks a child: for `request` at once, or (undefined) one that waits on a socketpair. */
  private forkChild(request: HandedRequest | undefined, prefault: boolean): PooledChild {
    const serverPid = process.pid;
    const controlFd = this.controlFd;
    // The server's ends of the waiting children's sockets: no child keeps them.
    const serverEnds = [...this.children.values()].map((u) => u.socket).filter((fd) => fd >= 0);
    let pair: [number, number] | undefined;
    if (request === undefined) {
      pair = this.native.socketpair(true, true);
      serverEnds.push(pair[0]);
    }
    const childEnd = pair?.[1];
    let child: ForkedChild<number>;
    try {
      child = forkMovingRandomnessInChild(async () => {
        // Die with the server; a server that died before that leaves it orphaned here.
        this.native.setPdeathsig(SIGKILL);
        if (posix.getppid() !== serverPid) return 0;
        posix.close(controlFd);
        for (const fd of serverEnds) posix.close(fd);
        const handed = childEnd === undefined ? request : awaitRequest(childEnd, prefault);
        if (childEnd !== undefined) posix.close(childEnd);
        if (!handed) return 0;
        await serveBlockingChannel(handed.fd, handed.oneTask);
        // The answers are out: the kernel's teardown of this copy of the
        // server need not come before the exit status the client waits for.
        return this.native.holdMemoryTeardown();
      });
    } catch (error) {
      if (pair) for (const fd of pair) posix.close(fd);
      throw error;
    }
    if (childEnd !== undefined) posix.close(childEnd);
    const entry: PooledChild = {
      pid: child.pid,
      child,
      socket: pair?.[0] ?? -1,
      ready: false,
      served: request !== undefined,
      servedAt: Date.now(),
    };
    this.children.set(entry.pid, entry);
    void child.exited.then((status) => {
      this.reaped(entry, status);
    });
    void child.then(({ value }) => {
      if (value !== undefined && value > 0) reapHolder(value);
    }, ignore);
    return entry;
  }

  private reaped(entry: PooledChild, status: WaitStatus): void {
    this.children.delete(entry.pid);
    if (entry.served) {
      this.onServedExit(entry.pid, status);
      this.refillSoon();
      return;
    }
    // A waiting child died unused: nobody asked for it, so nobody hears of it.
    const at = this.waiting.indexOf(entry);
    if (at >= 0) this.waiting.splice(at, 1);
    this.closeSocket(entry);
    this.refillSoon();
  }
}
