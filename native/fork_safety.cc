#include "fork_safety.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>
#include <utility>

namespace forkexec {

int ReadWholeFile(const char* path, std::string* out) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  char chunk[65536];
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      return err;
    }
    if (n == 0) break;
    out->append(chunk, static_cast<size_t>(n));
  }
  close(fd);
  return 0;
}

namespace {

// "VmFlags: rd wr mr mw me dc ac sd" -> true when the two-letter flag "dc"
// (VM_DONTCOPY, set by MADV_DONTFORK) is among them.
bool HasDontCopyFlag(const char* flags, const char* end) {
  for (const char* p = flags; p + 2 <= end; p++) {
    if (p[0] == 'd' && p[1] == 'c' && (p == flags || p[-1] == ' ') &&
        (p + 2 == end || p[2] == ' ')) {
      return true;
    }
  }
  return false;
}

// The maps text and the ranges of the last HeapScan::kCached scan (main
// thread only, see fork_safety.h).
std::string cached_maps;
std::vector<std::pair<char*, size_t>> cached_ranges;
size_t cached_mappings = 0;
size_t cached_bytes = 0;

}  // namespace

int DontForkMappings::Scan(HeapScan how) {
  reused_ = false;
  if (how == HeapScan::kCached) return ScanCached();
  if (how == HeapScan::kFresh) return ScanSmaps();
  ranges_.clear();
  mappings_ = 0;
  bytes_ = 0;
  return 0;
}

int DontForkMappings::ScanCached() {
  std::string maps;
  int err = ReadWholeFile("/proc/self/maps", &maps);
  if (err != 0) return err;
  if (!cached_maps.empty() && maps == cached_maps) {
    ranges_.clear();
    for (const auto& r : cached_ranges) ranges_.push_back({r.first, r.second});
    mappings_ = cached_mappings;
    bytes_ = cached_bytes;
    reused_ = true;
    return 0;
  }
  err = ScanSmaps();
  if (err != 0) return err;
  cached_maps.swap(maps);
  cached_ranges.clear();
  for (const Range& r : ranges_) cached_ranges.emplace_back(r.start, r.length);
  cached_mappings = mappings_;
  cached_bytes = bytes_;
  return 0;
}

int DontForkMappings::ScanSmaps() {
  ranges_.clear();
  mappings_ = 0;
  bytes_ = 0;
  std::string smaps;
  int err = ReadWholeFile("/proc/self/smaps", &smaps);
  if (err != 0) return err;

  // A mapping's header line ("start-end perms ...") comes first; its VmFlags
  // line comes last in the block.
  char* start = nullptr;
  char* end = nullptr;
  // Whether a mapping without the flag came after the last range: if none
  // did, only a hole separates this one from it, and one range covers both
  // (madvise skips holes), which saves a syscall per V8 page.
  bool other_since_last = true;
  size_t pos = 0;
  while (pos < smaps.size()) {
    size_t eol = smaps.find('\n', pos);
    if (eol == std::string::npos) eol = smaps.size();
    const char* line = smaps.data() + pos;
    const char* line_end = smaps.data() + eol;
    if (strncmp(line, "VmFlags:", 8) == 0) {
      if (start != nullptr && HasDontCopyFlag(line + 8, line_end)) {
        if (!ranges_.empty() && !other_since_last) {
          ranges_.back().length = static_cast<size_t>(end - ranges_.back().start);
        } else {
          ranges_.push_back({start, static_cast<size_t>(end - start)});
        }
        other_since_last = false;
        mappings_++;
        bytes_ += static_cast<size_t>(end - start);
      } else {
        other_since_last = true;
      }
    } else if (isxdigit(static_cast<unsigned char>(line[0]))) {
      char* dash = nullptr;
      unsigned long lo = strtoul(line, &dash, 16);
      if (dash != nullptr && *dash == '-') {
        unsigned long hi = strtoul(dash + 1, nullptr, 16);
        start = reinterpret_cast<char*>(lo);
        end = reinterpret_cast<char*>(hi);
      }
    }
    pos = eol + 1;
  }
  return 0;
}

int DontForkMappings::AllowForkEach() const {
  for (const Range& r : ranges_) {
    // ENOMEM: the range spans a hole; the mappings in it were done.
    if (madvise(r.start, r.length, MADV_DOFORK) != 0 && errno != ENOMEM) {
      int err = errno;
      Restore();
      return err;
    }
  }
  return 0;
}

int DontForkMappings::AllowFork() const {
  if (ranges_.empty()) return 0;
  // MADV_DOFORK only clears VM_DONTCOPY: on the mappings between ours, which
  // do not have it, it changes nothing, and the kernel skips holes (ENOMEM
  // once it is done). A mapping it refuses (VM_IO: EINVAL) means one call
  // per mapping after all.
  char* first = ranges_.front().start;
  char* last = ranges_.back().start + ranges_.back().length;
  if (madvise(first, static_cast<size_t>(last - first), MADV_DOFORK) == 0 || errno == ENOMEM) {
    return 0;
  }
  return AllowForkEach();
}

void DontForkMappings::Restore() const {
  // A mapping that V8 unmapped in between is not an error worth reporting:
  // there is nothing left to restore.
  for (const Range& r : ranges_) madvise(r.start, r.length, MADV_DONTFORK);
}

}  // namespace forkexec
