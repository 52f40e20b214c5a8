// The launcher: a spawn plan in C memory, and the three ways to start it.
//
// lib/spawn has validated every option and resolved PATH; SpawnPlan copies
// the result out of JavaScript into memory the child path can read without
// allocating, then Launch() picks the start method:
//
//   posix_spawn  whenever it can express the plan (glibc runs it with
//                CLONE_VM|CLONE_VFORK, so its cost does not grow with the
//                parent's memory);
//   vfork        clone(CLONE_VM|CLONE_VFORK|CLONE_PIDFD) into our own child
//                path, for what posix_spawn cannot do (uid/gid/groups, umask,
//                rlimits, pdeathsig);
//   fork         the last resort, same child path, cost grows with the heap.
#pragma once

#include <napi.h>
#include <spawn.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "child_path.h"
#include "cstrings.h"

namespace forkexec {

enum class SpawnMethod { kAuto, kPosixSpawn, kVfork, kFork };

const char* SpawnMethodName(SpawnMethod method);

// A started child: pid, a pidfd for it (-1 where the kernel has none), and
// the method that started it.
struct Launched {
  pid_t pid = -1;
  int pidfd = -1;
  SpawnMethod method = SpawnMethod::kAuto;
};

// A failed start: errno and the syscall it belongs to. Nothing is left
// behind (the child, if any, has been reaped; no fd stays open).
struct LaunchError {
  int err = 0;
  const char* syscall = "spawn";
};

class SpawnPlan {
 public:
  // Reads the plan object that lib/spawn/prepare.ts builds.
  explicit SpawnPlan(const Napi::Object& plan);
  SpawnPlan(const SpawnPlan&) = delete;
  SpawnPlan& operator=(const SpawnPlan&) = delete;

  // Starts the child. Returns false and fills *error when it could not.
  bool Launch(Launched* out, LaunchError* error);

  // Closes the fds the parent handed to the child (the child ends of pipes).
  void CloseParentCopies();

 private:
  bool PosixSpawnCanExpress() const;
  bool LaunchPosixSpawn(Launched* out, LaunchError* error);
  int AddFdActions(posix_spawn_file_actions_t* actions, std::vector<int>* moved,
                   const char** syscall);
  int AddCloseActions(posix_spawn_file_actions_t* actions, const char** syscall);
  int SpawnWithActions(const posix_spawn_file_actions_t* actions, Launched* out,
                       const char** syscall);
  bool LaunchChildPath(bool use_vfork, Launched* out, LaunchError* error);
  pid_t StartChildPath(bool use_vfork, int* pidfd);

  std::string path_;
  CStringArray argv_;
  CStringArray envp_;
  bool use_environ_ = false;  // envp null: the process environment as it is now
  bool has_cwd_ = false;
  std::string cwd_;
  std::vector<ChildFd> fds_;
  std::vector<int> scratch_;
  std::vector<ChildRlimit> rlimits_;
  std::vector<gid_t> groups_;
  std::vector<int> close_in_parent_;
  SpawnMethod method_ = SpawnMethod::kAuto;
  ChildPlan plan_{};
};

}  // namespace forkexec
