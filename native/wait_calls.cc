// waitpid and waitid for one known child at a time.
//
// Neither ever waits for "any child": libuv reaps Node's own children with
// waitpid(pid), and a wait for -1, 0 or a process group here would steal
// their exits. lib/ refuses such pids with a clear error; the checks below
// only make sure nothing slips through.
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "bindings.h"
#include "errors.h"
#include "wait_status.h"

namespace forkexec {

namespace {

Napi::Value Waitpid(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  pid_t pid = info[0].As<Napi::Number>().Int32Value();
  int flags = info[1].As<Napi::Number>().Int32Value();
  if (pid <= 0) throw ErrnoError(env, EINVAL, "waitpid");
  int status = 0;
  struct rusage usage {};
  pid_t rc;
  // wait4 is waitpid plus the rusage of exactly that child.
  do {
    rc = wait4(pid, &status, flags, &usage);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) throw ErrnoError(env, errno, "waitpid");
  if (rc == 0) return env.Null();  // WNOHANG and nothing changed
  return WaitStatusObject(env, FromStatusWord(rc, status, &usage));
}

// idtype: P_PID with a pid, or P_PIDFD with a pidfd.
Napi::Value Waitid(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int idtype = info[0].As<Napi::Number>().Int32Value();
  int id = info[1].As<Napi::Number>().Int32Value();
  int flags = info[2].As<Napi::Number>().Int32Value();
  if ((idtype != P_PID && idtype != P_PIDFD) || (idtype == P_PID && id <= 0) || id < 0) {
    throw ErrnoError(env, EINVAL, "waitid");
  }
  WaitStatus status{};
  switch (WaitForChild(static_cast<idtype_t>(idtype), static_cast<id_t>(id), flags, &status)) {
    case WaitResult::kFailed:
      throw ErrnoError(env, errno, "waitid");
    case WaitResult::kNothingYet:
      return env.Null();  // WNOHANG and nothing changed
    case WaitResult::kChanged:
      break;
  }
  return WaitStatusObject(env, status);
}

}  // namespace

void InitWaitCalls(Napi::Env env, Napi::Object exports) {
  exports.Set("waitpid", Napi::Function::New(env, Waitpid, "waitpid"));
  exports.Set("waitid", Napi::Function::New(env, Waitid, "waitid"));
}

}  // namespace forkexec
