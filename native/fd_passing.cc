// Unix socket pairs and passing fds between processes with SCM_RIGHTS: the
// forkserver receives the fds of each request this way, as Python's does.
#include <errno.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <vector>

#include "bindings.h"
#include "errors.h"

namespace forkexec {

namespace {

// More fds than any request needs; a bound keeps the control buffer fixed.
constexpr int kMaxFds = 16;

// socketpair(seqpacket, cloexec): a stream pair, or a SOCK_SEQPACKET pair whose
// messages keep their boundaries (each request with its own fds).
Napi::Value Socketpair(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int type = info[0].As<Napi::Boolean>().Value() ? SOCK_SEQPACKET : SOCK_STREAM;
  bool cloexec = info[1].As<Napi::Boolean>().Value();
  int fds[2];
  if (socketpair(AF_UNIX, type | (cloexec ? SOCK_CLOEXEC : 0), 0, fds) != 0) {
    throw ErrnoError(env, errno, "socketpair");
  }
  Napi::Array pair = Napi::Array::New(env, 2);
  pair.Set(0u, fds[0]);
  pair.Set(1u, fds[1]);
  return pair;
}

// sendFds(socket, data, fds) -> bytes sent. Blocks like send(2) on a
// blocking socket; the data must be non-empty (it carries the fds).
Napi::Value SendFds(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int sock = info[0].As<Napi::Number>().Int32Value();
  Napi::Buffer<char> data = info[1].As<Napi::Buffer<char>>();
  Napi::Array list = info[2].As<Napi::Array>();
  uint32_t count = list.Length();
  if (count > kMaxFds || data.Length() == 0) throw ErrnoError(env, EINVAL, "sendmsg");

  iovec iov{data.Data(), data.Length()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (count > 0) {
    memset(control, 0, sizeof control);
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * count);
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * count);
    int* out = reinterpret_cast<int*>(CMSG_DATA(cmsg));
    for (uint32_t i = 0; i < count; i++) out[i] = list.Get(i).As<Napi::Number>().Int32Value();
  }
  ssize_t sent;
  do {
    sent = sendmsg(sock, &msg, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) throw ErrnoError(env, errno, "sendmsg");
  return Napi::Number::New(env, static_cast<double>(sent));
}

// recvFds(socket, maxBytes) -> { data, fds } without blocking, or null when
// nothing is there yet (EAGAIN). Received fds are close-on-exec. Empty data
// means the peer closed its end.
Napi::Value RecvFds(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int sock = info[0].As<Napi::Number>().Int32Value();
  size_t max_bytes = info[1].As<Napi::Number>().Uint32Value();
  std::vector<char> buffer(max_bytes > 0 ? max_bytes : 1);
  iovec iov{buffer.data(), buffer.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t got;
  do {
    got = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  } while (got < 0 && errno == EINTR);
  if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return env.Null();
  if (got < 0) throw ErrnoError(env, errno, "recvmsg");

  Napi::Array fds = Napi::Array::New(env);
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    const int* in = reinterpret_cast<const int*>(CMSG_DATA(c));
    for (size_t i = 0; i < n; i++) fds.Set(fds.Length(), in[i]);
  }
  if ((msg.msg_flags & MSG_CTRUNC) != 0) {
    // Fds that did not fit were closed by the kernel; do not hand out a
    // partial set.
    for (uint32_t i = 0; i < fds.Length(); i++) close(fds.Get(i).As<Napi::Number>().Int32Value());
    throw ErrnoError(env, EMSGSIZE, "recvmsg");
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("data", Napi::Buffer<char>::Copy(env, buffer.data(), static_cast<size_t>(got)));
  result.Set("fds", fds);
  return result;
}

// pollReadable(fd, timeoutMs) -> true when fd is readable (or hung up)
// within the time. For the few places that must wait synchronously, with a
// bound, instead of on the event loop.
Napi::Value PollReadable(const Napi::CallbackInfo& info) {
  pollfd p{info[0].As<Napi::Number>().Int32Value(), POLLIN, 0};
  int timeout = info[1].As<Napi::Number>().Int32Value();
  int rc;
  do {
    rc = poll(&p, 1, timeout);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) throw ErrnoError(info.Env(), errno, "poll");
  return Napi::Boolean::New(info.Env(), rc > 0);
}

// The uid, gid and pid of the process at the other end of a Unix socket.
Napi::Value PeerCredentials(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ucred cred{};
  socklen_t len = sizeof cred;
  if (getsockopt(info[0].As<Napi::Number>().Int32Value(), SOL_SOCKET, SO_PEERCRED, &cred, &len) !=
      0) {
    throw ErrnoError(env, errno, "getsockopt");
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("pid", cred.pid);
  result.Set("uid", cred.uid);
  result.Set("gid", cred.gid);
  return result;
}

}  // namespace

void InitFdPassing(Napi::Env env, Napi::Object exports) {
  exports.Set("socketpair", Napi::Function::New(env, Socketpair, "socketpair"));
  exports.Set("sendFds", Napi::Function::New(env, SendFds, "sendFds"));
  exports.Set("recvFds", Napi::Function::New(env, RecvFds, "recvFds"));
  exports.Set("pollReadable", Napi::Function::New(env, PollReadable, "pollReadable"));
  exports.Set("peerCredentials", Napi::Function::New(env, PeerCredentials, "peerCredentials"));
}

}  // namespace forkexec
