// The numbers lib/ needs from this platform's headers: wait flags, signals,
// open flags for file actions, and waitid id types.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include "bindings.h"

namespace forkexec {

#define FORKEXEC_CONSTANT(object, name) object.Set(#name, Napi::Number::New(env, name))

void InitConstants(Napi::Env env, Napi::Object exports) {
  Napi::Object c = Napi::Object::New(env);
  FORKEXEC_CONSTANT(c, WNOHANG);
  FORKEXEC_CONSTANT(c, WUNTRACED);
  FORKEXEC_CONSTANT(c, WCONTINUED);
  FORKEXEC_CONSTANT(c, WEXITED);
  FORKEXEC_CONSTANT(c, WSTOPPED);
  FORKEXEC_CONSTANT(c, WNOWAIT);
  FORKEXEC_CONSTANT(c, P_PID);
  FORKEXEC_CONSTANT(c, P_PIDFD);
  FORKEXEC_CONSTANT(c, O_RDONLY);
  FORKEXEC_CONSTANT(c, O_WRONLY);
  FORKEXEC_CONSTANT(c, O_RDWR);
  FORKEXEC_CONSTANT(c, O_CREAT);
  FORKEXEC_CONSTANT(c, O_EXCL);
  FORKEXEC_CONSTANT(c, O_TRUNC);
  FORKEXEC_CONSTANT(c, O_APPEND);
  FORKEXEC_CONSTANT(c, O_NONBLOCK);
  FORKEXEC_CONSTANT(c, O_NOCTTY);
  FORKEXEC_CONSTANT(c, O_CLOEXEC);
  FORKEXEC_CONSTANT(c, O_DIRECTORY);
  FORKEXEC_CONSTANT(c, O_NOFOLLOW);
  exports.Set("constants", c);
}

#undef FORKEXEC_CONSTANT

}  // namespace forkexec
