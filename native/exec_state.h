// The process state a program exec'd from node should start in, and the way
// back when execve fails.
//
// Node leaves its process in a state no shell would hand a program: fds 0-2
// close-on-exec, O_NONBLOCK on the stdio descriptions libuv opened, SIGPIPE
// and SIGXFSZ ignored, a terminal in raw mode if the program asked for it.
// All of that survives execve. ExecState::Enter puts it right (and fds named
// by the caller in place) just before execve; ExecState::Leave undoes it all
// when execve returns, so that a failed exec changes nothing.
#pragma once

#include <signal.h>
#include <termios.h>

#include <string>
#include <vector>

namespace forkexec {

struct ExecFd {
  int target;
  int source;  // -1: /dev/null
};

struct ExecPlan {
  std::vector<ExecFd> fds;  // sorted by target; identity entries keep an fd as it is
  bool close_fds = false;   // every other fd close-on-exec
  bool has_cwd = false;
  std::string cwd;
  bool reset_terminal = false;  // undo libuv's raw mode (only the process node started as)
};

class ExecState {
 public:
  ExecState() = default;
  ExecState(const ExecState&) = delete;
  ExecState& operator=(const ExecState&) = delete;
  ~ExecState();

  // 0, or an errno with *syscall naming the step (nothing is left changed).
  int Enter(const ExecPlan& plan, const char** syscall);
  // Undoes Enter after a failed execve.
  void Leave();

 private:
  struct SavedFd {
    int fd;
    int backup;  // a copy of what was there (-1: nothing was open)
    bool cloexec;
  };
  struct SavedFlags {
    int fd;
    int flags;  // F_GETFD or F_GETFL value to put back
  };
  struct SavedTermios {
    int fd;
    struct termios mode;
  };

  int PlaceFds(const ExecPlan& plan, const char** syscall);
  int MarkOthersCloexec(const ExecPlan& plan);
  void SaveAndResetTerminal();
  void ResetIgnoredSignals();

  sigset_t old_mask_;
  bool entered_ = false;
  int cwd_fd_ = -1;
  std::vector<SavedFd> placed_;
  std::vector<SavedFlags> fd_flags_;    // FD_CLOEXEC cleared or set
  std::vector<SavedFlags> file_flags_;  // O_NONBLOCK cleared
  std::vector<SavedTermios> terminals_;
  std::vector<int> ignored_signals_;
};

}  // namespace forkexec
