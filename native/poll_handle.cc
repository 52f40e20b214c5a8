#include "poll_handle.h"

#include <stdlib.h>
#include <unistd.h>

namespace forkexec {

namespace {

// libc's free as the close callback: unlike a function of this addon, it
// stays mapped when the addon is unloaded. (void(*)() is the one function
// pointer type GCC lets any other be cast through; free gets the pointer
// libuv passes, which is the PollHandle since the handle is its first member.)
const uv_close_cb kFreeClosedHandle =
    reinterpret_cast<uv_close_cb>(reinterpret_cast<void (*)()>(&free));

void OnEvent(uv_poll_t* handle, int status, int /*events*/) {
  PollHandle* self = static_cast<PollHandle*>(handle->data);
  if (self->owner != nullptr) self->callback(self->owner, status);
}

}  // namespace

PollHandle* PollHandle::Start(uv_loop_t* loop, int fd, int events, Callback callback, void* owner,
                              int* err) {
  PollHandle* self = static_cast<PollHandle*>(calloc(1, sizeof(PollHandle)));
  if (self == nullptr) {
    *err = UV_ENOMEM;
    return nullptr;
  }
  self->callback = callback;
  self->owner = owner;
  *err = uv_poll_init(loop, &self->handle, fd);
  if (*err != 0) {
    // uv_poll_init leaves nothing for libuv to close when it fails.
    free(self);
    return nullptr;
  }
  self->handle.data = self;
  *err = uv_poll_start(&self->handle, events, OnEvent);
  if (*err != 0) {
    self->Close(-1);
    return nullptr;
  }
  return self;
}

void PollHandle::Close(int fd_to_close) {
  owner = nullptr;
  // uv_close stops polling and drops the fd from epoll at once (only the
  // free is deferred), so the fd can be closed right after it: whoever
  // awaited an exit finds no fd left open. Closing it before uv_close could
  // let libuv act on a reused fd number.
  uv_close(reinterpret_cast<uv_handle_t*>(&handle), kFreeClosedHandle);
  if (fd_to_close >= 0) close(fd_to_close);
}

void PollHandle::SetRef(bool on) {
  uv_handle_t* h = reinterpret_cast<uv_handle_t*>(&handle);
  if (on) {
    uv_ref(h);
  } else {
    uv_unref(h);
  }
}

}  // namespace forkexec
