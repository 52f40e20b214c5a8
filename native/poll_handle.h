// A libuv poll handle with a lifetime of its own.
//
// The handle lives in malloc'd memory apart from the JavaScript object that
// uses it, and libuv frees it with libc's free() as its close callback. No
// code of this addon runs once Close() is called: a Worker unloads its
// addons at teardown, so a close callback of ours still queued then would
// jump into unmapped code; and Node-API references may already be gone.
#pragma once

#include <uv.h>

namespace forkexec {

struct PollHandle {
  using Callback = void (*)(void* owner, int status);

  // Starts polling fd for `events`; returns nullptr and sets *err (a
  // negative libuv code) on failure.
  static PollHandle* Start(uv_loop_t* loop, int fd, int events, Callback callback, void* owner,
                           int* err);

  // Stops polling, closes `fd_to_close` (nothing for -1) and lets libuv free
  // this. No callback reaches the owner again.
  void Close(int fd_to_close);

  void SetRef(bool on);

  uv_poll_t handle;  // first: libuv hands this pointer to free()
  Callback callback;
  void* owner;
};

}  // namespace forkexec
