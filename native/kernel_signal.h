// Signal dispositions through the raw rt_sigaction syscall.
//
// glibc keeps signals 32 and 33 (SIGCANCEL, SIGSETXID) for itself: its
// sigaction() answers EINVAL for them and its posix_spawn leaves them ignored
// in the child. A program started by a shell has no signal ignored, so both
// the child path and exec set these two with the kernel's own call. Only the
// handler is set, to SIG_DFL or SIG_IGN (which need no restorer). Async-signal-
// safe: the child path uses it.
#pragma once

#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child_path.h"

#if defined(__x86_64__) || defined(__aarch64__)
// The kernel's struct sigaction on these architectures (both define SA_RESTORER).
struct KernelSigaction {
  void (*handler)(int);
  unsigned long flags;
  void (*restorer)(void);
  unsigned long mask;
};

// The highest signal number the kernel knows (glibc's NSIG is one more).
#define KERNEL_SIGNAL_MAX 64

// Sets the disposition of `sig` to SIG_DFL or SIG_IGN; 0 or -1 with errno.
FORKEXEC_CHILD_PATH static inline int KernelSetDisposition(int sig, void (*handler)(int)) {
  struct KernelSigaction action = {handler, 0, 0, 0};
  return (int)syscall(SYS_rt_sigaction, sig, &action, (void*)0, sizeof action.mask);
}

// 1 if `sig` is ignored, 0 if not, -1 with errno.
FORKEXEC_CHILD_PATH static inline int KernelIsIgnored(int sig) {
  struct KernelSigaction old;
  if (syscall(SYS_rt_sigaction, sig, (void*)0, &old, sizeof old.mask) != 0) return -1;
  return old.handler == SIG_IGN;
}
#else
// Elsewhere glibc's sigaction, which cannot reach its two internal signals:
// those are left as they are (EINVAL counts as done).
#define KERNEL_SIGNAL_MAX (NSIG - 1)

FORKEXEC_CHILD_PATH static inline int KernelSetDisposition(int sig, void (*handler)(int)) {
  struct sigaction action;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;
  action.sa_handler = handler;
  return sigaction(sig, &action, 0) == 0 || errno == EINVAL ? 0 : -1;
}

FORKEXEC_CHILD_PATH static inline int KernelIsIgnored(int sig) {
  struct sigaction old;
  if (sigaction(sig, 0, &old) != 0) return -1;
  return old.sa_handler == SIG_IGN;
}
#endif
