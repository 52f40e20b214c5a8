/**
 * The forkserver: `node --single-threaded serverMain.js <config>`, with its
 * control socket at fd 3. Started clean (V8 single-threaded from start-up,
 * nothing but the preloaded modules), it forks one child per request; each
 * child serves its tasks and leaves. When its parent goes away the server
 * kills and reaps its children and exits.
 */
import { pathToFileURL } from 'node:url';
import { fork } from '../../fork';
import { binding } from '../../native';
import * as posix from '../../posix';
import { channelFromFd } from '../../channel/framedChannel';
import { encodeError } from '../../channel/resultCodec';
import { serveTasks } from '../taskRunner';
import { MAX_MESSAGE, decodeRequest, encode, type Reply, type Request } from './protocol';

const CONTROL_FD = 3;
const WARM_ESM_LOADER = 'data:text/javascript,export default 0';
const SIGKILL = 9;

interface ServerConfig {
  preload: string[];
  parentPid: number;
}

const native = binding('the forkserver');
const children = new Map<number, ReturnType<typeof fork<Promise<void>>>>();
let closing = false;

function reply(message: Reply, fds: number[] = []): void {
  if (!closing) native.sendFds(CONTROL_FD, encode(message), fds);
}

function forkChild(request: Request, fds: number[]): void {
  const [channelFd, ...extra] = fds;
  for (const fd of extra) posix.close(fd);
  if (channelFd === undefined) {
    reply({
      type: 'failed',
      id: request.id,
      error: { name: 'Error', message: 'fork request without a channel fd' },
    });
    return;
  }
  let child: ReturnType<typeof fork<Promise<void>>>;
  try {
    child = fork(async () => {
      // Die with the server, and hold nothing of its control socket.
      native.setPdeathsig(SIGKILL);
      posix.close(CONTROL_FD);
      await serveTasks(channelFromFd(channelFd));
    });
  } catch (error) {
    posix.close(channelFd);
    reply({ type: 'failed', id: request.id, error: encodeError(error) });
    return;
  }
  posix.close(channelFd);
  const pid = child.pid;
  // The pidfd is opened while the child cannot have been reaped yet (we are
  // its parent and have not waited): the client can signal it safely.
  const pidfd = native.pidfdOpen(pid, 0);
  try {
    reply({ type: 'forked', id: request.id, pid }, [pidfd]);
  } finally {
    posix.close(pidfd);
  }
  children.set(pid, child);
  void child.exited.then((status) => {
    children.delete(pid);
    reply({ type: 'exit', pid, status });
  });
}

async function shutdown(): Promise<void> {
  if (closing) return;
  closing = true;
  for (const child of children.values()) child.kill('SIGKILL');
  await Promise.all([...children.values()].map((c) => c.exited));
  process.exit(0);
}

function drain(): void {
  for (;;) {
    let message: { data: Buffer; fds: number[] } | null;
    try {
      message = native.recvFds(CONTROL_FD, MAX_MESSAGE);
    } catch {
      void shutdown();
      return;
    }
    if (message === null) return;
    // End of stream: the parent closed its end or died.
    if (message.data.length === 0) {
      void shutdown();
      return;
    }
    const request = decodeRequest(message.data);
    if (request.type === 'fork') forkChild(request, message.fds);
    else for (const fd of message.fds) posix.close(fd);
  }
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as ServerConfig;
  // Die with the parent even if its end of the socket were somehow held open.
  native.setPdeathsig(SIGKILL);
  // Only the process that started the server may use it.
  if (
    posix.getppid() !== config.parentPid ||
    native.peerCredentials(CONTROL_FD).pid !== config.parentPid
  ) {
    process.exit(2);
  }
  for (const module of config.preload) {
    await import(module.startsWith('/') ? pathToFileURL(module).href : module);
  }
  // Node sets its ESM loader up at a process's first import(), about 13 ms
  // here: done once in the server, so an ES module target that nobody
  // preloaded costs its children only its own loading.
  await import(WARM_ESM_LOADER);
  // The watcher lives as long as the server (it holds itself while polling).
  new native.ReadinessWatcher(CONTROL_FD, () => {
    drain();
  });
  drain();
}

main().catch((error: unknown) => {
  process.stderr.write(
    `forkexec forkserver: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
