// spawn() and spawnSync(): one native call each, taking the whole plan.
//
// spawn starts the child and returns { pid, pidfd, method }; lib/ then
// watches the pidfd on the event loop (exit_watcher.cc). spawnSync starts the
// child and, without a thread and without waitpid(-1), polls the parent ends
// of its pipes and its pidfd until it has exited and its output is read.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <string>

#include "bindings.h"
#include "errors.h"
#include "launcher.h"
#include "wait_status.h"

namespace forkexec {

namespace {

Napi::Value SpawnFailure(Napi::Env env, const LaunchError& error) {
  Napi::Error e = ErrnoError(env, error.err, error.syscall);
  return e.Value();
}

// spawn(plan) -> { pid, pidfd, method }; throws { errno, syscall } when the
// child could not be started (nothing is left behind then).
Napi::Value Spawn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SpawnPlan plan(info[0].As<Napi::Object>());
  Launched child;
  LaunchError error;
  if (!plan.Launch(&child, &error)) throw Napi::Error(env, SpawnFailure(env, error));
  Napi::Object out = Napi::Object::New(env);
  out.Set("pid", child.pid);
  out.Set("pidfd", child.pidfd);
  out.Set("method", SpawnMethodName(child.method));
  return out;
}

double NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

void SetNonblock(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

void CloseFd(int* fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

// The parent side of a synchronous run: the pipes, the child, the limits.
struct SyncRun {
  pid_t pid = -1;
  int pidfd = -1;
  int stdin_fd = -1;
  std::string input;
  size_t input_written = 0;
  int out_fds[2] = {-1, -1};
  std::string output[2];
  double max_buffer = 0;
  double timeout_ms = 0;
  int kill_signal = SIGTERM;
  // After a kill with kill_signal, SIGKILL follows this much later (< 0: never).
  double force_kill_after_ms = -1;
  double force_kill_at = 0;
  bool exited = false;
  bool killed = false;
  bool timed_out = false;
  bool max_buffer_exceeded = false;
  bool stop_reading = false;  // after a timeout or maxBuffer: wait for the exit only
  WaitStatus status{};
  // A failure that leaves no status to report: waitid's (ECHILD: someone
  // else reaped the child) or poll's (the child was killed: it could no
  // longer be watched, nor the timeout kept).
  int wait_errno = 0;
  const char* wait_syscall = "waitid";

  void Kill() {
    if (killed || exited) return;
    killed = true;
    Signal(kill_signal);
    if (force_kill_after_ms >= 0 && kill_signal != SIGKILL) {
      force_kill_at = NowMs() + force_kill_after_ms;
    }
  }

  void Signal(int signal) {
    // Not yet reaped, so the pid is still this child's even without a pidfd.
    if (pidfd >= 0) {
      syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0);
    } else {
      kill(pid, signal);
    }
  }

  // The child ignored kill_signal for too long: SIGKILL, once. Returns the
  // longest poll may wait before this must be looked at again (-1: no bound).
  int ForceKillDue() {
    if (force_kill_at <= 0 || exited) return -1;
    double left = force_kill_at - NowMs();
    if (left > 0) return static_cast<int>(left) + 1;
    force_kill_at = 0;
    Signal(SIGKILL);
    return -1;
  }

  void TryReap(bool block) {
    if (exited) return;
    int options = WEXITED | (block ? 0 : WNOHANG);
    WaitResult result = pidfd >= 0
                            ? WaitForChild(P_PIDFD, static_cast<id_t>(pidfd), options, &status)
                            : WaitForChild(P_PID, static_cast<id_t>(pid), options, &status);
    if (result == WaitResult::kChanged) {
      exited = true;
    } else if (result == WaitResult::kFailed) {
      exited = true;  // nothing left to wait for
      if (wait_errno == 0) wait_errno = errno;
    }
  }

  void ReadFrom(int which) {
    char chunk[65536];
    for (;;) {
      ssize_t n = read(out_fds[which], chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return;
      if (n <= 0) {
        CloseFd(&out_fds[which]);
        return;
      }
      size_t room = output[which].size() < max_buffer
                        ? static_cast<size_t>(max_buffer) - output[which].size()
                        : 0;
      output[which].append(chunk, static_cast<size_t>(n) < room ? n : room);
      if (static_cast<size_t>(n) > room) {
        max_buffer_exceeded = true;
        stop_reading = true;
        Kill();
        return;
      }
    }
  }

  void WriteInput() {
    while (input_written < input.size()) {
      ssize_t n = write(stdin_fd, input.data() + input_written, input.size() - input_written);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return;
      if (n < 0) break;  // EPIPE: the child does not read its input; not an error
      input_written += static_cast<size_t>(n);
    }
    CloseFd(&stdin_fd);
  }

  void Run() {
    if (stdin_fd >= 0) SetNonblock(stdin_fd);
    for (int fd : out_fds) {
      if (fd >= 0) SetNonblock(fd);
    }
    if (stdin_fd >= 0 && input.empty()) CloseFd(&stdin_fd);
    double deadline = timeout_ms > 0 ? NowMs() + timeout_ms : 0;
    for (;;) {
      TryReap(false);
      // After a kill, output still buffered in a pipe held open by a
      // grandchild must not keep us here: stop once the child is gone.
      if (exited && (stop_reading || (out_fds[0] < 0 && out_fds[1] < 0))) break;
      pollfd fds[4];
      nfds_t count = 0;
      if (stdin_fd >= 0) fds[count++] = {stdin_fd, POLLOUT, 0};
      for (int fd : out_fds) {
        if (fd >= 0) fds[count++] = {fd, POLLIN, 0};
      }
      if (!exited && pidfd >= 0) fds[count++] = {pidfd, POLLIN, 0};
      int wait_ms = ForceKillDue();
      if (!exited && pidfd < 0) wait_ms = 10;  // no pidfd: look again soon
      if (deadline > 0 && !stop_reading) {
        double left = deadline - NowMs();
        if (left <= 0) {
          timed_out = true;
          stop_reading = true;
          Kill();
          continue;
        }
        int left_ms = static_cast<int>(left) + 1;
        wait_ms = wait_ms < 0 || left_ms < wait_ms ? left_ms : wait_ms;
      }
      int rc = poll(fds, count, wait_ms);
      if (rc < 0 && errno != EINTR) {
        wait_errno = errno;
        wait_syscall = "poll";
        // Unwatched, it could run past the timeout: end it (even after a
        // gentler signal), so that the reap below returns.
        kill_signal = SIGKILL;
        killed = false;
        Kill();
        break;
      }
      if (rc <= 0) continue;
      if (stdin_fd >= 0) WriteInput();
      for (int which = 0; which < 2; which++) {
        if (out_fds[which] >= 0) ReadFrom(which);
      }
    }
    TryReap(true);
    CloseFd(&stdin_fd);
    CloseFd(&out_fds[0]);
    CloseFd(&out_fds[1]);
    if (pidfd >= 0) CloseFd(&pidfd);
  }
};

// spawnSync(plan, { stdinFd, input, stdoutFd, stderrFd, timeoutMs, maxBuffer,
// killSignal, forceKillAfterMs }) -> { pid, method, status, stdout, stderr, timedOut,
// maxBufferExceeded }. The fds are the parent ends of the pipes; all of them
// are closed before returning.
Napi::Value SpawnSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = info[1].As<Napi::Object>();
  SyncRun run;
  run.stdin_fd = o.Get("stdinFd").As<Napi::Number>().Int32Value();
  run.out_fds[0] = o.Get("stdoutFd").As<Napi::Number>().Int32Value();
  run.out_fds[1] = o.Get("stderrFd").As<Napi::Number>().Int32Value();
  if (o.Get("input").IsBuffer()) run.input = BufferToString(o.Get("input"));
  run.timeout_ms = o.Get("timeoutMs").As<Napi::Number>().DoubleValue();
  run.max_buffer = o.Get("maxBuffer").As<Napi::Number>().DoubleValue();
  run.kill_signal = o.Get("killSignal").As<Napi::Number>().Int32Value();
  run.force_kill_after_ms = o.Get("forceKillAfterMs").As<Napi::Number>().DoubleValue();

  Launched child;
  LaunchError error;
  {
    SpawnPlan plan(info[0].As<Napi::Object>());
    if (!plan.Launch(&child, &error)) {
      CloseFd(&run.stdin_fd);
      CloseFd(&run.out_fds[0]);
      CloseFd(&run.out_fds[1]);
      throw Napi::Error(env, SpawnFailure(env, error));
    }
  }
  run.pid = child.pid;
  run.pidfd = child.pidfd;
  run.Run();

  Napi::Object out = Napi::Object::New(env);
  out.Set("pid", child.pid);
  out.Set("method", SpawnMethodName(child.method));
  out.Set("status", WaitStatusObject(env, run.status));
  out.Set("stdout", Napi::Buffer<char>::Copy(env, run.output[0].data(), run.output[0].size()));
  out.Set("stderr", Napi::Buffer<char>::Copy(env, run.output[1].data(), run.output[1].size()));
  out.Set("timedOut", run.timed_out);
  out.Set("maxBufferExceeded", run.max_buffer_exceeded);
  out.Set("waitError", run.wait_errno == 0
                           ? env.Null()
                           : ErrnoError(env, run.wait_errno, run.wait_syscall).Value());
  return out;
}

#define FORKEXEC_RLIMIT(object, name) object.Set(#name, Napi::Number::New(env, RLIMIT_##name))

}  // namespace

void InitSpawn(Napi::Env env, Napi::Object exports) {
  exports.Set("spawn", Napi::Function::New(env, Spawn, "spawn"));
  exports.Set("spawnSync", Napi::Function::New(env, SpawnSync, "spawnSync"));
  Napi::Object rlimits = Napi::Object::New(env);
  FORKEXEC_RLIMIT(rlimits, AS);
  FORKEXEC_RLIMIT(rlimits, CORE);
  FORKEXEC_RLIMIT(rlimits, CPU);
  FORKEXEC_RLIMIT(rlimits, DATA);
  FORKEXEC_RLIMIT(rlimits, FSIZE);
  FORKEXEC_RLIMIT(rlimits, LOCKS);
  FORKEXEC_RLIMIT(rlimits, MEMLOCK);
  FORKEXEC_RLIMIT(rlimits, MSGQUEUE);
  FORKEXEC_RLIMIT(rlimits, NICE);
  FORKEXEC_RLIMIT(rlimits, NOFILE);
  FORKEXEC_RLIMIT(rlimits, NPROC);
  FORKEXEC_RLIMIT(rlimits, RSS);
  FORKEXEC_RLIMIT(rlimits, RTPRIO);
  FORKEXEC_RLIMIT(rlimits, RTTIME);
  FORKEXEC_RLIMIT(rlimits, SIGPENDING);
  FORKEXEC_RLIMIT(rlimits, STACK);
  exports.Set("rlimits", rlimits);
}

#undef FORKEXEC_RLIMIT

}  // namespace forkexec
