// A child's change of state: waited for (one known child, never "any"),
// decoded once from either a waitpid status word or a waitid siginfo, and
// handed to JavaScript as plain fields. Every native reaper goes through
// WaitForChild: the exit watcher, spawnSync, the orphan reaper and waitid.
#pragma once

#include <napi.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

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
  // The kernel's rusage of exactly this child (wait4 / waitid's fifth
  // argument), never RUSAGE_CHILDREN. Only set when the child is gone.
  bool has_usage;
  struct rusage usage;
};

// What WaitForChild found.
enum class WaitResult { kChanged, kNothingYet, kFailed };

// waitid for one child, by pid (P_PID) or pidfd (P_PIDFD), retrying EINTR.
// Uses the raw syscall, whose fifth argument (glibc's waitid lacks it)
// gives the rusage of that child once it has exited.
// kChanged fills *status; kNothingYet (WNOHANG) leaves it alone; kFailed
// leaves errno set (ECHILD: someone else reaped it).
WaitResult WaitForChild(idtype_t idtype, id_t id, int options, WaitStatus* status);

// `usage` (from wait4) may be null.
WaitStatus FromStatusWord(pid_t pid, int status, const struct rusage* usage);
WaitStatus FromSiginfo(const siginfo_t& si);
Napi::Object WaitStatusObject(Napi::Env env, const WaitStatus& s);

}  // namespace forkexec
