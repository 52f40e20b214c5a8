/**
 * A {@link StartedChild} made of a task channel and the {@link ExitWatch} on
 * the child (a fork() child offers the same calls).
 */
import type { ExitWatch } from '../exitWatch/watch';
import type { Channel } from '../channel/framedChannel';
import { setRefs } from './refs';
import type { StartedChild } from './startedChild';

export function watchedChild(
  watch: Pick<ExitWatch, 'pid' | 'exited' | 'kill' | 'ref' | 'unref'>,
  channel: Channel,
  firstFrame?: Buffer,
): StartedChild {
  // Now, not on the next tick: the child can start on it even while the
  // caller goes on with synchronous work.
  if (firstFrame !== undefined) channel.sendFrameNow(firstFrame);
  return {
    pid: watch.pid,
    channel,
    exited: watch.exited.then((s) => ({
      exitCode: s.exitCode,
      signal: s.signal,
      resourceUsage: s.resourceUsage,
    })),
    kill: (signal) => watch.kill(signal),
    setRef: (on) => {
      setRefs(on, watch, channel);
    },
  };
}
