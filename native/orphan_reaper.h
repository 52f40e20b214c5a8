// Reaping the children whose environment went away.
//
// A child's exit is watched on the loop of the environment that started it
// (exit_watcher.cc). When that environment ends first (a Worker thread
// finishing, an unref'd child still running at exit), the loop is gone, and
// a child nobody reaps stays a zombie for the life of the process. Its pidfd
// is handed here instead: one thread for the whole process, free of V8 and
// libuv, that waits on those pidfds with epoll and reaps each child with
// waitid(P_PIDFD) on its own pidfd (never waitpid(-1)).
//
// A thread rather than the main loop: the addon may be loaded in Workers
// only, and once the main environment itself is closing no loop runs again;
// a thread needs no environment at all. It starts with the first orphan and
// blocks every signal (they are Node's). The addon is linked with
// -z nodelete (binding.gyp): a Worker that ends unloads the addons it
// loaded, and this thread must never run code that is no longer mapped.
#pragma once

namespace forkexec {

// Takes `pidfd` (of an unreaped child of this process) over: the child is
// reaped when it exits, and the pidfd closed.
void AdoptOrphan(int pidfd);

// In a forked child: drops the orphans inherited from the parent (their
// pidfds are copies; the children are the parent's to reap). Returns how many.
int ForgetInheritedOrphans();

}  // namespace forkexec
