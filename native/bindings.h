// Each concern registers its functions on the addon's exports. The shape of
// the whole interface is declared once, for TypeScript, in lib/native.ts.
#pragma once

#include <napi.h>

namespace forkexec {

void InitConstants(Napi::Env env, Napi::Object exports);
void InitProcessCalls(Napi::Env env, Napi::Object exports);
void InitWaitCalls(Napi::Env env, Napi::Object exports);
void InitFdCalls(Napi::Env env, Napi::Object exports);
void InitPosixSpawn(Napi::Env env, Napi::Object exports);
void InitExitWatcher(Napi::Env env, Napi::Object exports);
void InitFdPassing(Napi::Env env, Napi::Object exports);
void InitReadinessWatcher(Napi::Env env, Napi::Object exports);
void InitWatcherRegistry(Napi::Env env, Napi::Object exports);
void InitJsFork(Napi::Env env, Napi::Object exports);
void InitSpawn(Napi::Env env, Napi::Object exports);
void InitThreadQuiescence(Napi::Env env, Napi::Object exports);
void InitDrainWatcher(Napi::Env env, Napi::Object exports);
void InitPrefault(Napi::Env env, Napi::Object exports);
void InitTeardownHolder(Napi::Env env, Napi::Object exports);

}  // namespace forkexec
