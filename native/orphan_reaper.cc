#include "orphan_reaper.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <unordered_set>

#include "glibc_symbol_versions.h"
#include "wait_status.h"

namespace forkexec {

namespace {

// One per process. The pidfds are listed (under the lock) as well as in the
// epoll set, so that a forked child knows which fd numbers are copies of its
// parent's orphans.
struct Reaper {
  pid_t owner;
  int epoll_fd;
  std::mutex lock;
  std::unordered_set<int> pidfds;
};

// Never freed in the process that made it: the thread uses it until exit.
std::atomic<Reaper*> g_reaper{nullptr};

// Reaps the child of `pidfd` if it has exited; true when it is gone.
bool ReapIfExited(int pidfd) {
  WaitStatus status{};
  // An error (ECHILD: reaped elsewhere) also means there is nothing to wait for.
  return WaitForChild(P_PIDFD, static_cast<id_t>(pidfd), WEXITED | WNOHANG, &status) !=
         WaitResult::kNothingYet;
}

void* ReaperMain(void* arg) {
  Reaper* reaper = static_cast<Reaper*>(arg);
  epoll_event events[16];
  for (;;) {
    int n = epoll_wait(reaper->epoll_fd, events, 16, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return nullptr;
    for (int i = 0; i < n; i++) {
      int pidfd = events[i].data.fd;
      if (!ReapIfExited(pidfd)) continue;
      std::lock_guard<std::mutex> held(reaper->lock);
      epoll_ctl(reaper->epoll_fd, EPOLL_CTL_DEL, pidfd, nullptr);
      close(pidfd);
      reaper->pidfds.erase(pidfd);
    }
  }
}

bool StartReaperThread(Reaper* reaper) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  // The thread inherits this mask: every signal stays with Node's threads.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_t thread;
  int err = pthread_create(&thread, &attr, ReaperMain, reaper);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  pthread_attr_destroy(&attr);
  return err == 0;
}

// This process's reaper, started on first use; nullptr when it cannot be.
Reaper* ThisProcessReaper() {
  pid_t self = getpid();
  for (;;) {
    Reaper* current = g_reaper.load();
    if (current != nullptr && current->owner == self) return current;
    if (current != nullptr) ForgetInheritedOrphans();
    int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd < 0) return nullptr;
    Reaper* fresh = new Reaper{self, epoll_fd, {}, {}};
    Reaper* expected = nullptr;
    if (!g_reaper.compare_exchange_strong(expected, fresh)) {
      close(epoll_fd);  // another thread started one first
      delete fresh;
      continue;
    }
    if (StartReaperThread(fresh)) return fresh;
    g_reaper.store(nullptr);
    close(epoll_fd);
    delete fresh;
    return nullptr;
  }
}

}  // namespace

void AdoptOrphan(int pidfd) {
  if (ReapIfExited(pidfd)) {
    close(pidfd);
    return;
  }
  Reaper* reaper = ThisProcessReaper();
  if (reaper != nullptr) {
    std::lock_guard<std::mutex> held(reaper->lock);
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = pidfd;
    if (epoll_ctl(reaper->epoll_fd, EPOLL_CTL_ADD, pidfd, &event) == 0) {
      reaper->pidfds.insert(pidfd);
      return;
    }
  }
  // Without a reaper the child stays a zombie, as it would have before.
  close(pidfd);
}

int ForgetInheritedOrphans() {
  Reaper* inherited = g_reaper.load();
  if (inherited == nullptr || inherited->owner == getpid()) return 0;
  // A forked child has only the thread that forked, so nothing races this.
  // A lock that was held at the fork guards a list caught mid-change: its
  // fds are left alone (close-on-exec copies) rather than guessed at.
  int count = 0;
  if (inherited->lock.try_lock()) {
    for (int pidfd : inherited->pidfds) close(pidfd);
    count = static_cast<int>(inherited->pidfds.size());
    inherited->lock.unlock();
    close(inherited->epoll_fd);
    delete inherited;
  } else {
    close(inherited->epoll_fd);
  }
  g_reaper.store(nullptr);
  return count;
}

}  // namespace forkexec
