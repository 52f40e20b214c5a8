// posix_spawn and posix_spawnp with file actions and attributes, one to one.
//
// lib/posix/spawn.ts has checked every action and attribute; this file only
// translates them into the glibc objects and makes the call.
#include <errno.h>
#include <signal.h>
#include <spawn.h>

#include <string>

#include "bindings.h"
#include "cstrings.h"
#include "errors.h"
#include "glibc_compat.h"
#include "napi_values.h"

namespace forkexec {

namespace {

class FileActions {
 public:
  FileActions() { posix_spawn_file_actions_init(&actions_); }
  ~FileActions() { posix_spawn_file_actions_destroy(&actions_); }
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

class SpawnAttr {
 public:
  SpawnAttr() { posix_spawnattr_init(&attr_); }
  ~SpawnAttr() { posix_spawnattr_destroy(&attr_); }
  posix_spawnattr_t* get() { return &attr_; }

 private:
  posix_spawnattr_t attr_;
};

// Returns 0 or the error number of the failing posix_spawn_file_actions_* call.
int AddFileAction(posix_spawn_file_actions_t* actions, const Napi::Object& a) {
  std::string kind = a.Get("action").As<Napi::String>().Utf8Value();
  if (kind == "open") {
    std::string path = BufferToString(a.Get("path"));
    return posix_spawn_file_actions_addopen(actions, IntProperty(a, "fd"), path.c_str(),
                                            IntProperty(a, "flags"),
                                            static_cast<mode_t>(IntProperty(a, "mode")));
  }
  if (kind == "close") return posix_spawn_file_actions_addclose(actions, IntProperty(a, "fd"));
  if (kind == "dup2")
    return posix_spawn_file_actions_adddup2(actions, IntProperty(a, "fd"), IntProperty(a, "newFd"));
  if (kind == "chdir") {
    std::string path = BufferToString(a.Get("path"));
    return AddChdir(actions, path.c_str());
  }
  if (kind == "fchdir") return AddFchdir(actions, IntProperty(a, "fd"));
  if (kind == "closefrom") return AddClosefrom(actions, IntProperty(a, "fd"));
  return EINVAL;
}

// glibc's sigaddset refuses its own signals 32 and 33 (EINVAL); their bits
// are set by hand, so that setsigdef can reset them too (its posix_spawn
// otherwise leaves them ignored in the child).
int SignalSet(const Napi::Value& list, sigset_t* set) {
  sigemptyset(set);
  Napi::Array signals = list.As<Napi::Array>();
  for (uint32_t i = 0; i < signals.Length(); i++) {
    int sig = signals.Get(i).As<Napi::Number>().Int32Value();
    if (sigaddset(set, sig) == 0) continue;
    if (errno != EINVAL || sig < 1 || sig >= NSIG) return errno;
    constexpr int kBits = 8 * sizeof set->__val[0];
    set->__val[(sig - 1) / kBits] |= 1UL << ((sig - 1) % kBits);
  }
  return 0;
}

int ApplyAttributes(posix_spawnattr_t* attr, const Napi::Object& o) {
  short flags = 0;
  int err = 0;
  if (o.Has("setpgroup")) {
    flags |= POSIX_SPAWN_SETPGROUP;
    err = posix_spawnattr_setpgroup(attr, IntProperty(o, "setpgroup"));
  }
  if (err == 0 && o.Get("setsid").ToBoolean()) flags |= POSIX_SPAWN_SETSID;
  if (err == 0 && o.Get("resetids").ToBoolean()) flags |= POSIX_SPAWN_RESETIDS;
  if (err == 0 && o.Has("setsigmask")) {
    sigset_t set;
    flags |= POSIX_SPAWN_SETSIGMASK;
    err = SignalSet(o.Get("setsigmask"), &set);
    if (err == 0) err = posix_spawnattr_setsigmask(attr, &set);
  }
  if (err == 0 && o.Has("setsigdef")) {
    sigset_t set;
    flags |= POSIX_SPAWN_SETSIGDEF;
    err = SignalSet(o.Get("setsigdef"), &set);
    if (err == 0) err = posix_spawnattr_setsigdefault(attr, &set);
  }
  if (err == 0) err = posix_spawnattr_setflags(attr, flags);
  return err;
}

// (path, argv, envp, usePath, { fileActions, setpgroup?, setsid, setsigmask?,
// setsigdef?, resetids }) -> pid
Napi::Value PosixSpawn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = BufferToString(info[0]);
  CStringArray argv(info[1]);
  CStringArray envp(info[2]);
  bool use_path = info[3].As<Napi::Boolean>().Value();
  Napi::Object options = info[4].As<Napi::Object>();

  FileActions actions;
  Napi::Array list = options.Get("fileActions").As<Napi::Array>();
  for (uint32_t i = 0; i < list.Length(); i++) {
    int err = AddFileAction(actions.get(), list.Get(i).As<Napi::Object>());
    if (err != 0) throw ErrnoError(env, err, "posix_spawn_file_actions");
  }
  SpawnAttr attr;
  int err = ApplyAttributes(attr.get(), options);
  if (err != 0) throw ErrnoError(env, err, "posix_spawnattr");

  pid_t pid = 0;
  err = use_path
            ? posix_spawnp(&pid, path.c_str(), actions.get(), attr.get(), argv.data(), envp.data())
            : posix_spawn(&pid, path.c_str(), actions.get(), attr.get(), argv.data(), envp.data());
  if (err != 0) throw ErrnoError(env, err, use_path ? "posix_spawnp" : "posix_spawn");
  return Napi::Number::New(env, pid);
}

}  // namespace

void InitPosixSpawn(Napi::Env env, Napi::Object exports) {
  exports.Set("posixSpawn", Napi::Function::New(env, PosixSpawn, "posixSpawn"));
}

}  // namespace forkexec
