// The fork behind fork() for JavaScript, and the measurements of its steps
// behind the bench harness (lib/bench/forkSteps.ts).
//
// Same recipe as posix.fork() (fork_safety.h, then uv_loop_fork in the
// child), but it reports how long each step took and how much of the V8 heap
// it had to re-mark, so the cost of the safety steps can be measured against
// the fork syscall itself. Everything else a JavaScript child needs (fresh
// pid, random state, its own exit path) is done in lib/fork.
#include <errno.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include <string>

#include "bindings.h"
#include "errors.h"
#include "fork_safety.h"
#include "pool_barrier.h"

namespace forkexec {

namespace {

double NowNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

struct ForkTimings {
  double scan_ns = 0;
  double allow_ns = 0;
  double fork_ns = 0;
  double restore_ns = 0;
  bool reused = false;
};

Napi::Object TimingsObject(Napi::Env env, pid_t pid, const ForkTimings& t,
                           const DontForkMappings& heap) {
  Napi::Object result = Napi::Object::New(env);
  result.Set("pid", Napi::Number::New(env, pid));
  result.Set("scanNs", Napi::Number::New(env, t.scan_ns));
  result.Set("allowNs", Napi::Number::New(env, t.allow_ns));
  result.Set("forkNs", Napi::Number::New(env, t.fork_ns));
  result.Set("restoreNs", Napi::Number::New(env, t.restore_ns));
  result.Set("mappings", Napi::Number::New(env, static_cast<double>(heap.mappings())));
  result.Set("ranges", Napi::Number::New(env, static_cast<double>(heap.count())));
  result.Set("bytes", Napi::Number::New(env, static_cast<double>(heap.bytes())));
  result.Set("scanReused", Napi::Boolean::New(env, t.reused));
  return result;
}

Napi::Value ForkWithHeldPool(Napi::Env env, uv_loop_t* loop, PoolBarrier* pool);

// jsFork(poolWaitMs) -> { pid, scanNs, allowNs, forkNs, restoreNs, mappings,
// bytes } ({ poolBusy: true } when the threadpool did not come to rest within
// poolWaitMs); pid is 0 in the child.
Napi::Value JsFork(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double pool_wait_ms = info[0].As<Napi::Number>().DoubleValue();
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) throw Napi::Error::New(env, "no event loop");
  PoolBarrier* pool = PoolBarrier::Hold(loop, pool_wait_ms);
  if (pool == nullptr) {
    Napi::Object busy = Napi::Object::New(env);
    busy.Set("poolBusy", Napi::Boolean::New(env, true));
    return busy;
  }
  return ForkWithHeldPool(env, loop, pool);
}

// The fork itself, with the pool held still (see pool_barrier.h); the pool
// is let go on every path out of here.
Napi::Value ForkWithHeldPool(Napi::Env env, uv_loop_t* loop, PoolBarrier* pool) {
  ForkTimings t;
  DontForkMappings heap;
  double t0 = NowNs();
  int err = heap.ScanCached(&t.reused);
  const char* failed = "open";
  double t1 = NowNs();
  if (err == 0) {
    err = heap.AllowForkSpanning();
    failed = "madvise";
  }
  if (err != 0) {
    pool->Release();
    throw ErrnoError(env, err, failed);
  }
  double t2 = NowNs();
  pid_t pid = fork();
  err = errno;
  double t3 = NowNs();
  // Both sides put the heap back: the parent to be as it was, the child so
  // that its own child_process spawns stay cheap.
  heap.Restore();
  double t4 = NowNs();
  if (pid == 0) {
    PoolBarrier::ForgetAllInChild(loop);
    // A child whose loop shares the parent's epoll instance must not go on.
    if (uv_loop_fork(loop) != 0) _exit(127);
    return TimingsObject(env, 0, t, heap);
  }
  pool->Release();
  if (pid < 0) throw ErrnoError(env, err, "fork");
  t.scan_ns = t1 - t0;
  t.allow_ns = t2 - t1;
  t.fork_ns = t3 - t2;
  t.restore_ns = t4 - t3;
  return TimingsObject(env, pid, t, heap);
}

// measureFork(mode) -> timings of one fork whose child _exits at once,
// without touching JavaScript. Mode "bare": only the fork syscall (the heap
// stays MADV_DONTFORK, as a bare fork() would leave it); "scan": the recipe
// with a full smaps scan; "cached": the recipe as jsFork runs it. The parent
// reaps that one pid.
Napi::Value MeasureFork(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string mode = info[0].As<Napi::String>().Utf8Value();
  bool safe = mode != "bare";
  ForkTimings t;
  DontForkMappings heap;
  double t0 = NowNs();
  if (safe) {
    int err = mode == "cached" ? heap.ScanCached(&t.reused) : heap.Scan();
    if (err != 0) throw ErrnoError(env, err, "open");
  }
  double t1 = NowNs();
  if (safe) {
    int err = heap.AllowForkSpanning();
    if (err != 0) throw ErrnoError(env, err, "madvise");
  }
  double t2 = NowNs();
  pid_t pid = fork();
  if (pid == 0) _exit(0);
  int err = errno;
  double t3 = NowNs();
  if (safe) heap.Restore();
  double t4 = NowNs();
  if (pid < 0) throw ErrnoError(env, err, "fork");
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  t.scan_ns = t1 - t0;
  t.allow_ns = t2 - t1;
  t.fork_ns = t3 - t2;
  t.restore_ns = t4 - t3;
  return TimingsObject(env, pid, t, heap);
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

void InitJsFork(Napi::Env env, Napi::Object exports) {
  exports.Set("jsFork", Napi::Function::New(env, JsFork, "jsFork"));
  exports.Set("measureFork", Napi::Function::New(env, MeasureFork, "measureFork"));
  exports.Set("raiseHandled", Napi::Function::New(env, RaiseHandled, "raiseHandled"));
}

}  // namespace forkexec
