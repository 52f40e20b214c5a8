#include "errors.h"

#include <string.h>

namespace forkexec {

Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall) {
  char text[128];
  // GNU strerror_r returns a pointer that may or may not be `text`.
  const char* description = strerror_r(err, text, sizeof text);
  Napi::Error error = Napi::Error::New(env, std::string(syscall) + " failed: " + description);
  error.Set("errno", Napi::Number::New(env, err));
  error.Set("syscall", Napi::String::New(env, syscall));
  return error;
}

}  // namespace forkexec
