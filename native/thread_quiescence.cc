// Waiting, before a fork, until every other thread of the process sleeps.
//
// Only the forking thread exists in a child. A thread that was running at the
// fork may have held a lock there (libuv's threadpool queue, the loop's
// work-done mutex, Node's platform task queue) or been counted as running a
// slow job (libuv's DNS throttle): the child would then wait forever on the
// first use. A thread asleep in a futex wait (an idle pool thread waiting for
// work, released its mutex) or in epoll_wait (Node's delayed-task scheduler)
// holds none of them. So the parent waits, briefly and with a bound, until
// every other thread is asleep in one of those, and says who was not.
#include <dirent.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "bindings.h"

namespace forkexec {

namespace {

struct ThreadState {
  long tid;
  std::string name;
  char state;
  std::string wchan;
};

std::string ReadSmallFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  char buf[512];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return "";
  std::string text(buf, static_cast<size_t>(n));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// From /proc/self/task/<tid>/stat: "tid (name) S ...". The name may hold
// spaces and parentheses, so the state follows the last ')'.
bool ReadThread(long tid, ThreadState* out) {
  std::string dir = "/proc/self/task/" + std::to_string(tid);
  std::string stat = ReadSmallFile(dir + "/stat");
  size_t open_paren = stat.find('(');
  size_t close_paren = stat.rfind(')');
  if (open_paren == std::string::npos || close_paren == std::string::npos ||
      close_paren + 2 >= stat.size()) {
    return false;  // gone meanwhile
  }
  out->tid = tid;
  out->name = stat.substr(open_paren + 1, close_paren - open_paren - 1);
  out->state = stat[close_paren + 2];
  out->wchan = ReadSmallFile(dir + "/wchan");
  return true;
}

bool Asleep(const ThreadState& t) {
  if (t.state != 'S') return false;
  // Without a readable wchan the state is all there is to go by.
  if (t.wchan.empty() || t.wchan == "0") return true;
  return t.wchan.find("futex") != std::string::npos || t.wchan.find("epoll") != std::string::npos ||
         t.wchan == "ep_poll";
}

// The other threads that are not asleep now.
std::vector<ThreadState> BusyThreads() {
  std::vector<ThreadState> busy;
  long self = static_cast<long>(syscall(SYS_gettid));
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return busy;
  while (struct dirent* entry = readdir(dir)) {
    char* end = nullptr;
    long tid = strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || tid == self) continue;
    ThreadState t;
    if (ReadThread(tid, &t) && !Asleep(t)) busy.push_back(t);
  }
  closedir(dir);
  return busy;
}

double NowMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// waitForIdleThreads(timeoutMs) -> the threads still busy when the time ran
// out ([] as soon as all sleep): [{ tid, name, state, wchan }].
Napi::Value WaitForIdleThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double deadline = NowMs() + info[0].As<Napi::Number>().DoubleValue();
  std::vector<ThreadState> busy = BusyThreads();
  while (!busy.empty() && NowMs() < deadline) {
    struct timespec pause = {0, 200 * 1000};
    nanosleep(&pause, nullptr);
    busy = BusyThreads();
  }
  Napi::Array result = Napi::Array::New(env, busy.size());
  for (size_t i = 0; i < busy.size(); i++) {
    Napi::Object t = Napi::Object::New(env);
    t.Set("tid", Napi::Number::New(env, static_cast<double>(busy[i].tid)));
    t.Set("name", Napi::String::New(env, busy[i].name));
    t.Set("state", Napi::String::New(env, std::string(1, busy[i].state)));
    t.Set("wchan", Napi::String::New(env, busy[i].wchan));
    result.Set(static_cast<uint32_t>(i), t);
  }
  return result;
}

}  // namespace

void InitThreadQuiescence(Napi::Env env, Napi::Object exports) {
  exports.Set("waitForIdleThreads",
              Napi::Function::New(env, WaitForIdleThreads, "waitForIdleThreads"));
}

}  // namespace forkexec
