// A child's change of state, decoded once from either a waitpid status word
// or a waitid siginfo, and handed to JavaScript as plain fields.
#pragma once

#include <napi.h>
#include <signal.h>
#include <sys/types.h>

namespace forkexec {

struct WaitStatus {
  pid_t pid;
  int status;  // the waitpid status word (for waitid, the same word rebuilt)
  bool exited;
  int exit_status;
  bool signaled;
  int term_signal;
  bool core_dumped;
  bool stopped;
  int stop_signal;
  bool continued;
};

WaitStatus FromStatusWord(pid_t pid, int status);
WaitStatus FromSiginfo(const siginfo_t& si);
Napi::Object WaitStatusObject(Napi::Env env, const WaitStatus& s);

}  // namespace forkexec
