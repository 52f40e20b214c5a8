/**
 * The program a `spawn` start method child runs: a fresh Node whose fd 3 is
 * the channel to its parent. Module-level code of each target runs again
 * here, as in Python's spawn start method.
 */
import { channelFromFd } from '../channel/framedChannel';
import { serveTasks } from './taskRunner';

const CHANNEL_FD = 3;

// When the parent closes the channel the work is over: leave even if a
// target left timers or sockets open, as a multiprocessing child does.
void serveTasks(channelFromFd(CHANNEL_FD)).then(() => {
  process.exit(0);
});
