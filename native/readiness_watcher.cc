// Calls JavaScript when an fd becomes readable, on the event loop. Node has
// no public way to watch an arbitrary fd; the forkserver needs one for its
// control socket, whose messages carry fds (SCM_RIGHTS) that a net.Socket
// would drop.
#include <uv.h>

#include "bindings.h"
#include "errors.h"
#include "loop_callback.h"
#include "poll_handle.h"
#include "watcher_registry.h"

namespace forkexec {

namespace {

class ReadinessWatcher : public Napi::ObjectWrap<ReadinessWatcher>, public Detachable {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "ReadinessWatcher",
                       {InstanceMethod("close", &ReadinessWatcher::Close),
                        InstanceMethod("ref", &ReadinessWatcher::RefLoop),
                        InstanceMethod("unref", &ReadinessWatcher::UnrefLoop)});
  }

  // new ReadinessWatcher(fd, onReadable): does not own fd.
  explicit ReadinessWatcher(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<ReadinessWatcher>(info) {
    Napi::Env env = info.Env();
    int fd = info[0].As<Napi::Number>().Int32Value();
    on_readable_ = Napi::Persistent(info[1].As<Napi::Function>());
    context_ = std::make_unique<Napi::AsyncContext>(env, "forkexec.readinessWatcher");
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    int rc = 0;
    poll_ = PollHandle::Start(loop, fd, UV_READABLE | UV_DISCONNECT, OnReadable, this, &rc);
    if (poll_ == nullptr) throw ErrnoError(env, -rc, "uv_poll_init");
    Ref();
    napi_add_env_cleanup_hook(env, OnEnvCleanup, this);
    WatcherRegistry::Of(env).Add(this);
  }

  ~ReadinessWatcher() override { Stop(false); }

  void Detach() override { Stop(true); }

 private:
  static void OnReadable(void* owner, int status) {
    ReadinessWatcher* self = static_cast<ReadinessWatcher*>(owner);
    Napi::Env env = self->Env();
    RunFromLoop(env, [&] {
      Napi::Value error = status < 0 ? ErrnoError(env, -status, "uv_poll").Value() : env.Null();
      CallFromLoop(env, self->on_readable_, self->Value(), {error}, *self->context_);
    });
  }

  void Stop(bool release) {
    if (poll_ == nullptr) return;
    poll_->Close(-1);
    poll_ = nullptr;
    if (!cleanup_hook_ran_) {
      WatcherRegistry::Of(Env()).Remove(this);
      napi_remove_env_cleanup_hook(Env(), OnEnvCleanup, this);
    }
    if (release) Unref();
  }

  static void OnEnvCleanup(void* self) {
    ReadinessWatcher* watcher = static_cast<ReadinessWatcher*>(self);
    watcher->cleanup_hook_ran_ = true;
    watcher->Stop(false);
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Stop(true);
    return info.Env().Undefined();
  }

  Napi::Value RefLoop(const Napi::CallbackInfo& info) {
    if (poll_ != nullptr) poll_->SetRef(true);
    return info.Env().Undefined();
  }

  Napi::Value UnrefLoop(const Napi::CallbackInfo& info) {
    if (poll_ != nullptr) poll_->SetRef(false);
    return info.Env().Undefined();
  }

  PollHandle* poll_ = nullptr;
  bool cleanup_hook_ran_ = false;
  Napi::FunctionReference on_readable_;
  std::unique_ptr<Napi::AsyncContext> context_;
};

}  // namespace

void InitReadinessWatcher(Napi::Env env, Napi::Object exports) {
  exports.Set("ReadinessWatcher", ReadinessWatcher::Define(env));
}

}  // namespace forkexec
