#include "fork_recipe.h"

#include <errno.h>
#include <time.h>
#include <unistd.h>

namespace forkexec {

namespace {

double NowNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

}  // namespace

int ForkRecipe::BeforeFork(HeapScan how) {
  started_ = NowNs();
  int err = heap_.Scan(how);
  scanned_ = NowNs();
  if (err != 0) {
    failed_syscall_ = "open";
    return err;
  }
  err = heap_.AllowFork();
  allowed_ = NowNs();
  if (err != 0) failed_syscall_ = "madvise";
  return err;
}

void ForkRecipe::AfterFork(pid_t pid, uv_loop_t* loop) {
  int fork_errno = errno;
  forked_ = NowNs();
  heap_.Restore();
  restored_ = NowNs();
  if (pid == 0 && loop != nullptr && uv_loop_fork(loop) != 0) _exit(127);
  errno = fork_errno;
}

}  // namespace forkexec
