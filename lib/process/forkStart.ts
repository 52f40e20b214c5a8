/**
 * The `fork` start method: the child is a copy of this process (fork() for
 * JavaScript), so function targets, closures and all state are there. It
 * serves tasks on a socketpair until the parent closes its end.
 */
import { fork } from '../fork';
import { binding } from '../native';
import * as posix from '../posix';
import { channelFromFd } from '../channel/framedChannel';
import type { ChildOptions, StartedChild } from './startedChild';
import type { TargetSpec } from './target';
import { isCommonJs } from './moduleLoad';
import { serveTasks } from './taskRunner';
import { watchedChild } from './watchedChild';

/**
 * A CommonJS module target is loaded here, in the parent, once: every child
 * then finds it loaded (the child's own load is a cache hit, see
 * moduleLoad.ts), and a module that throws at import throws here, before
 * any fork. ES module targets are imported by each child.
 */
function loadTargetInParent(target: TargetSpec | undefined): void {
  if (target?.kind !== 'module' || !isCommonJs(target.path)) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(target.path);
}

export function forkStart(options: ChildOptions = {}): StartedChild {
  const native = binding('the fork start method', 'Use the spawn start method instead.');
  loadTargetInParent(options.target);
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
