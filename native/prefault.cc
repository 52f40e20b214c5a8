// Pre-faulting a forked child's memory while it waits for work (the
// forkserver's pre-forked children). After a fork every private page the
// child shares with its parent is write-protected: its first write to each
// one takes a copy-on-write fault, which costs tens of microseconds on a
// guest with shadow page tables. MADV_POPULATE_WRITE (Linux 5.14) takes
// those faults in the kernel, ahead of time and several times cheaper.
//
// Only pages already resident are populated: they are the ones shared with
// the parent. V8 and the C heap reserve far more than they use (a 512 MB
// code range, 8 MB thread stacks), and populating all of it would cost
// memory for pages nobody touches.
//
// It stops as soon as a given fd is readable (the request came): the rest
// would only delay it.
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "bindings.h"
#include "fork_safety.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

namespace forkexec {

namespace {

// mincore() is asked about this many pages at a time (a fixed buffer).
constexpr size_t kChunkPages = 16384;
// One madvise populates at most this many pages (1 MB), so that a request
// that comes meanwhile waits for little more than that.
constexpr size_t kRunPages = 256;

struct PrefaultTotals {
  double mappings = 0;
  double bytes = 0;
  bool supported = true;
  bool interrupted = false;
};

bool Readable(int fd) {
  if (fd < 0) return false;
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, 0) > 0;
}

// Populates [start, start + pages * page) where mincore says resident, one
// madvise per run of resident pages (at most kRunPages), until stop_fd is
// readable. False when the kernel does not know MADV_POPULATE_WRITE.
bool PopulateResident(uintptr_t start, size_t pages, size_t page, int stop_fd,
                      PrefaultTotals* totals) {
  std::vector<unsigned char> resident(kChunkPages);
  for (size_t done = 0; done < pages; done += kChunkPages) {
    // Huge mappings with few resident pages (a sanitizer's shadow memory)
    // take many chunks: a request must not wait for the whole scan.
    if (Readable(stop_fd)) {
      totals->interrupted = true;
      return true;
    }
    size_t count = pages - done < kChunkPages ? pages - done : kChunkPages;
    uintptr_t base = start + done * page;
    if (mincore(reinterpret_cast<void*>(base), count * page, resident.data()) != 0) return true;
    for (size_t i = 0; i < count;) {
      if ((resident[i] & 1) == 0) {
        i++;
        continue;
      }
      if (Readable(stop_fd)) {
        totals->interrupted = true;
        return true;
      }
      size_t run = i;
      while (run < count && run - i < kRunPages && (resident[run] & 1) != 0) run++;
      void* at = reinterpret_cast<void*>(base + i * page);
      size_t length = (run - i) * page;
      if (madvise(at, length, MADV_POPULATE_WRITE) == 0) {
        totals->bytes += static_cast<double>(length);
      } else if (errno == EINVAL) {
        return false;
      }
      i = run;
    }
  }
  return true;
}

// prefaultPrivateMemory(stopFd) -> { mappings, bytes, supported, interrupted }:
// populates, for writing, the resident pages of every private writable
// mapping, until stopFd (-1: none) is readable. Failures of one mapping
// (EFAULT, ENOMEM, a mapping that went away) are ignored: this only saves
// faults.
Napi::Value PrefaultPrivateMemory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int stop_fd = info[0].As<Napi::Number>().Int32Value();
  PrefaultTotals totals;
  size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  std::string maps;
  if (ReadWholeFile("/proc/self/maps", &maps) != 0) maps.clear();
  for (size_t at = 0; at < maps.size() && totals.supported && !totals.interrupted;) {
    size_t end = maps.find('\n', at);
    if (end == std::string::npos) end = maps.size();
    std::string line = maps.substr(at, end - at);
    at = end + 1;
    unsigned long from = 0;
    unsigned long to = 0;
    char perms[5] = {0};
    if (sscanf(line.c_str(), "%lx-%lx %4s", &from, &to, perms) != 3) continue;
    if (perms[0] != 'r' || perms[1] != 'w' || perms[3] != 'p' || to <= from) continue;
    totals.mappings++;
    totals.supported = PopulateResident(from, (to - from) / page, page, stop_fd, &totals);
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("mappings", Napi::Number::New(env, totals.mappings));
  result.Set("bytes", Napi::Number::New(env, totals.bytes));
  result.Set("supported", Napi::Boolean::New(env, totals.supported));
  result.Set("interrupted", Napi::Boolean::New(env, totals.interrupted));
  return result;
}

}  // namespace

void InitPrefault(Napi::Env env, Napi::Object exports) {
  exports.Set("prefaultPrivateMemory",
              Napi::Function::New(env, PrefaultPrivateMemory, "prefaultPrivateMemory"));
}

}  // namespace forkexec
