// Calling JavaScript from a libuv callback.
//
// There is no JavaScript caller to throw to, and a C++ exception must not
// cross libuv's C frames. A callback that throws is reported as Node
// reports its own ('uncaughtException'); one whose stack V8 is terminating
// (fork() unwinding the parent's stack in a child, seen here as a `null`
// exception) is left to finish.
//
// An environment that is closing (the process exiting, a Worker ending)
// still runs its loop once to close handles, with JavaScript no longer
// allowed: every Node-API call that needs it fails, and node-addon-api turns
// that failure into a C++ exception. RunFromLoop catches it; what the
// callback had to say is dropped, since nobody is left to hear it.
#pragma once

#include <napi.h>

#include <exception>
#include <initializer_list>

namespace forkexec {

void CallFromLoop(Napi::Env env, const Napi::FunctionReference& fn, Napi::Value recv,
                  std::initializer_list<napi_value> args, const Napi::AsyncContext& context);

// Reports `exception` as uncaught, unless it is empty (no exception: the
// environment refused JavaScript) or a terminating stack.
void ReportFromLoop(Napi::Env env, napi_value exception);

// Runs the JavaScript part of a libuv callback inside a handle scope; no
// C++ exception leaves it.
template <typename Body>
void RunFromLoop(Napi::Env env, Body body) {
  // Opened outside the try: a caught error's value needs a scope too.
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  try {
    body();
  } catch (const Napi::Error& error) {
    ReportFromLoop(env, error.Value());
  } catch (const std::exception&) {
    // std::bad_alloc from a std::string: the callback is lost either way.
  }
  napi_close_handle_scope(env, scope);
}

}  // namespace forkexec
