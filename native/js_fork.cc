// The fork behind fork() for JavaScript, and the measurements of its steps
// behind the bench harness (lib/bench/forkSteps.ts).
//
// Same recipe as posix.fork() (fork_recipe.h), with the cached heap scan and
// the threadpool held still, and it reports how long each step took and how
// much of the V8 heap it had to re-mark. Everything else a JavaScript child needs (fresh
// pid, random state, its own exit path) is done in lib/fork.
#include <errno.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include <string>

#include "bindings.h"
#include "errors.h"
#include "fork_recipe.h"
#include "napi_values.h"
#include "pool_barrier.h"

namespace forkexec {

namespace {

// The child (pid 0) gets no timings: its clock readings are the parent's.
Napi::Object TimingsObject(Napi::Env env, pid_t pid, const ForkRecipe& recipe) {
  const DontForkMappings& heap = recipe.heap();
  Napi::Object result = Napi::Object::New(env);
  result.Set("pid", Napi::Number::New(env, pid));
  result.Set("scanNs", Napi::Number::New(env, pid == 0 ? 0 : recipe.scan_ns()));
  result.Set("allowNs", Napi::Number::New(env, pid == 0 ? 0 : recipe.allow_ns()));
  result.Set("forkNs", Napi::Number::New(env, pid == 0 ? 0 : recipe.fork_ns()));
  result.Set("restoreNs", Napi::Number::New(env, pid == 0 ? 0 : recipe.restore_ns()));
  result.Set("mappings", Napi::Number::New(env, static_cast<double>(heap.mappings())));
  result.Set("ranges", Napi::Number::New(env, static_cast<double>(heap.count())));
  result.Set("bytes", Napi::Number::New(env, static_cast<double>(heap.bytes())));
  result.Set("scanReused", Napi::Boolean::New(env, heap.reused()));
  return result;
}

Napi::Value ForkWithHeldPool(Napi::Env env, uv_loop_t* loop, PoolBarrier* pool);

// jsFork(poolWaitMs) -> { pid, scanNs, allowNs, forkNs, restoreNs, mappings,
// bytes } ({ poolBusy: true } when the threadpool did not come to rest within
// poolWaitMs); pid is 0 in the child.
Napi::Value JsFork(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double pool_wait_ms = info[0].As<Napi::Number>().DoubleValue();
  uv_loop_t* loop = EventLoop(env);
  if (!PoolBarrier::Needed(loop)) return ForkWithHeldPool(env, loop, nullptr);
  PoolBarrier* pool = PoolBarrier::Hold(loop, pool_wait_ms);
  if (pool == nullptr) {
    Napi::Object busy = Napi::Object::New(env);
    busy.Set("poolBusy", Napi::Boolean::New(env, true));
    return busy;
  }
  return ForkWithHeldPool(env, loop, pool);
}

// The fork itself, with the pool held still (see pool_barrier.h) or, when
// pool is null, with nothing of the loop's in flight; a held pool is let go
// on every path out of here.
Napi::Value ForkWithHeldPool(Napi::Env env, uv_loop_t* loop, PoolBarrier* pool) {
  ForkRecipe recipe;
  int err = recipe.BeforeFork(HeapScan::kCached);
  if (err != 0) {
    if (pool != nullptr) pool->Release();
    throw ErrnoError(env, err, recipe.failed_syscall());
  }
  pid_t pid = fork();
  err = errno;
  recipe.AfterFork(pid, loop);
  if (pid == 0) {
    PoolBarrier::ForgetAllInChild(loop);
    return TimingsObject(env, 0, recipe);
  }
  if (pool != nullptr) pool->Release();
  if (pid < 0) throw ErrnoError(env, err, "fork");
  return TimingsObject(env, pid, recipe);
}

// measureFork(mode) -> timings of one fork whose child _exits at once,
// without touching JavaScript. Mode "bare": only the fork syscall (the heap
// stays MADV_DONTFORK, as a bare fork() would leave it); "scan": the recipe
// with a full smaps scan; "cached": the recipe as jsFork runs it. The parent
// reaps that one pid.
Napi::Value MeasureFork(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string mode = info[0].As<Napi::String>().Utf8Value();
  HeapScan how = mode == "bare"     ? HeapScan::kNone
                 : mode == "cached" ? HeapScan::kCached
                                    : HeapScan::kFresh;
  ForkRecipe recipe;
  int err = recipe.BeforeFork(how);
  if (err != 0) throw ErrnoError(env, err, recipe.failed_syscall());
  pid_t pid = fork();
  if (pid == 0) _exit(0);
  err = errno;
  recipe.AfterFork(pid, nullptr);
  if (pid < 0) throw ErrnoError(env, err, "fork");
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return TimingsObject(env, pid, recipe);
}

// raiseHandled(error): hands `error` to Node's uncaught-exception handling,
// synchronously, as Node-API's napi_fatal_exception does for a failed async
// callback. A forked child uses it with a listener that handles the error:
// Node then empties its async-id stack, which the child needs before it
// abandons the frames that pushed onto it (lib/fork/nodeInternals.ts).
Napi::Value RaiseHandled(const Napi::CallbackInfo& info) {
  napi_status status = napi_fatal_exception(info.Env(), info[0]);
  if (status != napi_ok) throw Napi::Error::New(info.Env(), "napi_fatal_exception failed");
  return info.Env().Undefined();
}

}  // namespace

// dropParentCompletions() -> how many of the parent's finished pool jobs a
// fork(fn) child dropped (see pool_barrier.h).
Napi::Value DropParentCompletions(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int dropped = PoolBarrier::DropParentCompletionsInChild(EventLoop(env));
  return Napi::Number::New(env, dropped);
}

void InitJsFork(Napi::Env env, Napi::Object exports) {
  exports.Set("dropParentCompletions",
              Napi::Function::New(env, DropParentCompletions, "dropParentCompletions"));
  exports.Set("jsFork", Napi::Function::New(env, JsFork, "jsFork"));
  exports.Set("measureFork", Napi::Function::New(env, MeasureFork, "measureFork"));
  exports.Set("raiseHandled", Napi::Function::New(env, RaiseHandled, "raiseHandled"));
}

}  // namespace forkexec
