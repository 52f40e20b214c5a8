// Making a Node process safe to fork at the memory level.
//
// Node >= 20.4 builds V8 so that its heap mappings are MADV_DONTFORK (it makes
// child_process cheaper). A child forked from such a process has holes where
// the heap was and dies with SIGSEGV as soon as it touches JavaScript. Before
// a fork we find those mappings (VmFlags "dc" in /proc/self/smaps), mark them
// MADV_DOFORK, and mark them MADV_DONTFORK again afterwards, so the parent
// ends up exactly as it was, also when fork fails.
#pragma once

#include <stddef.h>

#include <vector>

namespace forkexec {

class DontForkMappings {
 public:
  // Reads /proc/self/smaps. Returns the errno of a failed read, 0 on success.
  int Scan();
  // Like Scan(), but reads /proc/self/maps first and reuses the last scan
  // when the mappings are the same (the kernel computes every mapping's RSS
  // for smaps, which costs more than the fork itself; maps is plain text).
  // A mapping only becomes MADV_DONTFORK by an madvise on fresh memory, which
  // changes maps, and this runs on the one thread that forks, so an equal
  // maps means equal flags. *reused tells which way it went.
  int ScanCached(bool* reused);
  // MADV_DOFORK on every mapping found. Returns 0 or the errno of madvise.
  int AllowFork() const;
  // The same with one madvise over the span of all of them (the mappings
  // between are left as they are). Needs the ranges in address order, as
  // Scan() finds them.
  int AllowForkSpanning() const;
  // MADV_DONTFORK on every mapping found, putting the process back as it was.
  void Restore() const;

  // Ranges, not mappings: one range may cover several flagged mappings with
  // only holes between them (never another mapping).
  size_t count() const { return ranges_.size(); }
  // The flagged mappings themselves: how many, how many bytes.
  size_t mappings() const { return mappings_; }
  size_t bytes() const { return bytes_; }

 private:
  struct Range {
    char* start;
    size_t length;
  };
  std::vector<Range> ranges_;
  size_t mappings_ = 0;
  size_t bytes_ = 0;
};

}  // namespace forkexec
