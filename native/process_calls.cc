// Process-level syscalls: fork, the exec family, _exit, signals, pidfds,
// sessions and process groups.
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>
#include <uv.h>

#include "bindings.h"
#include "cstrings.h"
#include "errors.h"
#include "fork_safety.h"

namespace forkexec {

namespace {

int ArgInt(const Napi::CallbackInfo& info, size_t i) {
  return info[i].As<Napi::Number>().Int32Value();
}

// The raw fork. The V8 heap is made forkable around the call (see
// fork_safety.h) and the child gets a loop of its own (uv_loop_fork), so that
// even a child that runs a little JavaScript before exec neither crashes nor
// steals the parent's epoll events. Everything else a JavaScript child needs
// is the job of lib/fork.
Napi::Value Fork(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) throw Napi::Error::New(env, "no event loop");

  DontForkMappings heap;
  int err = heap.Scan();
  if (err != 0) throw ErrnoError(env, err, "open");
  err = heap.AllowFork();
  if (err != 0) throw ErrnoError(env, err, "madvise");

  pid_t pid = fork();
  err = errno;
  // Both sides put the V8 heap back to MADV_DONTFORK: the parent to be as it
  // was, the child so that its own child_process spawns stay cheap.
  heap.Restore();
  if (pid < 0) throw ErrnoError(env, err, "fork");
  if (pid == 0) {
    int rc = uv_loop_fork(loop);
    if (rc != 0) {
      // A child whose loop shares the parent's epoll instance must not go on.
      _exit(127);
    }
  }
  return Napi::Number::New(env, pid);
}

Napi::Value Execve(const Napi::CallbackInfo& info) {
  std::string path = BufferToString(info[0]);
  CStringArray argv(info[1]);
  CStringArray envp(info[2]);
  execve(path.c_str(), argv.data(), envp.data());
  throw ErrnoError(info.Env(), errno, "execve");
}

Napi::Value Execvp(const Napi::CallbackInfo& info) {
  std::string file = BufferToString(info[0]);
  CStringArray argv(info[1]);
  if (info[2].IsUndefined()) {
    execvp(file.c_str(), argv.data());
  } else {
    CStringArray envp(info[2]);
    execvpe(file.c_str(), argv.data(), envp.data());
  }
  throw ErrnoError(info.Env(), errno, "execvp");
}

Napi::Value Exit(const Napi::CallbackInfo& info) {
  _exit(ArgInt(info, 0));
}

Napi::Value Kill(const Napi::CallbackInfo& info) {
  if (kill(ArgInt(info, 0), ArgInt(info, 1)) != 0) throw ErrnoError(info.Env(), errno, "kill");
  return info.Env().Undefined();
}

Napi::Value PidfdOpen(const Napi::CallbackInfo& info) {
  long fd = syscall(SYS_pidfd_open, ArgInt(info, 0), ArgInt(info, 1));
  if (fd < 0) throw ErrnoError(info.Env(), errno, "pidfd_open");
  return Napi::Number::New(info.Env(), static_cast<double>(fd));
}

Napi::Value PidfdSendSignal(const Napi::CallbackInfo& info) {
  long rc = syscall(SYS_pidfd_send_signal, ArgInt(info, 0), ArgInt(info, 1), nullptr, 0);
  if (rc != 0) throw ErrnoError(info.Env(), errno, "pidfd_send_signal");
  return info.Env().Undefined();
}

Napi::Value Setsid(const Napi::CallbackInfo& info) {
  pid_t sid = setsid();
  if (sid < 0) throw ErrnoError(info.Env(), errno, "setsid");
  return Napi::Number::New(info.Env(), sid);
}

Napi::Value Setpgid(const Napi::CallbackInfo& info) {
  if (setpgid(ArgInt(info, 0), ArgInt(info, 1)) != 0) {
    throw ErrnoError(info.Env(), errno, "setpgid");
  }
  return info.Env().Undefined();
}

Napi::Value Getpgid(const Napi::CallbackInfo& info) {
  pid_t pgid = getpgid(ArgInt(info, 0));
  if (pgid < 0) throw ErrnoError(info.Env(), errno, "getpgid");
  return Napi::Number::New(info.Env(), pgid);
}

// Straight from the kernel: process.pid is cached by Node and stays the
// parent's in a forked child.
Napi::Value Getpid(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(syscall(SYS_getpid)));
}

Napi::Value Getppid(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), getppid());
}

// prctl(PR_SET_PDEATHSIG): the signal this process gets when its parent
// thread exits. Linux only.
Napi::Value SetPdeathsig(const Napi::CallbackInfo& info) {
  if (prctl(PR_SET_PDEATHSIG, static_cast<unsigned long>(ArgInt(info, 0))) != 0) {
    throw ErrnoError(info.Env(), errno, "prctl");
  }
  return info.Env().Undefined();
}

}  // namespace

void InitProcessCalls(Napi::Env env, Napi::Object exports) {
  exports.Set("fork", Napi::Function::New(env, Fork, "fork"));
  exports.Set("execve", Napi::Function::New(env, Execve, "execve"));
  exports.Set("execvp", Napi::Function::New(env, Execvp, "execvp"));
  exports.Set("exit", Napi::Function::New(env, Exit, "exit"));
  exports.Set("kill", Napi::Function::New(env, Kill, "kill"));
  exports.Set("pidfdOpen", Napi::Function::New(env, PidfdOpen, "pidfdOpen"));
  exports.Set("pidfdSendSignal", Napi::Function::New(env, PidfdSendSignal, "pidfdSendSignal"));
  exports.Set("setsid", Napi::Function::New(env, Setsid, "setsid"));
  exports.Set("setpgid", Napi::Function::New(env, Setpgid, "setpgid"));
  exports.Set("getpgid", Napi::Function::New(env, Getpgid, "getpgid"));
  exports.Set("getpid", Napi::Function::New(env, Getpid, "getpid"));
  exports.Set("getppid", Napi::Function::New(env, Getppid, "getppid"));
  exports.Set("setPdeathsig", Napi::Function::New(env, SetPdeathsig, "setPdeathsig"));
}

}  // namespace forkexec
