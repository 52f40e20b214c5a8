#include "wait_status.h"

#include <errno.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace forkexec {

WaitResult WaitForChild(idtype_t idtype, id_t id, int options, WaitStatus* status) {
  siginfo_t si{};
  struct rusage usage {};
  long rc;
  do {
    rc = syscall(SYS_waitid, idtype, id, &si, options, &usage);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) return WaitResult::kFailed;
  if (si.si_pid == 0) return WaitResult::kNothingYet;
  *status = FromSiginfo(si);
  // A stopped or continued child is still running: its usage is not final.
  status->has_usage = status->exited || status->signaled;
  if (status->has_usage) status->usage = usage;
  return WaitResult::kChanged;
}

WaitStatus FromStatusWord(pid_t pid, int status, const struct rusage* usage) {
  WaitStatus s{};
  s.pid = pid;
  s.status = status;
  s.exited = WIFEXITED(status);
  s.exit_status = s.exited ? WEXITSTATUS(status) : 0;
  s.signaled = WIFSIGNALED(status);
  s.term_signal = s.signaled ? WTERMSIG(status) : 0;
  s.core_dumped = s.signaled && WCOREDUMP(status);
  s.stopped = WIFSTOPPED(status);
  s.stop_signal = s.stopped ? WSTOPSIG(status) : 0;
  s.continued = WIFCONTINUED(status);
  s.has_usage = usage != nullptr && (s.exited || s.signaled);
  if (s.has_usage) s.usage = *usage;
  return s;
}

WaitStatus FromSiginfo(const siginfo_t& si) {
  WaitStatus s{};
  s.pid = si.si_pid;
  switch (si.si_code) {
    case CLD_EXITED:
      s.exited = true;
      s.exit_status = si.si_status;
      s.status = (si.si_status & 0xff) << 8;
      break;
    case CLD_KILLED:
    case CLD_DUMPED:
      s.signaled = true;
      s.term_signal = si.si_status;
      s.core_dumped = si.si_code == CLD_DUMPED;
      s.status = (si.si_status & 0x7f) | (s.core_dumped ? 0x80 : 0);
      break;
    case CLD_STOPPED:
    case CLD_TRAPPED:
      s.stopped = true;
      s.stop_signal = si.si_status;
      s.status = ((si.si_status & 0xff) << 8) | 0x7f;
      break;
    case CLD_CONTINUED:
      s.continued = true;
      s.status = 0xffff;
      break;
  }
  return s;
}

namespace {

double Microseconds(const struct timeval& t) {
  return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_usec);
}

// Field names and units of Node's process.resourceUsage() (maxRSS in KiB,
// which is also what Linux puts in ru_maxrss).
Napi::Object UsageObject(Napi::Env env, const struct rusage& u) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("userCPUTime", Microseconds(u.ru_utime));
  o.Set("systemCPUTime", Microseconds(u.ru_stime));
  o.Set("maxRSS", static_cast<double>(u.ru_maxrss));
  o.Set("minorPageFault", static_cast<double>(u.ru_minflt));
  o.Set("majorPageFault", static_cast<double>(u.ru_majflt));
  o.Set("voluntaryContextSwitches", static_cast<double>(u.ru_nvcsw));
  o.Set("involuntaryContextSwitches", static_cast<double>(u.ru_nivcsw));
  return o;
}

}  // namespace

Napi::Object WaitStatusObject(Napi::Env env, const WaitStatus& s) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("pid", s.pid);
  o.Set("status", s.status);
  o.Set("exited", s.exited);
  o.Set("exitStatus", s.exit_status);
  o.Set("signaled", s.signaled);
  o.Set("termSignal", s.term_signal);
  o.Set("coreDumped", s.core_dumped);
  o.Set("stopped", s.stopped);
  o.Set("stopSignal", s.stop_signal);
  o.Set("continued", s.continued);
  if (s.has_usage) o.Set("rusage", UsageObject(env, s.usage));
  return o;
}

}  // namespace forkexec
