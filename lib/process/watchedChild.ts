/** A {@link StartedChild} made of a task channel and the {@link ExitWatch} on the child. */
import type { ExitWatch } from '../exitWatcher';
import type { Channel } from './channel';
import { setRefs } from './refs';
import type { StartedChild } from './startedChild';

export function watchedChild(watch: ExitWatch, channel: Channel): StartedChild {
  return {
    pid: watch.pid,
    channel,
    exited: watch.exited.then((s) => ({ exitCode: s.exitCode, signal: s.signal })),
    kill: (signal) => watch.kill(signal),
    setRef: (on) => {
      setRefs(on, watch, channel);
    },
  };
}
