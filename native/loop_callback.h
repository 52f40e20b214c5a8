// Calling JavaScript from a libuv callback.
//
// There is no JavaScript caller to throw to, and a C++ exception must not
// cross libuv's C frames. A callback that throws is reported as Node
// reports its own ('uncaughtException'); one whose stack V8 is terminating
// (fork() unwinding the parent's stack in a child, seen here as a `null`
// exception) is left to finish.
#pragma once

#include <napi.h>

#include <initializer_list>

namespace forkexec {

void CallFromLoop(Napi::Env env, const Napi::FunctionReference& fn, Napi::Value recv,
                  std::initializer_list<napi_value> args, const Napi::AsyncContext& context);

}  // namespace forkexec
