// The child path: everything a new process does between fork/vfork/clone and
// execve, driven by one plan that the parent prepared in C memory.
//
// Contract: ChildPathRun() runs in the child only. It may call nothing but
// async-signal-safe functions and raw syscalls: no malloc, no locks, no stdio,
// no V8, no libuv. Under CLONE_VM it shares the parent's memory, so it writes
// nothing but its own stack, plan->scratch (which the parent set aside for
// this one child) and the kernel's view of the child (fd table, credentials,
// signal dispositions). It never returns: it execs, or it writes
// a ChildPathError to plan->error_fd and calls _exit(127). The addon is
// linked with -z now (binding.gyp): no lazy PLT binding runs the dynamic
// linker in a child.
#pragma once

// The child path runs in a vfork child that shares the parent's memory, and
// must call async-signal-safe code only: a sanitizer's instrumentation
// (shadow memory updates, __asan_handle_no_return before _exit) would write
// to the parent's state from the child. `npm run test:sanitize` builds the
// rest of the addon instrumented; these functions stay plain.
#define FORKEXEC_CHILD_PATH __attribute__((no_sanitize("address", "undefined")))

#include <sys/resource.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

// A source of ChildFd meaning "open /dev/null here".
#define CHILD_FD_DEVNULL (-1)

// One fd the child should have: target_fd becomes a copy of the parent's
// source_fd (or /dev/null).
typedef struct {
  int target_fd;
  int source_fd;
} ChildFd;

typedef struct {
  int resource;  // RLIMIT_*
  struct rlimit limit;
} ChildRlimit;

typedef struct {
  const char* path;  // absolute or relative path of the executable (PATH already searched)
  char* const* argv;
  char* const* envp;
  const char* cwd;  // NULL: stay in the parent's cwd

  const ChildFd* fds;  // sorted by target_fd, each target once
  int fd_count;
  int* scratch;   // fd_count ints the child may write (the sources once moved)
  int close_fds;  // close every fd that is not a target (and not error_fd, until exec)

  int setsid;
  int pgid;  // -1: keep the parent's group; 0: a new group led by the child; >0: join it
  int set_umask;
  mode_t umask;
  const ChildRlimit* rlimits;
  int rlimit_count;
  int set_groups;
  const gid_t* groups;
  int group_count;
  int set_gid;
  gid_t gid;
  int set_uid;
  uid_t uid;
  int pdeathsig;     // 0: none
  pid_t parent_pid;  // for the pdeathsig race check
  int error_fd;      // write end of the close-on-exec error pipe
} ChildPlan;

// Which step failed: the parent names the syscall after it.
typedef enum {
  CHILD_STEP_SIGACTION = 1,
  CHILD_STEP_SETSID,
  CHILD_STEP_SETPGID,
  CHILD_STEP_MOVE_FD,
  CHILD_STEP_DUP2,
  CHILD_STEP_OPEN_DEVNULL,
  CHILD_STEP_CLEAR_NONBLOCK,
  CHILD_STEP_CHDIR,
  CHILD_STEP_SETRLIMIT,
  CHILD_STEP_SETGROUPS,
  CHILD_STEP_SETGID,
  CHILD_STEP_SETUID,
  CHILD_STEP_PDEATHSIG,
  CHILD_STEP_SIGMASK,
  CHILD_STEP_EXECVE,
} ChildStep;

// What the child writes to the error pipe when a step fails.
typedef struct {
  int err;   // errno
  int step;  // ChildStep
} ChildPathError;

// The syscall a step stands for ("execve", "chdir", ...).
const char* ChildStepSyscall(int step);

// A close-on-exec copy of fd where no target of the plan will be dup2'd:
// above every target (max_target), or, when the fd limit leaves no room
// there, the lowest free number that is not a target. -1 with errno on
// failure. Safe in the child; the posix_spawn launcher uses it in the parent.
FORKEXEC_CHILD_PATH int MoveOutOfTheWay(const ChildPlan* plan, int fd, int max_target);

// Runs the plan in the child. Never returns.
__attribute__((noreturn)) FORKEXEC_CHILD_PATH void ChildPathRun(const ChildPlan* plan);

#ifdef __cplusplus
}
#endif
