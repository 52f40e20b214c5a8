// Readers of the values lib/ passes in, which lib/ has already checked: a
// wrong type here is a bug in lib/, not a user error.
#pragma once

#include <napi.h>
#include <uv.h>

namespace forkexec {

// Argument i as an int32.
inline int ArgInt(const Napi::CallbackInfo& info, size_t i) {
  return info[i].As<Napi::Number>().Int32Value();
}

// Property key of o as an int32.
inline int IntProperty(const Napi::Object& o, const char* key) {
  return o.Get(key).As<Napi::Number>().Int32Value();
}

// The libuv loop of env's thread.
inline uv_loop_t* EventLoop(Napi::Env env) {
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) throw Napi::Error::New(env, "no event loop");
  return loop;
}

}  // namespace forkexec
