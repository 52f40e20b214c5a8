// A forked child's own "the loop ran out of work".
//
// When Node's loop drains, Node first waits for its platform's worker tasks
// (NodePlatform::DrainTasks) and only then emits 'beforeExit' and 'exit'. In
// a forked child those workers do not exist, and a task that was queued for
// them (Node 26's V8 posts scavenger jobs even with --single-threaded) is
// never done: the child would wait forever. So a child keeps its loop from
// draining with one referenced prepare handle, and before each poll checks
// whether anything but that handle keeps the loop alive; when nothing does,
// it calls back, and JavaScript runs Node's ending itself ('beforeExit',
// then 'exit', then _exit).
#include <uv.h>

#include "bindings.h"
#include "loop_callback.h"

namespace forkexec {

namespace {

struct DrainWatch {
  napi_env env;
  uv_prepare_t prepare;
  Napi::FunctionReference on_drained;
  Napi::AsyncContext* context;
  bool calling = false;
};

bool OnlyThisKeepsTheLoop(uv_loop_t* loop) {
  return loop->active_handles <= 1 && loop->active_reqs.count == 0;
}

void BeforePoll(uv_prepare_t* prepare) {
  DrainWatch* watch = static_cast<DrainWatch*>(prepare->data);
  if (watch->calling || !OnlyThisKeepsTheLoop(prepare->loop)) return;
  watch->calling = true;
  Napi::Env env(watch->env);
  Napi::HandleScope scope(env);
  // As Node: 'beforeExit' first; the end only if its listeners added no work.
  CallFromLoop(env, watch->on_drained, env.Global(), {Napi::Boolean::New(env, false)},
               *watch->context);
  if (OnlyThisKeepsTheLoop(prepare->loop)) {
    CallFromLoop(env, watch->on_drained, env.Global(), {Napi::Boolean::New(env, true)},
                 *watch->context);
  }
  watch->calling = false;
}

// watchDrain(onDrained): in a forked child only. onDrained(false) stands for
// 'beforeExit', onDrained(true) for the end. Lives until the child's _exit.
Napi::Value WatchDrain(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) throw Napi::Error::New(env, "no event loop");
  DrainWatch* watch = new DrainWatch();
  watch->env = env;
  watch->on_drained = Napi::Persistent(info[0].As<Napi::Function>());
  watch->context = new Napi::AsyncContext(env, "forkexec.drainWatch");
  uv_prepare_init(loop, &watch->prepare);
  watch->prepare.data = watch;
  uv_prepare_start(&watch->prepare, BeforePoll);
  return env.Undefined();
}

}  // namespace

void InitDrainWatcher(Napi::Env env, Napi::Object exports) {
  exports.Set("watchDrain", Napi::Function::New(env, WatchDrain, "watchDrain"));
}

}  // namespace forkexec
