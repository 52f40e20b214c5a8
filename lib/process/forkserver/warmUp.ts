/**
 * One task through the task runner in the server, before it forks any
 * child: the code a child runs for its request (channel, framing, the
 * runner, the result encoding) is then compiled once, in the server, and
 * every child finds it ready in its copy instead of compiling it (and
 * faulting fresh pages for it) on the request's path. Nothing of a user's
 * is loaded: the target is this module's own function.
 */
import { binding } from '../../native';
import { channelFromFd } from '../../channel/framedChannel';
import { serveTasks, type TaskMessage } from '../taskRunner';

/** The warm-up task's target. */
export function warmUpTarget(value: number): number {
  return value;
}

/** Runs one task from a channel to a runner, both in this process, and closes both. */
export async function warmTaskPath(): Promise<void> {
  const [clientEnd, runnerEnd] = binding('the forkserver').socketpair(false, true);
  const client = channelFromFd(clientEnd);
  const served = serveTasks(channelFromFd(runnerEnd));
  const answered = new Promise((resolve) => client.once('message', resolve));
  client.send({
    type: 'task',
    id: 1,
    target: { kind: 'module', path: __filename, export: 'warmUpTarget' },
    args: [1],
  } satisfies TaskMessage);
  await answered;
  client.close();
  await Promise.all([served, client.whenClosed]);
}
