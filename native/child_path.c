// The child path, in plain C. See child_path.h for the contract.
//
// Only async-signal-safe calls below this line. Everything that allocates
// (argv, envp, the fd map, PATH resolution) was done by the parent; the child
// only walks the plan. Each step is one line that ends in Fail() on error:
// Fail writes {errno, step} to the close-on-exec error pipe and _exit(127)s.
// The parent reads that pipe: EOF means execve succeeded.
#include "child_path.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kernel_signal.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

const char* ChildStepSyscall(int step) {
  switch (step) {
    case CHILD_STEP_SIGACTION:
      return "sigaction";
    case CHILD_STEP_SETSID:
      return "setsid";
    case CHILD_STEP_SETPGID:
      return "setpgid";
    case CHILD_STEP_MOVE_FD:
      return "fcntl";
    case CHILD_STEP_DUP2:
      return "dup2";
    case CHILD_STEP_OPEN_DEVNULL:
      return "open";
    case CHILD_STEP_CLEAR_NONBLOCK:
      return "fcntl";
    case CHILD_STEP_CHDIR:
      return "chdir";
    case CHILD_STEP_SETRLIMIT:
      return "setrlimit";
    case CHILD_STEP_SETGROUPS:
      return "setgroups";
    case CHILD_STEP_SETGID:
      return "setgid";
    case CHILD_STEP_SETUID:
      return "setuid";
    case CHILD_STEP_PDEATHSIG:
      return "prctl";
    case CHILD_STEP_SIGMASK:
      return "sigprocmask";
    case CHILD_STEP_EXECVE:
      return "execve";
    default:
      return "spawn";
  }
}

__attribute__((noreturn)) FORKEXEC_CHILD_PATH static void Fail(int error_fd, int step) {
  ChildPathError report;
  report.err = errno;
  report.step = step;
  ssize_t n;
  do {
    n = write(error_fd, &report, sizeof report);
  } while (n < 0 && errno == EINTR);
  _exit(127);
}

// The decimal fd number of a /proc/self/fd entry, or -1.
FORKEXEC_CHILD_PATH static int ParseFd(const char* name) {
  int fd = 0;
  if (*name == '\0') return -1;
  for (; *name != '\0'; name++) {
    if (*name < '0' || *name > '9' || fd > (INT32_MAX - 9) / 10) return -1;
    fd = fd * 10 + (*name - '0');
  }
  return fd;
}

struct LinuxDirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

// Closes every fd >= lowest except keep. Three layers, as the kernel allows
// (none can fail in a way worth stopping for: an fd that will not close is
// one the child did not have):
// close_range marking them close-on-exec (5.11, one syscall, keeps the error
// pipe usable until exec), plain close_range around keep (5.9), then the
// entries of /proc/self/fd, then every number up to RLIMIT_NOFILE.
FORKEXEC_CHILD_PATH static void CloseFdsFrom(int lowest, int keep) {
  if (syscall(SYS_close_range, lowest, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
  if (keep < lowest || syscall(SYS_close_range, lowest, keep - 1, 0) == 0) {
    unsigned int from = (unsigned int)(keep < lowest ? lowest : keep + 1);
    if (syscall(SYS_close_range, from, ~0U, 0) == 0) return;
  }

  int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    // Aligned for the dirent structs the kernel writes into it.
    char buffer[4096] __attribute__((aligned(8)));
    for (;;) {
      long n = syscall(SYS_getdents64, dir, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      for (long pos = 0; pos < n;) {
        struct LinuxDirent64* entry = (struct LinuxDirent64*)(buffer + pos);
        int fd = ParseFd(entry->d_name);
        if (fd >= lowest && fd != keep && fd != dir) close(fd);
        pos += entry->d_reclen;
      }
    }
    close(dir);
    return;
  }

  struct rlimit limit;
  long max = 65536;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    max = (long)limit.rlim_cur;
  }
  for (long fd = lowest; fd < max; fd++) {
    if (fd != keep) close((int)fd);
  }
}

// Closes first..last; a loop where the kernel has no close_range.
FORKEXEC_CHILD_PATH static void CloseRange(int first, int last) {
  if (syscall(SYS_close_range, first, last, 0) == 0) return;
  for (int fd = first; fd <= last; fd++) close(fd);
}

FORKEXEC_CHILD_PATH static int IsTarget(const ChildPlan* plan, int fd) {
  for (int i = 0; i < plan->fd_count; i++) {
    if (plan->fds[i].target_fd == fd) return 1;
  }
  return 0;
}

FORKEXEC_CHILD_PATH int MoveOutOfTheWay(const ChildPlan* plan, int fd, int max_target) {
  int copy = fcntl(fd, F_DUPFD_CLOEXEC, max_target + 1);
  if (copy >= 0 || (errno != EINVAL && errno != EMFILE)) return copy;
  for (int from = 0;; from = copy + 1) {
    copy = fcntl(fd, F_DUPFD_CLOEXEC, from);
    if (copy < 0 || !IsTarget(plan, copy)) return copy;
    close(copy);
  }
}

// Closes first..last except keep (the error pipe, which may sit between targets).
FORKEXEC_CHILD_PATH static void CloseRangeExcept(int first, int last, int keep) {
  if (keep < first || keep > last) {
    CloseRange(first, last);
    return;
  }
  if (keep > first) CloseRange(first, keep - 1);
  if (keep < last) CloseRange(keep + 1, last);
}

// The steps of the child path, in the order ChildPathRun takes them. Each one
// either succeeds or ends the child through Fail() with its errno and step.

// 1. Signal dispositions back to default while every signal is still
// blocked (the parent blocked them before cloning): a handler of the parent
// must never run here, and Node ignores SIGPIPE, which the new program must
// not inherit. glibc keeps two real-time signals for itself and answers
// EINVAL for them: the raw syscall sets those (a program started by a shell
// has none ignored; glibc's posix_spawn leaves them so).
FORKEXEC_CHILD_PATH static void ResetSignalDispositions(int error_fd) {
  struct sigaction dfl;
  for (size_t i = 0; i < sizeof dfl; i++) ((char*)&dfl)[i] = 0;
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    if (sigaction(sig, &dfl, NULL) == 0) continue;
    if (errno != EINVAL || KernelSetDisposition(sig, SIG_DFL) != 0) {
      Fail(error_fd, CHILD_STEP_SIGACTION);
    }
  }
}

// 2. Session or process group, before any fd work (a new session drops the
// controlling terminal; the fds are unaffected). lib/ never asks for both.
FORKEXEC_CHILD_PATH static void JoinSessionOrGroup(const ChildPlan* plan, int error_fd) {
  if (plan->setsid && setsid() < 0) Fail(error_fd, CHILD_STEP_SETSID);
  if (plan->pgid >= 0 && setpgid(0, plan->pgid) != 0) Fail(error_fd, CHILD_STEP_SETPGID);
}

// 3. Every source that sits where another fd is to go moves out of the way
// first (above the highest target), and the error pipe too, so that dup2
// into place cannot clobber a source still needed: this is what makes swaps
// such as stdout<->stderr work. The copies are close-on-exec. A source
// already at its own target needs no move (nothing else is dup2'd there),
// nor does one that no target covers. Fills plan->scratch with the sources
// to use and returns the error pipe's fd from now on.
FORKEXEC_CHILD_PATH static int MoveSourcesAside(const ChildPlan* plan, int max_target) {
  int error_fd = plan->error_fd;
  if (error_fd <= max_target) {
    error_fd = MoveOutOfTheWay(plan, error_fd, max_target);
    if (error_fd < 0) Fail(plan->error_fd, CHILD_STEP_MOVE_FD);  // still open, still usable
  }
  for (int i = 0; i < plan->fd_count; i++) {
    int source = plan->fds[i].source_fd;
    if (source >= 0 && source != plan->fds[i].target_fd && IsTarget(plan, source)) {
      source = MoveOutOfTheWay(plan, source, max_target);
      if (source < 0) Fail(error_fd, CHILD_STEP_MOVE_FD);
    }
    plan->scratch[i] = source;
  }
  return error_fd;
}

// 4a. One fd into place: dup2 (which clears close-on-exec on the target), or
// /dev/null for an ignored slot.
FORKEXEC_CHILD_PATH static void PlaceFd(int target, int source, int error_fd) {
  if (source == CHILD_FD_DEVNULL) {
    source = open("/dev/null", O_RDWR);
    if (source < 0) Fail(error_fd, CHILD_STEP_OPEN_DEVNULL);
    if (source == target) return;
    if (dup2(source, target) < 0) Fail(error_fd, CHILD_STEP_DUP2);
    close(source);
  } else if (source == target) {
    // dup2 onto itself would leave close-on-exec set.
    if (fcntl(target, F_SETFD, 0) < 0) Fail(error_fd, CHILD_STEP_DUP2);
  } else if (dup2(source, target) < 0) {
    Fail(error_fd, CHILD_STEP_DUP2);
  }
}

// 4b. Blocking mode on 0-2: programs expect blocking stdio. (O_NONBLOCK
// lives on the shared open file description; libuv does the same.)
FORKEXEC_CHILD_PATH static void ClearNonblock(int fd, int error_fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) Fail(error_fd, CHILD_STEP_CLEAR_NONBLOCK);
  if ((flags & O_NONBLOCK) && fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
    Fail(error_fd, CHILD_STEP_CLEAR_NONBLOCK);
  }
}

// 4. Every fd of the plan into place.
FORKEXEC_CHILD_PATH static void PlaceFds(const ChildPlan* plan, int error_fd) {
  for (int i = 0; i < plan->fd_count; i++) {
    int target = plan->fds[i].target_fd;
    PlaceFd(target, plan->scratch[i], error_fd);
    if (target <= 2) ClearNonblock(target, error_fd);
  }
}

// 5. Every other fd goes: the gaps between targets (the fds are sorted),
// then all above them. The error pipe stays open until exec.
FORKEXEC_CHILD_PATH static void CloseOtherFds(const ChildPlan* plan, int error_fd, int max_target) {
  int below = 0;
  for (int i = 0; i < plan->fd_count; i++) {
    int target = plan->fds[i].target_fd;
    if (target > below) CloseRangeExcept(below, target - 1, error_fd);
    below = target + 1;
  }
  CloseFdsFrom(max_target + 1, error_fd);
}

// 6. Working directory, file mode mask, resource limits.
FORKEXEC_CHILD_PATH static void SetDirectoryAndLimits(const ChildPlan* plan, int error_fd) {
  if (plan->cwd != NULL && chdir(plan->cwd) != 0) Fail(error_fd, CHILD_STEP_CHDIR);
  if (plan->set_umask) umask(plan->umask);
  for (int i = 0; i < plan->rlimit_count; i++) {
    if (setrlimit(plan->rlimits[i].resource, &plan->rlimits[i].limit) != 0) {
      Fail(error_fd, CHILD_STEP_SETRLIMIT);
    }
  }
}

// 7. Credentials: groups, then gid, then uid (after setuid the others are no
// longer allowed). Raw syscalls on purpose: glibc's wrappers broadcast the
// change to every thread of the process, and under CLONE_VM those would be
// the parent's threads. Without explicit groups, a uid change drops the
// supplementary groups as libuv does; EPERM there only means we are not
// privileged, and setuid then decides.
FORKEXEC_CHILD_PATH static void SetCredentials(const ChildPlan* plan, int error_fd) {
  if (plan->set_groups) {
    if (syscall(SYS_setgroups, plan->group_count, plan->groups) != 0) {
      Fail(error_fd, CHILD_STEP_SETGROUPS);
    }
  } else if (plan->set_uid && syscall(SYS_setgroups, 0, NULL) != 0 && errno != EPERM) {
    Fail(error_fd, CHILD_STEP_SETGROUPS);
  }
  if (plan->set_gid && syscall(SYS_setgid, plan->gid) != 0) Fail(error_fd, CHILD_STEP_SETGID);
  if (plan->set_uid && syscall(SYS_setuid, plan->uid) != 0) Fail(error_fd, CHILD_STEP_SETUID);
}

// 8. Parent-death signal, after the credential change (which clears it). If
// the parent already died the signal would never come: send it now (it
// stays pending until the mask is cleared in step 9).
FORKEXEC_CHILD_PATH static void SetParentDeathSignal(const ChildPlan* plan, int error_fd) {
  if (plan->pdeathsig <= 0) return;
  if (prctl(PR_SET_PDEATHSIG, plan->pdeathsig) != 0) Fail(error_fd, CHILD_STEP_PDEATHSIG);
  if (getppid() != plan->parent_pid) kill(getpid(), plan->pdeathsig);
}

// 9. Last before exec: the signal mask, so that no signal is handled by
// anything but the default action before the new program runs.
FORKEXEC_CHILD_PATH static void UnblockSignals(int error_fd) {
  sigset_t empty;
  sigemptyset(&empty);
  if (sigprocmask(SIG_SETMASK, &empty, NULL) != 0) Fail(error_fd, CHILD_STEP_SIGMASK);
}

FORKEXEC_CHILD_PATH void ChildPathRun(const ChildPlan* plan) {
  int max_target = plan->fd_count > 0 ? plan->fds[plan->fd_count - 1].target_fd : -1;
  ResetSignalDispositions(plan->error_fd);
  JoinSessionOrGroup(plan, plan->error_fd);
  int error_fd = MoveSourcesAside(plan, max_target);
  PlaceFds(plan, error_fd);
  if (plan->close_fds) CloseOtherFds(plan, error_fd, max_target);
  SetDirectoryAndLimits(plan, error_fd);
  SetCredentials(plan, error_fd);
  SetParentDeathSignal(plan, error_fd);
  UnblockSignals(error_fd);
  execve(plan->path, plan->argv, plan->envp);
  Fail(error_fd, CHILD_STEP_EXECVE);
}
