// Holding libuv's threadpool still across a fork.
//
// A forked child has none of the pool's threads, but a copy of the pool's
// state: its queue mutex, the condition variable its idle threads wait on
// (glibc's condvar keeps its waiters' bookkeeping inside it: in the child a
// signal then waits for waiters that do not exist), the loop's work-done
// mutex and the count of running DNS jobs. libuv re-creates the pool in the
// child (pthread_atfork), but not all of that state. So before the fork,
// every pool thread is given one job of ours that blocks until the fork is
// done: then none waits on libuv's condvar, none holds a libuv lock, and no
// DNS job runs. Everything queued before those jobs has finished by then.
#pragma once

#include <uv.h>

namespace forkexec {

class PoolBarrier {
 public:
  // Whether a fork needs a barrier at all: not while this loop has no
  // request in flight (so no pool job of ours is queued, running or waiting
  // for its completion, and no barrier of an earlier fork is outstanding).
  // The pool's threads, if it has any, are then idle in libuv's condvar
  // wait (the caller checks every other thread sleeps), holding no lock and
  // no DNS slot, and libuv re-creates the pool's mutex, condvar and queue
  // in the child (its pthread_atfork handler).
  static bool Needed(uv_loop_t* loop);

  // Queues one blocking job per pool thread and waits up to timeout_ms until
  // all run. Returns null when they did not (the pool stayed busy); nothing
  // is then held.
  static PoolBarrier* Hold(uv_loop_t* loop, double timeout_ms);

  // In the parent, after the fork: lets the jobs finish (they free this).
  void Release();

  // In the child: the jobs of every barrier not yet completed on the parent's
  // loop (this one, and earlier ones whose completions the parent had not
  // run yet) belong to threads that are not here; the loop must not wait for
  // them. A completion that still reaches the child's loop is balanced.
  static void ForgetAllInChild(uv_loop_t* loop);

  // In a child that must not go on with the parent's work (fork(fn)): the
  // parent's pool jobs that had finished but whose completions its loop had
  // not run yet are dropped, so none of them runs here, neither JavaScript
  // nor C++ (fs.promises' readFile would issue its next read on the file
  // offset parent and child share, and take the parent's bytes). Returns how
  // many were dropped. Call after ForgetAllInChild, before the loop runs.
  static int DropParentCompletionsInChild(uv_loop_t* loop);

 private:
  static void Work(uv_work_t* req);
  static void After(uv_work_t* req, int status);
  static bool IsBarrierJob(const struct uv__work* work);

  int threads_ = 0;
  int arrived_ = 0;
  int finished_ = 0;
  bool released_ = false;
  bool forgotten_ = false;
  PoolBarrier* next_ = nullptr;  // the list of barriers with jobs not completed
  uv_mutex_t mutex_;
  uv_cond_t arrived_cond_;
  uv_cond_t release_cond_;
  uv_work_t* jobs_ = nullptr;
};

}  // namespace forkexec
