// Errors raised by the native layer.
//
// Native code reports a failing syscall with the raw errno and the syscall's
// name only; lib/errors.ts turns that into a Node-style system error (code,
// negative errno, syscall, path, message). Keeping the wording in TypeScript
// means there is one place that decides what users read.
#pragma once

#include <napi.h>

namespace forkexec {

// An Error whose `errno` is the positive C errno and whose `syscall` names the
// call that failed.
Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall);

}  // namespace forkexec
