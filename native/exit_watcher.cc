// Watching a child's exit on the event loop, without threads.
//
// A pidfd becomes readable when its process exits. We poll it with libuv on
// the loop of the environment that started the child, reap with
// waitid(P_PIDFD) on that one pidfd (never waitpid(-1): libuv reaps Node's
// own children by pid and must keep getting their exits), and call back into
// JavaScript once. While the pidfd is open the pid cannot be reused for
// another process we would signal, so kill goes through pidfd_send_signal.
#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "bindings.h"
#include "errors.h"
#include "loop_callback.h"
#include "orphan_reaper.h"
#include "poll_handle.h"
#include "wait_status.h"
#include "watcher_registry.h"

namespace forkexec {

namespace {

class ExitWatcher : public Napi::ObjectWrap<ExitWatcher>, public Detachable {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "ExitWatcher",
        {InstanceMethod("kill", &ExitWatcher::Kill), InstanceMethod("ref", &ExitWatcher::RefLoop),
         InstanceMethod("unref", &ExitWatcher::UnrefLoop)});
  }

  // new ExitWatcher(pidfd, onExit): takes ownership of pidfd.
  explicit ExitWatcher(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ExitWatcher>(info) {
    Napi::Env env = info.Env();
    pidfd_ = info[0].As<Napi::Number>().Int32Value();
    on_exit_ = Napi::Persistent(info[1].As<Napi::Function>());
    context_ = std::make_unique<Napi::AsyncContext>(env, "forkexec.exitWatcher");
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    int rc = 0;
    poll_ = PollHandle::Start(loop, pidfd_, UV_READABLE, OnReadable, this, &rc);
    if (poll_ == nullptr) {
      close(pidfd_);
      throw ErrnoError(env, -rc, "uv_poll_init");
    }
    // Polling keeps the JavaScript object (and so this) alive until exit.
    Ref();
    // An environment that goes away (a Worker ending, the process exiting)
    // must not leave a handle on its loop that points at a dead object.
    napi_add_env_cleanup_hook(env, OnEnvCleanup, this);
    owner_pid_ = getpid();
    WatcherRegistry::Of(env).Add(this);
  }

  ~ExitWatcher() override { Stop(false); }

  // In a forked child: stop watching a process that is not our child,
  // without calling back.
  void Detach() override {
    if (poll_ == nullptr) return;
    on_exit_.Reset();
    Stop(true);
  }

 private:
  static void OnReadable(void* self, int status) { static_cast<ExitWatcher*>(self)->Reap(status); }

  void Reap(int poll_status) {
    // A copy inherited by a forked child: the process is not its child.
    if (getpid() != owner_pid_) {
      Detach();
      return;
    }
    WaitStatus status{};
    WaitResult result =
        WaitForChild(P_PIDFD, static_cast<id_t>(pidfd_), WEXITED | WNOHANG, &status);
    // Readable but not yet reapable cannot happen for an exit; be patient anyway.
    if (result == WaitResult::kNothingYet && poll_status == 0) return;
    int err = result == WaitResult::kFailed ? errno : 0;
    const char* failed = "waitid";
    if (result == WaitResult::kNothingYet) {
      err = -poll_status;
      failed = "uv_poll";
    }
    // Reaped: from here on the exit can only be reported, or dropped when
    // the environment is closing (then the report fails part way).
    RunFromLoop(Env(), [&] { Report(err, failed, status); });
    RunFromLoop(Env(), [&] {
      Stop(true);
      on_exit_.Reset();
    });
  }

  void Report(int err, const char* failed, const WaitStatus& exit) {
    Napi::Env env = Env();
    Napi::Object self = Value();  // held while Stop() lets the object go
    Stop(true);
    Napi::Value error = err != 0 ? ErrnoError(env, err, failed).Value() : env.Null();
    Napi::Value status = err != 0 ? env.Null() : WaitStatusObject(env, exit);
    CallFromLoop(env, on_exit_, self, {error, status}, *context_);
  }

  // Stops polling and closes the pidfd before anyone hears of the exit.
  // `release`: drop the reference that polling held on the JavaScript object.
  void Stop(bool release) {
    if (poll_ == nullptr) return;
    poll_->Close(pidfd_);
    poll_ = nullptr;
    pidfd_ = -1;
    if (!cleanup_hook_ran_) {
      WatcherRegistry::Of(Env()).Remove(this);
      napi_remove_env_cleanup_hook(Env(), OnEnvCleanup, this);
    }
    if (release) Unref();
  }

  // The environment is going away with its loop (a Worker ending, the
  // process exiting); the child may well outlive it. A child of this
  // process goes to the orphan reaper, so that it never stays a zombie.
  static void OnEnvCleanup(void* self) {
    ExitWatcher* watcher = static_cast<ExitWatcher*>(self);
    watcher->cleanup_hook_ran_ = true;
    if (watcher->poll_ == nullptr) return;
    int pidfd = watcher->pidfd_;
    bool ours = getpid() == watcher->owner_pid_;
    watcher->poll_->Close(ours ? -1 : pidfd);
    watcher->poll_ = nullptr;
    watcher->pidfd_ = -1;
    if (ours) AdoptOrphan(pidfd);
  }

  // kill(signal) -> true when sent, false when the child has already exited.
  Napi::Value Kill(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    // A copy of this watcher in a forked child must not signal the parent's child.
    if (poll_ == nullptr || getpid() != owner_pid_) return Napi::Boolean::New(env, false);
    int sig = info[0].As<Napi::Number>().Int32Value();
    // The kernel accepts a signal for a zombie; it reaches nobody. A child
    // that has exited (reaped or not) was not signalled.
    if (HasExited()) return Napi::Boolean::New(env, false);
    if (syscall(SYS_pidfd_send_signal, pidfd_, sig, nullptr, 0) != 0) {
      // ESRCH: exited, not yet reaped. Nothing was signalled.
      if (errno == ESRCH) return Napi::Boolean::New(env, false);
      throw ErrnoError(env, errno, "pidfd_send_signal");
    }
    return Napi::Boolean::New(env, true);
  }

  // True once the child has exited, without reaping it (WNOWAIT).
  bool HasExited() const {
    WaitStatus status{};
    return WaitForChild(P_PIDFD, static_cast<id_t>(pidfd_), WEXITED | WNOHANG | WNOWAIT, &status) ==
           WaitResult::kChanged;
  }

  Napi::Value RefLoop(const Napi::CallbackInfo& info) {
    if (poll_ != nullptr) poll_->SetRef(true);
    return info.Env().Undefined();
  }

  Napi::Value UnrefLoop(const Napi::CallbackInfo& info) {
    if (poll_ != nullptr) poll_->SetRef(false);
    return info.Env().Undefined();
  }

  PollHandle* poll_ = nullptr;  // null once polling stopped
  int pidfd_ = -1;
  pid_t owner_pid_ = 0;
  bool cleanup_hook_ran_ = false;
  Napi::FunctionReference on_exit_;
  std::unique_ptr<Napi::AsyncContext> context_;
};

}  // namespace

void InitExitWatcher(Napi::Env env, Napi::Object exports) {
  exports.Set("ExitWatcher", ExitWatcher::Define(env));
}

}  // namespace forkexec
