// See exec_state.h. Runs in the process that is about to exec (not in a
// child), so it may allocate; it blocks every signal of this thread while it
// changes dispositions, fds and the terminal, and unblocks them last.
#include "exec_state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <uv.h>

#include "kernel_signal.h"

namespace forkexec {

namespace {

bool IsTarget(const ExecPlan& plan, int fd) {
  for (const ExecFd& entry : plan.fds) {
    if (entry.target == fd) return true;
  }
  return false;
}

// Every fd of this process, from /proc/self/fd or, without /proc, by probing.
std::vector<int> OpenFds() {
  std::vector<int> fds;
  DIR* dir = opendir("/proc/self/fd");
  if (dir != nullptr) {
    int own = dirfd(dir);
    while (dirent* entry = readdir(dir)) {
      if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
      int fd = atoi(entry->d_name);
      if (fd != own) fds.push_back(fd);
    }
    closedir(dir);
    return fds;
  }
  rlimit limit{};
  long max = 65536;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < static_cast<rlim_t>(max)) {
    max = static_cast<long>(limit.rlim_cur);
  }
  for (int fd = 0; fd < max; fd++) {
    if (fcntl(fd, F_GETFD) >= 0) fds.push_back(fd);
  }
  return fds;
}

}  // namespace

ExecState::~ExecState() {
  if (entered_) Leave();
}

int ExecState::Enter(const ExecPlan& plan, const char** syscall) {
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old_mask_);
  entered_ = true;

  // The terminal first: libuv restores it through the fd it was put in raw
  // mode with, which must still be the terminal.
  if (plan.reset_terminal) SaveAndResetTerminal();
  int err = PlaceFds(plan, syscall);
  if (err == 0 && plan.close_fds) {
    err = MarkOthersCloexec(plan);
    *syscall = "fcntl";
  }
  if (err == 0) ResetIgnoredSignals();
  if (err == 0 && plan.has_cwd) {
    cwd_fd_ = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    *syscall = "open";
    if (cwd_fd_ < 0) err = errno;
    if (err == 0 && chdir(plan.cwd.c_str()) != 0) {
      err = errno;
      *syscall = "chdir";
    }
  }
  if (err != 0) {
    Leave();
    return err;
  }
  // The new program starts with no signal blocked. From here a signal may
  // arrive with its default action; Node's own handlers are still installed
  // for the ones it catches, and execve resets those.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  return 0;
}

void ExecState::SaveAndResetTerminal() {
  std::vector<SavedTermios> before;
  for (int fd = 0; fd <= 2; fd++) {
    SavedTermios saved{fd, {}};
    if (tcgetattr(fd, &saved.mode) == 0) before.push_back(saved);
  }
  if (before.empty()) return;
  // libuv kept the mode it found before its first raw-mode switch; this is
  // what Node itself does at exit. Nothing happens if it never went raw.
  uv_tty_reset_mode();
  for (const SavedTermios& saved : before) {
    termios now{};
    if (tcgetattr(saved.fd, &now) == 0 && memcmp(&now, &saved.mode, sizeof now) != 0) {
      terminals_.push_back(saved);
    }
  }
}

// Every source is copied out of the way first (above every target), so that
// placing one target cannot clobber a source still needed (stdout<->stderr
// swaps). What sat at a target is kept as a close-on-exec copy until exec.
int ExecState::PlaceFds(const ExecPlan& plan, const char** syscall) {
  int spare_from = plan.fds.empty() ? 3 : plan.fds.back().target + 1;
  std::vector<int> copies(plan.fds.size(), -1);
  int err = 0;
  *syscall = "fcntl";
  for (size_t i = 0; i < plan.fds.size() && err == 0; i++) {
    const ExecFd& entry = plan.fds[i];
    if (entry.source == entry.target) {
      int flags = fcntl(entry.target, F_GETFD);
      if (flags < 0) err = errno;
      if (err == 0 && (flags & FD_CLOEXEC) != 0) {
        if (fcntl(entry.target, F_SETFD, flags & ~FD_CLOEXEC) != 0) err = errno;
        if (err == 0) fd_flags_.push_back({entry.target, flags});
      }
    } else if (entry.source < 0) {
      copies[i] = open("/dev/null", O_RDWR | O_CLOEXEC);
      if (copies[i] < 0) err = errno;
      if (err != 0) *syscall = "open";
    } else {
      copies[i] = fcntl(entry.source, F_DUPFD_CLOEXEC, spare_from);
      if (copies[i] < 0) err = errno;
    }
  }
  for (size_t i = 0; i < plan.fds.size() && err == 0; i++) {
    if (copies[i] < 0) continue;
    int target = plan.fds[i].target;
    int flags = fcntl(target, F_GETFD);
    SavedFd saved{target, -1, (flags & FD_CLOEXEC) != 0};
    if (flags >= 0) {
      saved.backup = fcntl(target, F_DUPFD_CLOEXEC, spare_from);
      if (saved.backup < 0) {
        err = errno;
        break;
      }
    }
    placed_.push_back(saved);
    if (dup2(copies[i], target) < 0) {
      err = errno;
      *syscall = "dup2";
    }
  }
  for (int copy : copies) {
    if (copy >= 0) close(copy);
  }
  // Programs expect blocking stdio (libuv made the descriptions it opened
  // non-blocking, and they are shared with whoever started node).
  for (size_t i = 0; i < plan.fds.size() && err == 0 && plan.fds[i].target <= 2; i++) {
    int fd = plan.fds[i].target;
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || (flags & O_NONBLOCK) == 0) continue;
    if (fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) err = errno;
    if (err == 0) file_flags_.push_back({fd, flags});
  }
  return err;
}

int ExecState::MarkOthersCloexec(const ExecPlan& plan) {
  for (int fd : OpenFds()) {
    if (IsTarget(plan, fd)) continue;
    int flags = fcntl(fd, F_GETFD);
    if (flags < 0 || (flags & FD_CLOEXEC) != 0) continue;
    if (fcntl(fd, F_SETFD, flags | FD_CLOEXEC) != 0) return errno;
    fd_flags_.push_back({fd, flags});
  }
  return 0;
}

// Ignored signals stay ignored across execve; Node ignores SIGPIPE and
// SIGXFSZ. Caught ones need nothing: execve resets them to default.
void ExecState::ResetIgnoredSignals() {
  for (int sig = 1; sig <= KERNEL_SIGNAL_MAX; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    if (KernelIsIgnored(sig) == 1 && KernelSetDisposition(sig, SIG_DFL) == 0) {
      ignored_signals_.push_back(sig);
    }
  }
}

void ExecState::Leave() {
  if (!entered_) return;
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);
  if (cwd_fd_ >= 0) {
    if (fchdir(cwd_fd_) != 0) {
      // The old cwd cannot be entered again; nothing better is left to do.
    }
    close(cwd_fd_);
    cwd_fd_ = -1;
  }
  for (int sig : ignored_signals_) KernelSetDisposition(sig, SIG_IGN);
  for (const SavedFlags& saved : file_flags_) fcntl(saved.fd, F_SETFL, saved.flags);
  for (const SavedFlags& saved : fd_flags_) fcntl(saved.fd, F_SETFD, saved.flags);
  for (auto it = placed_.rbegin(); it != placed_.rend(); ++it) {
    if (it->backup < 0) {
      close(it->fd);
      continue;
    }
    dup3(it->backup, it->fd, it->cloexec ? O_CLOEXEC : 0);
    close(it->backup);
  }
  for (const SavedTermios& saved : terminals_) tcsetattr(saved.fd, TCSANOW, &saved.mode);
  ignored_signals_.clear();
  file_flags_.clear();
  fd_flags_.clear();
  placed_.clear();
  terminals_.clear();
  entered_ = false;
  sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
}

}  // namespace forkexec
