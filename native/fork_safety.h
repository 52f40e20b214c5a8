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

#include <string>
#include <vector>

namespace forkexec {

// Appends the whole of a (/proc) file to *out: 0, or the errno.
int ReadWholeFile(const char* path, std::string* out);

// How Scan() reads the mappings.
enum class HeapScan {
  // /proc/self/smaps every time. Any thread may scan this way.
  kFresh,
  // /proc/self/maps first, and the last kCached scan again when the mappings
  // are the same (the kernel computes every mapping's RSS for smaps, which
  // costs more than the fork itself; maps is plain text). A mapping only
  // becomes MADV_DONTFORK by an madvise on fresh memory, which changes maps,
  // so an equal maps means equal flags. The cache is not locked: only the
  // main thread may scan this way (lib/fork refuses in Worker threads).
  kCached,
  // Nothing: no mapping is found, so none is re-marked (measureFork's bare
  // fork, which leaves the heap MADV_DONTFORK as a bare fork() would).
  kNone,
};

class DontForkMappings {
 public:
  // Finds the flagged mappings. Returns the errno of a failed read, 0 on success.
  int Scan(HeapScan how);
  // Whether the last Scan(kCached) reused the scan before it.
  bool reused() const { return reused_; }
  // MADV_DOFORK on every mapping found, with one madvise over the span of
  // all of them where the kernel allows it (the mappings between are left as
  // they are), else one per range. Returns 0 or the errno of madvise, with
  // every mapping put back.
  int AllowFork() const;
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
  int ScanSmaps();
  int ScanCached();
  int AllowForkEach() const;

  std::vector<Range> ranges_;
  size_t mappings_ = 0;
  size_t bytes_ = 0;
  bool reused_ = false;
};

}  // namespace forkexec
