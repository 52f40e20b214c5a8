// File descriptor syscalls: pipe, dup, dup2, close, the close-on-exec flag
// and the fd limit.
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmath>

#include "bindings.h"
#include "errors.h"

namespace forkexec {

namespace {

int ArgInt(const Napi::CallbackInfo& info, size_t i) {
  return info[i].As<Napi::Number>().Int32Value();
}

Napi::Value Pipe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fds[2];
  if (pipe2(fds, ArgInt(info, 0)) != 0) throw ErrnoError(env, errno, "pipe2");
  Napi::Array pair = Napi::Array::New(env, 2);
  pair.Set(0u, fds[0]);
  pair.Set(1u, fds[1]);
  return pair;
}

Napi::Value Dup(const Napi::CallbackInfo& info) {
  bool cloexec = info[1].As<Napi::Boolean>().Value();
  int fd = fcntl(ArgInt(info, 0), cloexec ? F_DUPFD_CLOEXEC : F_DUPFD, 0);
  if (fd < 0) throw ErrnoError(info.Env(), errno, "dup");
  return Napi::Number::New(info.Env(), fd);
}

Napi::Value Dup2(const Napi::CallbackInfo& info) {
  int oldfd = ArgInt(info, 0);
  int newfd = ArgInt(info, 1);
  bool cloexec = info[2].As<Napi::Boolean>().Value();
  int rc;
  if (oldfd == newfd) {
    // dup3 refuses equal fds; dup2 leaves the flag alone. Either way the fd
    // must exist, and its flag ends up as asked.
    rc = fcntl(oldfd, F_SETFD, cloexec ? FD_CLOEXEC : 0);
    if (rc == 0) rc = newfd;
  } else {
    do {
      rc = dup3(oldfd, newfd, cloexec ? O_CLOEXEC : 0);
    } while (rc < 0 && errno == EBUSY);
  }
  if (rc < 0) throw ErrnoError(info.Env(), errno, "dup2");
  return Napi::Number::New(info.Env(), rc);
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  // On Linux the fd is gone even when close reports EINTR: never retry, or a
  // retry could close an fd another thread just opened.
  if (close(ArgInt(info, 0)) != 0 && errno != EINTR) {
    throw ErrnoError(info.Env(), errno, "close");
  }
  return info.Env().Undefined();
}

Napi::Value GetCloexec(const Napi::CallbackInfo& info) {
  int flags = fcntl(ArgInt(info, 0), F_GETFD);
  if (flags < 0) throw ErrnoError(info.Env(), errno, "fcntl");
  return Napi::Boolean::New(info.Env(), (flags & FD_CLOEXEC) != 0);
}

Napi::Value SetCloexec(const Napi::CallbackInfo& info) {
  int fd = ArgInt(info, 0);
  bool on = info[1].As<Napi::Boolean>().Value();
  int flags = fcntl(fd, F_GETFD);
  if (flags < 0 || fcntl(fd, F_SETFD, on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC) < 0) {
    throw ErrnoError(info.Env(), errno, "fcntl");
  }
  return info.Env().Undefined();
}

// fdLimit() -> the soft RLIMIT_NOFILE: every fd number is below it
// (Infinity when unlimited).
Napi::Value FdLimit(const Napi::CallbackInfo& info) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) throw ErrnoError(info.Env(), errno, "getrlimit");
  double soft = limit.rlim_cur == RLIM_INFINITY ? INFINITY : static_cast<double>(limit.rlim_cur);
  return Napi::Number::New(info.Env(), soft);
}

}  // namespace

void InitFdCalls(Napi::Env env, Napi::Object exports) {
  exports.Set("pipe", Napi::Function::New(env, Pipe, "pipe"));
  exports.Set("dup", Napi::Function::New(env, Dup, "dup"));
  exports.Set("dup2", Napi::Function::New(env, Dup2, "dup2"));
  exports.Set("close", Napi::Function::New(env, Close, "close"));
  exports.Set("getCloexec", Napi::Function::New(env, GetCloexec, "getCloexec"));
  exports.Set("setCloexec", Napi::Function::New(env, SetCloexec, "setCloexec"));
  exports.Set("fdLimit", Napi::Function::New(env, FdLimit, "fdLimit"));
}

}  // namespace forkexec
