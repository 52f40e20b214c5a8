// Taking a served forkserver child's memory teardown off its exit.
//
// The kernel reports a process's exit to its parent only after do_exit has
// released the process's memory, and when the process is the last user of
// that memory, releasing it is the teardown itself (exit_mmap: every page
// the child copied or pre-faulted, and its page tables). On a guest with
// shadow page tables that costs 5-10 ms for a Node child, between its
// answer and the status its caller waits for. When another process still
// uses the same memory, the exit only drops a reference, and the last user
// pays for the teardown later.
//
// So a served child, as it leaves, clones a holder that shares its memory
// (CLONE_VM) and keeps nothing else the child must give back: the holder
// closes every fd but the read end of a pipe whose write end only the child
// has, and waits on it. The child's exit closes that write end; the holder
// wakes and exits, tearing the memory down after the child's status is out.
// CLONE_PARENT makes it the server's child; the server reaps it by the pid
// the child reports.
//
// The holder shares the memory of a process that is still running its last
// steps, so it runs on a static stack, makes raw syscalls only (the libc
// wrappers would write the child's errno) and starts with every signal
// blocked (no handler of the child's ever runs in it).
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bindings.h"
#include "glibc_symbol_versions.h"

#ifndef __NR_close_range
#define __NR_close_range 436  // the same on every architecture (Linux 5.9)
#endif

namespace forkexec {

namespace {

#if defined(__x86_64__) || defined(__aarch64__)
#define FORKEXEC_TEARDOWN_HOLDER 1

long RawSyscall3(long number, long a, long b, long c) {
#if defined(__x86_64__)
  long result;
  __asm__ volatile("syscall"
                   : "=a"(result)
                   : "a"(number), "D"(a), "S"(b), "d"(c)
                   : "rcx", "r11", "memory");
  return result;
#else
  register long x8 __asm__("x8") = number;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory", "cc");
  return x0;
#endif
}

alignas(64) char holder_stack[64 * 1024];
constexpr long kHolderNice = 10;

// The holder: gives back every fd but its pipe, waits for end-of-file (the
// child's exit), returns (clone's wrapper then exits with it). Without
// close_range (Linux < 5.9) it leaves at once: it must not keep the child's
// channel and pipes open past the child's exit.
__attribute__((no_sanitize_address)) int HolderMain(void* arg) {
  long fd = reinterpret_cast<long>(arg);
  if (fd > 0 && RawSyscall3(__NR_close_range, 0, fd - 1, 0) != 0) return 0;
  if (RawSyscall3(__NR_close_range, fd + 1, ~0U, 0) != 0) return 0;
  // The teardown is nobody's wait any more: it yields the CPU to whoever
  // is (the server, the client, the next child).
  RawSyscall3(__NR_setpriority, PRIO_PROCESS, 0, kHolderNice);
  char byte;
  while (RawSyscall3(__NR_read, fd, reinterpret_cast<long>(&byte), 1) != 0) {
  }
  return 0;
}

// Clones the holder with every signal blocked; its pid, or 0 when there is
// none (the child then tears its memory down itself, as any process does).
long CloneHolder() {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return 0;
  sigset_t all;
  sigset_t old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  long pid =
      clone(HolderMain, holder_stack + sizeof holder_stack, CLONE_VM | CLONE_PARENT | SIGCHLD,
            reinterpret_cast<void*>(static_cast<long>(pipe_fds[0])));
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  close(pipe_fds[0]);
  // The write end stays open in this process until its exit, on purpose.
  if (pid < 0) {
    close(pipe_fds[1]);
    return 0;
  }
  return pid;
}
#endif

// holdMemoryTeardown() -> the holder's pid (the caller's parent must reap
// it), or 0 when this platform or kernel gives none. Call it once, right
// before the process leaves, in a single-threaded process.
Napi::Value HoldMemoryTeardown(const Napi::CallbackInfo& info) {
#ifdef FORKEXEC_TEARDOWN_HOLDER
  return Napi::Number::New(info.Env(), static_cast<double>(CloneHolder()));
#else
  return Napi::Number::New(info.Env(), 0);
#endif
}

}  // namespace

void InitTeardownHolder(Napi::Env env, Napi::Object exports) {
  exports.Set("holdMemoryTeardown",
              Napi::Function::New(env, HoldMemoryTeardown, "holdMemoryTeardown"));
}

}  // namespace forkexec
