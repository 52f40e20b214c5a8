#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>

#include "glibc_compat.h"
#include "napi_values.h"

namespace forkexec {

namespace {

// A uid or gid: -1 means "leave it", anything else is 0 .. 2^32-2. Read as
// 64 bits, because Int32Value would wrap ids >= 2^31 to negative numbers and
// so silently skip a privilege drop the caller asked for.
bool Id(const Napi::Object& o, const char* key, uint32_t* id) {
  int64_t value = o.Get(key).As<Napi::Number>().Int64Value();
  if (value < 0) return false;
  *id = static_cast<uint32_t>(value);
  return true;
}

std::vector<double> Numbers(const Napi::Value& value) {
  Napi::Array array = value.As<Napi::Array>();
  std::vector<double> out(array.Length());
  for (uint32_t i = 0; i < array.Length(); i++) out[i] = array.Get(i).As<Napi::Number>();
  return out;
}

rlim_t Rlim(double value) {
  return value < 0 ? RLIM_INFINITY : static_cast<rlim_t>(value);
}

int OpenPidfd(pid_t pid) {
  long fd = syscall(SYS_pidfd_open, pid, 0);
  return fd < 0 ? -1 : static_cast<int>(fd);
}

// Reaps a child that failed before exec. It is ours and about to _exit (or
// already has): a blocking wait on that one pid returns at once.
void ReapFailedChild(pid_t pid) {
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

// The errnos that, of the steps posix_spawn runs for a plan, only execve
// gives (setsid, setpgid and the fd actions fail with others).
bool OnlyExecveFailsWith(int err) {
  switch (err) {
    case ENOEXEC:
    case ETXTBSY:
    case E2BIG:
    case ELIBBAD:
    case ELOOP:
    case ENAMETOOLONG:
    case EISDIR:
    case ENOTDIR:
    case ENOENT:
    case EACCES:
      return true;
    default:
      return false;
  }
}

// Every signal blocked for the duration of a clone/fork, so that no handler
// of the parent runs in the child before the child path resets them.
class AllSignalsBlocked {
 public:
  AllSignalsBlocked() {
    sigset_t all;
    sigfillset(&all);
    // sigprocmask, not pthread_sigmask (glibc 2.32 in libc): on Linux both
    // set the calling thread's mask.
    sigprocmask(SIG_SETMASK, &all, &old_);
  }
  // Keeps errno: it is the clone's or fork's.
  ~AllSignalsBlocked() {
    int saved = errno;
    sigprocmask(SIG_SETMASK, &old_, nullptr);
    errno = saved;
  }

 private:
  sigset_t old_;
};

FORKEXEC_CHILD_PATH int ChildEntry(void* plan) {
  ChildPathRun(static_cast<const ChildPlan*>(plan));
}

constexpr size_t kChildStackSize = 64 * 1024;

// One child stack per thread, made once: the thread is suspended while its
// vfork child runs, so two children never share it, and no mmap/munmap
// (and its TLB shootdown across the process's threads) per spawn.
char* ChildStackTop() {
  static thread_local std::unique_ptr<char[]> stack;
  if (!stack) stack.reset(new char[kChildStackSize]);
  char* top = stack.get() + kChildStackSize;
  return reinterpret_cast<char*>(reinterpret_cast<uintptr_t>(top) & ~uintptr_t{15});
}

// An empty list where the plan says null (use `environ`).
Napi::Value ListOrEmpty(const Napi::Object& o, const char* key) {
  Napi::Value value = o.Get(key);
  return value.IsArray() ? value : Napi::Array::New(o.Env());
}

}  // namespace

const char* SpawnMethodName(SpawnMethod method) {
  switch (method) {
    case SpawnMethod::kPosixSpawn:
      return "posix_spawn";
    case SpawnMethod::kVfork:
      return "vfork";
    case SpawnMethod::kFork:
      return "fork";
    default:
      return "auto";
  }
}

SpawnPlan::SpawnPlan(const Napi::Object& o) : argv_(o.Get("argv")), envp_(ListOrEmpty(o, "envp")) {
  use_environ_ = !o.Get("envp").IsArray();
  path_ = BufferToString(o.Get("path"));
  Napi::Value cwd = o.Get("cwd");
  if (cwd.IsBuffer()) {
    has_cwd_ = true;
    cwd_ = BufferToString(cwd);
  }
  std::vector<double> fds = Numbers(o.Get("fds"));
  for (size_t i = 0; i + 1 < fds.size(); i += 2) {
    fds_.push_back({static_cast<int>(fds[i]), static_cast<int>(fds[i + 1])});
  }
  scratch_.resize(fds_.size());
  std::vector<double> limits = Numbers(o.Get("rlimits"));
  for (size_t i = 0; i + 2 < limits.size(); i += 3) {
    ChildRlimit r;
    r.resource = static_cast<int>(limits[i]);
    r.limit.rlim_cur = Rlim(limits[i + 1]);
    r.limit.rlim_max = Rlim(limits[i + 2]);
    rlimits_.push_back(r);
  }
  Napi::Value groups = o.Get("groups");
  if (groups.IsArray()) {
    for (double g : Numbers(groups)) groups_.push_back(static_cast<gid_t>(g));
  }
  for (double fd : Numbers(o.Get("closeInParent")))
    close_in_parent_.push_back(static_cast<int>(fd));
  std::string method = o.Get("method").As<Napi::String>().Utf8Value();
  if (method == "posix_spawn") method_ = SpawnMethod::kPosixSpawn;
  if (method == "vfork") method_ = SpawnMethod::kVfork;
  if (method == "fork") method_ = SpawnMethod::kFork;

  plan_.path = path_.c_str();
  plan_.argv = argv_.data();
  plan_.envp = use_environ_ ? environ : envp_.data();
  plan_.cwd = has_cwd_ ? cwd_.c_str() : nullptr;
  plan_.fds = fds_.data();
  plan_.fd_count = static_cast<int>(fds_.size());
  plan_.scratch = scratch_.data();
  plan_.close_fds = o.Get("closeFds").ToBoolean();
  plan_.setsid = o.Get("setsid").ToBoolean();
  plan_.pgid = IntProperty(o, "pgid");
  int mask = IntProperty(o, "umask");
  plan_.set_umask = mask >= 0;
  plan_.umask = static_cast<mode_t>(mask < 0 ? 0 : mask);
  plan_.rlimits = rlimits_.data();
  plan_.rlimit_count = static_cast<int>(rlimits_.size());
  plan_.set_groups = groups.IsArray();
  plan_.groups = groups_.data();
  plan_.group_count = static_cast<int>(groups_.size());
  uint32_t id = 0;
  plan_.set_gid = Id(o, "gid", &id);
  plan_.gid = static_cast<gid_t>(plan_.set_gid ? id : 0);
  plan_.set_uid = Id(o, "uid", &id);
  plan_.uid = static_cast<uid_t>(plan_.set_uid ? id : 0);
  plan_.pdeathsig = IntProperty(o, "pdeathsig");
  plan_.parent_pid = getpid();
  plan_.error_fd = -1;
}

void SpawnPlan::CloseParentCopies() {
  for (int fd : close_in_parent_) close(fd);
  close_in_parent_.clear();
}

bool SpawnPlan::PosixSpawnCanExpress() const {
  // Before glibc 2.29 posix_spawn cannot change directory.
  return !plan_.set_uid && !plan_.set_gid && !plan_.set_groups && !plan_.set_umask &&
         plan_.rlimit_count == 0 && plan_.pdeathsig == 0 && (!has_cwd_ || HaveAddChdir());
}

bool SpawnPlan::Launch(Launched* out, LaunchError* error) {
  SpawnMethod method = method_;
  // A credential change in a child that shares our memory (CLONE_VM) resets
  // the dumpable flag of that memory, which is ours too: the parent would
  // lose its /proc/self, ptrace and core dumps. Such a child is forked (as
  // CPython does); lib/ refuses an explicit vfork with ids.
  bool changes_ids = plan_.set_uid || plan_.set_gid || plan_.set_groups;
  if (method == SpawnMethod::kAuto) {
    // Before glibc 2.34 closing the other fds is emulated (see glibc_compat.cc);
    // the child path closes them without that race.
    bool closes_exactly = !plan_.close_fds || HaveAddClosefrom();
    method = PosixSpawnCanExpress() && closes_exactly ? SpawnMethod::kPosixSpawn
             : changes_ids                            ? SpawnMethod::kFork
                                                      : SpawnMethod::kVfork;
  }
  if (method == SpawnMethod::kVfork && changes_ids) {
    error->err = ENOTSUP;
    error->syscall = "clone";
    CloseParentCopies();
    return false;
  }
  bool ok;
  if (method == SpawnMethod::kPosixSpawn) {
    if (!PosixSpawnCanExpress()) {
      error->err = ENOTSUP;
      error->syscall = "posix_spawn";
      CloseParentCopies();
      return false;
    }
    ok = LaunchPosixSpawn(out, error);
    if (!ok && method_ == SpawnMethod::kAuto && strcmp(error->syscall, "posix_spawn") == 0) {
      // Which step failed is unknown: the child path tells (or succeeds).
      method = SpawnMethod::kVfork;
      ok = LaunchChildPath(true, out, error);
    }
  } else {
    ok = LaunchChildPath(method == SpawnMethod::kVfork, out, error);
  }
  CloseParentCopies();
  if (ok) out->method = method;
  return ok;
}

// The plan as posix_spawn file actions and attributes. What the child path
// does in the child, the parent does here where it can: sources in the way
// of a target are moved above every target (close-on-exec copies, closed
// again after the call), and O_NONBLOCK is cleared on the sources of 0-2
// (the flag lives on the open file description, shared by both sides, so
// this is exactly what the child path's fcntl does). The steps, in order:
// the fds into place, the other fds closed, the directory, the attributes
// (signals, session, group), then the call.
bool SpawnPlan::LaunchPosixSpawn(Launched* out, LaunchError* error) {
  std::vector<int> moved;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  int err = AddFdActions(&actions, &moved, &error->syscall);
  if (err == 0 && plan_.close_fds) err = AddCloseActions(&actions, &error->syscall);
  if (err == 0 && has_cwd_) {
    err = AddChdir(&actions, cwd_.c_str());
    if (err != 0) error->syscall = "posix_spawn_file_actions";
  }
  if (err == 0) err = SpawnWithActions(&actions, out, &error->syscall);
  posix_spawn_file_actions_destroy(&actions);
  for (int fd : moved) close(fd);
  error->err = err;
  return err == 0;
}

// A dup2 (or an open of /dev/null) per fd of the plan.
int SpawnPlan::AddFdActions(posix_spawn_file_actions_t* actions, std::vector<int>* moved,
                            const char** syscall) {
  int max_target = fds_.empty() ? -1 : fds_.back().target_fd;
  for (const ChildFd& f : fds_) {
    int source = f.source_fd;
    bool in_the_way = false;
    for (const ChildFd& g : fds_) in_the_way = in_the_way || g.target_fd == source;
    // glibc's adddup2 onto the same fd clears close-on-exec, as the child path does.
    if (source >= 0 && source != f.target_fd && in_the_way) {
      source = MoveOutOfTheWay(&plan_, source, max_target);
      if (source < 0) {
        *syscall = "fcntl";
        return errno;
      }
      moved->push_back(source);
    }
    if (source >= 0 && f.target_fd <= 2) {
      int flags = fcntl(source, F_GETFL);
      if (flags >= 0 && (flags & O_NONBLOCK)) fcntl(source, F_SETFL, flags & ~O_NONBLOCK);
    }
    int err = source == CHILD_FD_DEVNULL
                  ? posix_spawn_file_actions_addopen(actions, f.target_fd, "/dev/null", O_RDWR, 0)
                  : posix_spawn_file_actions_adddup2(actions, source, f.target_fd);
    if (err != 0) {
      *syscall = "posix_spawn_file_actions";
      return err;
    }
  }
  return 0;
}

// A close for every fd open here in the gaps between targets (only those can
// be open in the child; the ones glibc opens for /dev/null it closes
// itself), then a closefrom above the highest target.
int SpawnPlan::AddCloseActions(posix_spawn_file_actions_t* actions, const char** syscall) {
  int max_target = fds_.empty() ? -1 : fds_.back().target_fd;
  int err = 0;
  for (int fd = 0; fd < max_target && err == 0; fd++) {
    bool target = false;
    for (const ChildFd& f : fds_) target = target || f.target_fd == fd;
    if (!target && fcntl(fd, F_GETFD) >= 0) err = posix_spawn_file_actions_addclose(actions, fd);
  }
  // glibc refuses a closefrom at the fd limit, where nothing can be open anyway.
  rlimit limit{};
  bool room_above = getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY ||
                    static_cast<rlim_t>(max_target) + 1 < limit.rlim_cur;
  if (err == 0 && room_above) err = AddClosefrom(actions, max_target + 1);
  if (err != 0) *syscall = "posix_spawn_file_actions";
  return err;
}

// The attributes, then posix_spawn itself.
int SpawnPlan::SpawnWithActions(const posix_spawn_file_actions_t* actions, Launched* out,
                                const char** syscall) {
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Every disposition back to default and an empty mask, as the child path
  // does. sigfillset leaves out glibc's signals 32 and 33, which its
  // posix_spawn then leaves ignored; every bit set by hand covers them.
  sigset_t all, none;
  memset(&all, 0xff, sizeof all);
  sigemptyset(&none);
  short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  if (plan_.setsid) flags |= POSIX_SPAWN_SETSID;
  if (plan_.pgid >= 0) {
    flags |= POSIX_SPAWN_SETPGROUP;
    posix_spawnattr_setpgroup(&attr, plan_.pgid);
  }
  posix_spawnattr_setflags(&attr, flags);

  pid_t pid = -1;
  int err = posix_spawn(&pid, path_.c_str(), actions, &attr, argv_.data(), plan_.envp);
  posix_spawnattr_destroy(&attr);
  if (err == 0) {
    out->pid = pid;
    out->pidfd = OpenPidfd(pid);
    return 0;
  }
  // posix_spawn reports the errno but not the step. A cwd we can no longer
  // enter is chdir; an errno that of all its steps only execve gives is
  // execve; anything else (a dup2, a setpgid) is not guessed at: Launch runs
  // an automatic choice again through the child path, which names the step.
  *syscall = has_cwd_ && access(cwd_.c_str(), X_OK) != 0 ? "chdir"
             : OnlyExecveFailsWith(err)                  ? "execve"
                                                         : "posix_spawn";
  return err;
}

// clone(CLONE_VM|CLONE_VFORK) or fork into the child path, with every
// signal blocked so that no handler of the parent runs in the child. Returns
// the pid (-1 with errno) and the child's pidfd where clone gave one.
pid_t SpawnPlan::StartChildPath(bool use_vfork, int* pidfd) {
  AllSignalsBlocked blocked;
  if (!use_vfork) {
    // Not fork(): it runs the pthread_atfork child handlers of every
    // library in the process before the child path, and those are not
    // async-signal-safe (see glibc_compat.h).
    pid_t pid = ForkWithoutHandlers();
    if (pid == 0) ChildPathRun(&plan_);
    return pid;
  }
  // The child runs on a stack of its own in our address space; we are
  // suspended until it execs or exits.
  char* top = ChildStackTop();
  int flags = CLONE_VM | CLONE_VFORK | SIGCHLD;
  pid_t pid = clone(ChildEntry, top, flags | CLONE_PIDFD, &plan_, pidfd);
  if (pid < 0 && errno == EINVAL) {
    // A kernel without CLONE_PIDFD (before 5.2).
    *pidfd = -1;
    pid = clone(ChildEntry, top, flags, &plan_, nullptr);
  }
  return pid;
}

// Our own child path under clone(CLONE_VM|CLONE_VFORK) or fork. The parent
// reads the close-on-exec error pipe: EOF means execve succeeded, a
// ChildPathError means the child failed at that step and has _exit(127)ed.
bool SpawnPlan::LaunchChildPath(bool use_vfork, Launched* out, LaunchError* error) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    error->err = errno;
    error->syscall = "pipe2";
    return false;
  }
  plan_.error_fd = pipe_fds[1];

  int pidfd = -1;
  pid_t pid = StartChildPath(use_vfork, &pidfd);
  int clone_errno = errno;
  close(pipe_fds[1]);
  plan_.error_fd = -1;
  if (pid < 0) {
    close(pipe_fds[0]);
    error->err = clone_errno;
    error->syscall = use_vfork ? "clone" : "fork";
    return false;
  }

  ChildPathError report{};
  ssize_t n;
  do {
    n = read(pipe_fds[0], &report, sizeof report);
  } while (n < 0 && errno == EINTR);
  close(pipe_fds[0]);
  if (n != 0) {
    ReapFailedChild(pid);
    if (pidfd >= 0) close(pidfd);
    error->err = n == static_cast<ssize_t>(sizeof report) ? report.err : EIO;
    error->syscall =
        n == static_cast<ssize_t>(sizeof report) ? ChildStepSyscall(report.step) : "read";
    return false;
  }
  out->pid = pid;
  out->pidfd = pidfd >= 0 ? pidfd : OpenPidfd(pid);
  return true;
}

}  // namespace forkexec
