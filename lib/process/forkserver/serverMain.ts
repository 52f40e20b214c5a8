/**
 * The forkserver: `node --single-threaded serverMain.js <config>`, with its
 * control socket at fd 3. Started clean (V8 single-threaded from start-up,
 * nothing but the preloaded modules), it keeps a few children forked ahead
 * of requests (childPool.ts) and gives each request one of them; each child
 * serves its tasks and leaves. When its parent goes away the server kills
 * and reaps its children and exits.
 */
import { pathToFileURL } from 'node:url';
import { binding } from '../../native';
import * as posix from '../../posix';
import { encodeError } from '../../channel/resultCodec';
import { ChildPool } from './childPool';
import { warmTaskPath } from './warmUp';
import {
  MAX_MESSAGE,
  decodeRequest,
  encode,
  type Reply,
  type Request,
  type ServerConfig,
} from './protocol';

const CONTROL_FD = 3;
const WARM_ESM_LOADER = 'data:text/javascript,export default 0';
const SIGKILL = 9;

const native = binding('the forkserver');
let pool: ChildPool | undefined;
let closing = false;

function reply(message: Reply, fds: number[] = []): void {
  if (!closing) native.sendFds(CONTROL_FD, encode(message), fds);
}

function serveRequest(children: ChildPool, request: Request, fds: number[]): void {
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
  let pid: number;
  try {
    pid = children.serve(channelFd, request.oneTask);
  } catch (error) {
    reply({ type: 'failed', id: request.id, error: encodeError(error) });
    return;
  } finally {
    posix.close(channelFd);
  }
  // The pidfd is opened while the child cannot have been reaped yet (we are
  // its parent and have not waited): the client can signal it safely.
  const pidfd = native.pidfdOpen(pid, 0);
  try {
    reply({ type: 'forked', id: request.id, pid }, [pidfd]);
  } finally {
    posix.close(pidfd);
  }
}

async function shutdown(): Promise<void> {
  if (closing) return;
  closing = true;
  await pool?.close();
  process.exit(0);
}

function drain(children: ChildPool): void {
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
    if (request.type === 'fork') serveRequest(children, request, message.fds);
    else for (const fd of message.fds) posix.close(fd);
    // Replacements are forked once this request's reply is out.
    children.refillSoon();
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
  await warmTaskPath();
  const children = new ChildPool(config.prefork, CONTROL_FD, (pid, status) => {
    reply({ type: 'exit', pid, status });
  });
  pool = children;
  // The watcher lives as long as the server (it holds itself while polling).
  new native.ReadinessWatcher(CONTROL_FD, () => {
    drain(children);
  });
  drain(children);
  children.refillSoon();
}

main().catch((error: unknown) => {
  process.stderr.write(
    `forkexec forkserver: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
