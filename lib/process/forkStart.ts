/**
 * The `fork` start method: the child is a copy of this process (fork() for
 * JavaScript), so function targets, closures and all state are there. It
 * serves tasks on a socketpair until the parent closes its end.
 */
import { fork } from '../fork';
import { binding } from '../native';
import * as posix from '../posix';
import { channelFromFd } from '../channel/framedChannel';
import type { StartedChild } from './startedChild';
import { serveTasks } from './taskRunner';
import { watchedChild } from './watchedChild';

export function forkStart(): StartedChild {
  const native = binding('the fork start method', 'Use the spawn start method instead.');
  const [parentEnd, childEnd] = native.socketpair(false, true);
  let child: ReturnType<typeof fork<Promise<void>>>;
  try {
    child = fork(async () => {
      posix.close(parentEnd);
      await serveTasks(channelFromFd(childEnd));
    });
  } catch (error) {
    posix.close(parentEnd);
    posix.close(childEnd);
    throw error;
  }
  posix.close(childEnd);
  return watchedChild(child, channelFromFd(parentEnd));
}
