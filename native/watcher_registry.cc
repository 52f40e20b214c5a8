#include "watcher_registry.h"

#include <vector>

#include "bindings.h"
#include "orphan_reaper.h"

namespace forkexec {

WatcherRegistry& WatcherRegistry::Of(Napi::Env env) {
  // Per environment (the addon may load in several Worker threads), freed
  // by Node-API with the environment.
  WatcherRegistry* registry = env.GetInstanceData<WatcherRegistry>();
  if (registry == nullptr) {
    registry = new WatcherRegistry();
    env.SetInstanceData(registry);
  }
  return *registry;
}

size_t WatcherRegistry::DetachAll() {
  // Detach() removes the watcher from the set: iterate over a copy.
  std::vector<Detachable*> all(watchers_.begin(), watchers_.end());
  for (Detachable* w : all) w->Detach();
  return all.size();
}

namespace {

// detachInheritedWatchers() -> count. For a forked child only: stops every
// exit and readiness watcher copied from the parent, without callbacks, and
// the parent's orphans (orphan_reaper.h).
Napi::Value DetachInheritedWatchers(const Napi::CallbackInfo& info) {
  size_t n = WatcherRegistry::Of(info.Env()).DetachAll();
  n += static_cast<size_t>(ForgetInheritedOrphans());
  return Napi::Number::New(info.Env(), static_cast<double>(n));
}

}  // namespace

void InitWatcherRegistry(Napi::Env env, Napi::Object exports) {
  exports.Set("detachInheritedWatchers",
              Napi::Function::New(env, DetachInheritedWatchers, "detachInheritedWatchers"));
}

}  // namespace forkexec
