// The glibc calls newer than the prebuilds' baseline (glibc 2.28, the one
// Node's own Linux binaries need), found at run time so that one binary
// loads on every glibc from 2.28 on. Where the running glibc lacks one, the
// chdir calls return ENOSYS (callers check Have*() first), closefrom and
// _Fork are emulated.
//
// FORKEXEC_TEST_GLIBC_BASELINE=1 in the environment when the addon loads makes
// every one of them "missing", so the tests can force each fallback on a new
// glibc. It is read once, at load, and is for tests only (see README).
#pragma once

#include <spawn.h>
#include <sys/types.h>

namespace forkexec {

// Looks the symbols up (dlsym); called once when the addon loads.
void InitGlibcCompat();

// posix_spawn_file_actions_addclosefrom_np (glibc 2.34), else emulated.
bool HaveAddClosefrom();
int AddClosefrom(posix_spawn_file_actions_t* actions, int from);

// posix_spawn_file_actions_addchdir_np / addfchdir_np (glibc 2.29).
bool HaveAddChdir();
int AddChdir(posix_spawn_file_actions_t* actions, const char* path);
int AddFchdir(posix_spawn_file_actions_t* actions, int fd);

// fork() without the pthread_atfork handlers: glibc's _Fork (2.34), else a
// raw clone syscall, which runs no handlers either. Async-signal-safe.
pid_t ForkWithoutHandlers();

}  // namespace forkexec
