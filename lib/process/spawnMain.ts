/**
 * The program a `spawn` start method child runs: a fresh Node whose fd 3 is
 * the channel to its parent. Module-level code of each target runs again
 * here, as in Python's spawn start method.
 *
 * It loads only what running a task needs (no addon, no `net` until it must
 * wait on the event loop; see SpawnChildChannel). The parent says how it
 * made fd 3 in the argument after this script, which is taken out of
 * process.argv before any target runs: {@link SPAWN_ONE_TASK} or
 * {@link SPAWN_TASKS} for the blocking socket of posix_spawn; none for
 * child_process's pipe (win32), read on the event loop from the start.
 */
import { channelFromFd } from '../channel/framedChannel';
import { serveBlockingChannel } from './spawnChildChannel';
import { SPAWN_ONE_TASK, SPAWN_TASKS } from './spawnMode';
import { serveTasks } from './taskRunner';

const CHANNEL_FD = 3;

// When the channel is done the work is over: leave even if a target left
// timers or sockets open, as a multiprocessing child does.
function leave(): void {
  process.exit(0);
}

const mode = process.argv[2];
if (mode === SPAWN_ONE_TASK || mode === SPAWN_TASKS) {
  process.argv.splice(2, 1);
  void serveBlockingChannel(CHANNEL_FD, mode === SPAWN_ONE_TASK).then(leave);
} else {
  void serveTasks(channelFromFd(CHANNEL_FD)).then(leave);
}
