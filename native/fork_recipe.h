// The fork recipe for a Node process, the one both posix.fork()
// (process_calls.cc) and fork() for JavaScript (js_fork.cc) follow:
//
//   1. find V8's MADV_DONTFORK mappings and mark them MADV_DOFORK
//      (fork_safety.h), or the child dies at its first touch of the heap;
//   2. fork (the caller's own call, so it can hold the threadpool around it);
//   3. on both sides, mark them MADV_DONTFORK again: the parent to be as it
//      was, the child so that its own child_process spawns stay cheap;
//   4. in the child, give the loop an epoll instance of its own
//      (uv_loop_fork); a child that shares the parent's must not go on.
//
// Each step is timed, so that the cost of the safety steps can be measured
// against the fork syscall itself.
#pragma once

#include <sys/types.h>
#include <uv.h>

#include "fork_safety.h"

namespace forkexec {

class ForkRecipe {
 public:
  // Step 1, before the fork. Returns 0, or the errno of the step that
  // failed (named by failed_syscall()) with nothing left changed.
  int BeforeFork(HeapScan how);
  // Steps 3 and 4, right after the fork, with the pid it returned. A child
  // whose loop cannot be made its own _exits(127) here. loop may be null
  // for a child that _exits without running anything.
  void AfterFork(pid_t pid, uv_loop_t* loop);

  const char* failed_syscall() const { return failed_syscall_; }
  const DontForkMappings& heap() const { return heap_; }
  double scan_ns() const { return scanned_ - started_; }
  double allow_ns() const { return allowed_ - scanned_; }
  double fork_ns() const { return forked_ - allowed_; }
  double restore_ns() const { return restored_ - forked_; }

 private:
  DontForkMappings heap_;
  const char* failed_syscall_ = nullptr;
  double started_ = 0;
  double scanned_ = 0;
  double allowed_ = 0;
  double forked_ = 0;
  double restored_ = 0;
};

}  // namespace forkexec
