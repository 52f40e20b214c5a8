#include "glibc_compat.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

// Linked against a new glibc, dlsym would bind to its GLIBC_2.34 version
// (the one in libc.so.6, after libdl was merged into it). Ask for the
// architecture's first version instead: glibc 2.28 has it in libdl.so.2,
// which every glibc Node loads, and newer glibcs keep it in libc.so.6.
#if defined(__GLIBC__) && defined(__x86_64__)
__asm__(".symver dlsym,dlsym@GLIBC_2.2.5");
#elif defined(__GLIBC__) && defined(__aarch64__)
__asm__(".symver dlsym,dlsym@GLIBC_2.17");
#endif

namespace forkexec {

namespace {

using AddClosefromFn = int (*)(posix_spawn_file_actions_t*, int);
using AddChdirFn = int (*)(posix_spawn_file_actions_t*, const char*);
using AddFchdirFn = int (*)(posix_spawn_file_actions_t*, int);
using ForkFn = pid_t (*)();

struct GlibcCalls {
  AddClosefromFn add_closefrom = nullptr;
  AddChdirFn add_chdir = nullptr;
  AddFchdirFn add_fchdir = nullptr;
  ForkFn fork_without_handlers = nullptr;
};

template <typename Fn>
Fn Find(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, name));
}

GlibcCalls Lookup() {
  GlibcCalls found;
  const char* baseline = getenv("FORKEXEC_TEST_GLIBC_BASELINE");
  if (baseline != nullptr && strcmp(baseline, "1") == 0) return found;
  found.add_closefrom = Find<AddClosefromFn>("posix_spawn_file_actions_addclosefrom_np");
  found.add_chdir = Find<AddChdirFn>("posix_spawn_file_actions_addchdir_np");
  found.add_fchdir = Find<AddFchdirFn>("posix_spawn_file_actions_addfchdir_np");
  found.fork_without_handlers = Find<ForkFn>("_Fork");
  return found;
}

// Looked up once, when the first copy of the addon loads (a thread-safe
// static, so Worker threads loading it at the same time agree); read-only
// afterwards, so a child reads it without taking any lock.
const GlibcCalls& Calls() {
  static const GlibcCalls calls = Lookup();
  return calls;
}

}  // namespace

void InitGlibcCompat() {
  Calls();
}

bool HaveAddClosefrom() {
  return Calls().add_closefrom != nullptr;
}

// Before glibc 2.34: one close action per fd open now at or above `from`.
// An fd another thread opens after this listing is not closed in the child
// (Node and libuv open theirs close-on-exec); spawn's 'auto' method takes
// the child path instead, which closes everything in the child.
int AddClosefrom(posix_spawn_file_actions_t* actions, int from) {
  if (Calls().add_closefrom) return Calls().add_closefrom(actions, from);
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return errno;
  int err = 0;
  while (dirent* entry = readdir(dir)) {
    int fd = atoi(entry->d_name);
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9' || fd < from || fd == dirfd(dir)) continue;
    err = posix_spawn_file_actions_addclose(actions, fd);
    if (err != 0) break;
  }
  closedir(dir);
  return err;
}

bool HaveAddChdir() {
  return Calls().add_chdir != nullptr;
}

int AddChdir(posix_spawn_file_actions_t* actions, const char* path) {
  return Calls().add_chdir ? Calls().add_chdir(actions, path) : ENOSYS;
}

int AddFchdir(posix_spawn_file_actions_t* actions, int fd) {
  return Calls().add_fchdir ? Calls().add_fchdir(actions, fd) : ENOSYS;
}

pid_t ForkWithoutHandlers() {
  ForkFn fork_without_handlers = Calls().fork_without_handlers;
  if (fork_without_handlers) return fork_without_handlers();
  // Before glibc 2.34: the bare clone syscall, as fork would make it but
  // without glibc's fork wrapper, so no atfork handler runs and no lock of
  // glibc's is taken. Its child knows nothing of its own thread id in
  // glibc's thread descriptor, exactly like the vfork child, and the child
  // path relies on that nowhere (raw syscalls for credentials, no raise).
  // Zero stack and tid arguments: the argument order differs between
  // architectures, but only the flags are set.
  return static_cast<pid_t>(syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0));
}

}  // namespace forkexec
