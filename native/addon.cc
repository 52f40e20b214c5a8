// The forkexec addon: a thin layer of syscalls. Validation, defaults and the
// errors users read live in lib/; functions here receive checked arguments.
#include <napi.h>

#include "bindings.h"
#include "glibc_compat.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  forkexec::InitGlibcCompat();
  forkexec::InitConstants(env, exports);
  forkexec::InitProcessCalls(env, exports);
  forkexec::InitWaitCalls(env, exports);
  forkexec::InitFdCalls(env, exports);
  forkexec::InitPosixSpawn(env, exports);
  forkexec::InitExitWatcher(env, exports);
  forkexec::InitFdPassing(env, exports);
  forkexec::InitReadinessWatcher(env, exports);
  forkexec::InitWatcherRegistry(env, exports);
  forkexec::InitJsFork(env, exports);
  forkexec::InitSpawn(env, exports);
  forkexec::InitThreadQuiescence(env, exports);
  forkexec::InitDrainWatcher(env, exports);
  forkexec::InitPrefault(env, exports);
  forkexec::InitTeardownHolder(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(forkexec, Init)
