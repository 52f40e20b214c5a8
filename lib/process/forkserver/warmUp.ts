/**
 * One task through the task runner in the server, before it forks any
 * child: the code a child runs for its request (the synchronous read of its
 * task, framing, loading a module target nobody preloaded, the runner, the
 * result encoding) is then compiled once, in the server, and every child
 * finds it ready in its copy instead of compiling it (and faulting fresh
 * pages for it) on the request's path. Nothing of a user's is loaded: the
 * target is warmUpTarget.ts, a module of our own.
 */
import { join } from 'node:path';
import { binding } from '../../native';
import { channelFromFd, encodeCompactTaskFrame } from '../../channel/framedChannel';
import * as posix from '../../posix';
import { serveBlockingChannel } from '../spawnChildChannel';

const WARM_UP_TARGET = {
  kind: 'module',
  path: join(__dirname, 'warmUpTarget.js'),
  export: 'warmUpTarget',
} as const;

/**
 * Runs one task the way a served child does (its task already in the
 * socket, read synchronously, answered, the channel done), both ends in this
 * process, and closes both.
 */
export async function warmTaskPath(): Promise<void> {
  const [clientEnd, runnerEnd] = binding('the forkserver').socketpair(false, true);
  const client = channelFromFd(clientEnd);
  const answered = new Promise((resolve) => client.once('message', resolve));
  // The frame a Process sends for a module target with primitive arguments.
  const frame = encodeCompactTaskFrame(1, 0, [1], false, WARM_UP_TARGET);
  if (frame === undefined) throw new Error('the warm-up task has no compact frame');
  client.sendFrameNow(frame);
  const served = serveBlockingChannel(runnerEnd, true);
  await answered;
  await served;
  posix.close(runnerEnd);
  client.close();
  await client.whenClosed;
}
