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
#include "exec_state.h"
#include "fork_recipe.h"
#include "napi_values.h"

namespace forkexec {

namespace {

// The raw fork, by the fork recipe (fork_recipe.h): the child neither
// crashes on the V8 heap nor steals the parent's epoll events, even if it
// runs a little JavaScript before exec. Everything else a JavaScript child
// needs is the job of lib/fork. The scan is fresh: posix.fork() may run in
// any thread, and the cached scan belongs to the main thread.
Napi::Value Fork(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uv_loop_t* loop = EventLoop(env);
  ForkRecipe recipe;
  int err = recipe.BeforeFork(HeapScan::kFresh);
  if (err != 0) throw ErrnoError(env, err, recipe.failed_syscall());
  pid_t pid = fork();
  err = errno;
  recipe.AfterFork(pid, loop);
  if (pid < 0) throw ErrnoError(env, err, "fork");
  return Napi::Number::New(env, pid);
}

// The pid this addon was first loaded in: a process forked from it has
// another, and shares its terminal with that process.
pid_t LoadPid() {
  static const pid_t pid = getpid();
  return pid;
}

ExecPlan ReadExecPlan(const Napi::Object& o) {
  ExecPlan plan;
  Napi::Array fds = o.Get("fds").As<Napi::Array>();
  for (uint32_t i = 0; i + 1 < fds.Length(); i += 2) {
    plan.fds.push_back({fds.Get(i).As<Napi::Number>().Int32Value(),
                        fds.Get(i + 1).As<Napi::Number>().Int32Value()});
  }
  plan.close_fds = o.Get("closeFds").ToBoolean();
  Napi::Value cwd = o.Get("cwd");
  plan.has_cwd = cwd.IsBuffer();
  if (plan.has_cwd) plan.cwd = BufferToString(cwd);
  plan.reset_terminal = getpid() == LoadPid();
  return plan;
}

// (path, argv, envp | null, usePath, state | null): execve, or execvp(e)
// with usePath. envp null is this process's environ. With a state plan the
// process is first put in the state a program expects (exec_state.h), and
// put back when the exec fails; null is the bare syscall.
Napi::Value Exec(const Napi::CallbackInfo& info) {
  std::string path = BufferToString(info[0]);
  CStringArray argv(info[1]);
  bool own_env = !info[2].IsNull();
  CStringArray envp(own_env ? info[2] : Napi::Array::New(info.Env()));
  bool use_path = info[3].ToBoolean();
  const char* syscall_name = use_path ? "execvp" : "execve";

  ExecState state;
  if (info[4].IsObject()) {
    const char* failed = nullptr;
    int err = state.Enter(ReadExecPlan(info[4].As<Napi::Object>()), &failed);
    if (err != 0) throw ErrnoError(info.Env(), err, failed);
  }
  char* const* env = own_env ? envp.data() : environ;
  if (use_path) {
    execvpe(path.c_str(), argv.data(), env);
  } else {
    execve(path.c_str(), argv.data(), env);
  }
  int err = errno;
  state.Leave();
  throw ErrnoError(info.Env(), err, syscall_name);
}

Napi::Value IsForkedChild(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), getpid() != LoadPid());
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
  LoadPid();
  exports.Set("exec", Napi::Function::New(env, Exec, "exec"));
  exports.Set("isForkedChild", Napi::Function::New(env, IsForkedChild, "isForkedChild"));
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
