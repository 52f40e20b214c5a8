// The poll-based watchers alive in one environment, so that a forked child
// can let go of the copies it inherited: left alone, a copied exit watcher
// would keep the child's loop alive and try to reap (or signal) a process
// that is the parent's child, not the child's.
#pragma once

#include <napi.h>
#include <sys/types.h>

#include <unordered_set>

namespace forkexec {

// Something that can stop watching without calling back.
class Detachable {
 public:
  virtual void Detach() = 0;

 protected:
  ~Detachable() = default;
};

class WatcherRegistry {
 public:
  static WatcherRegistry& Of(Napi::Env env);
  void Add(Detachable* watcher) { watchers_.insert(watcher); }
  void Remove(Detachable* watcher) { watchers_.erase(watcher); }
  // Detaches every watcher; returns how many there were.
  size_t DetachAll();

 private:
  std::unordered_set<Detachable*> watchers_;
};

}  // namespace forkexec
