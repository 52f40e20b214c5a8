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
 * A module target is loaded here, in the parent, once: every child then
 * finds it loaded (its own load is a cache hit, see moduleLoad.ts, with no
 * ESM loader to set up), and a module that throws at import throws here,
 * before any fork. An ES module is loaded with require() where Node has it
 * (`process.features.require_module`); one with top-level await, which
 * require() cannot load, and any ES module on a Node without it, is
 * imported by each child.
 */
function loadTargetInParent(target: TargetSpec | undefined): void {
  if (target?.kind !== 'module') return;
  const esm = !isCommonJs(target.path);
  if (esm && !(process.features as { require_module?: boolean }).require_module) return;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(target.path);
  } catch (error) {
    if (esm && (error as { code?: unknown }).code === 'ERR_REQUIRE_ASYNC_MODULE') return;
    throw error;
  }
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
  return watchedChild(child, channelFromFd(parentEnd), options.firstFrame);
}
