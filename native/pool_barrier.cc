#include "pool_barrier.h"

#include <stddef.h>
#include <stdlib.h>

namespace forkexec {

namespace {

// As libuv sizes its pool: UV_THREADPOOL_SIZE read once at its start, 4 by
// default, at least 1 and at most 1024. A program that changes the variable
// after the pool started makes this count wrong; a barrier that cannot fill
// then times out and the fork is refused.
int PoolSize() {
  const char* value = getenv("UV_THREADPOOL_SIZE");
  int size = value != nullptr ? atoi(value) : 4;
  if (size < 1) size = 1;
  if (size > 1024) size = 1024;
  return size;
}

// Barriers whose jobs have not all completed on this loop; only the thread
// that forks (the main thread: lib/fork refuses in Workers) touches it.
PoolBarrier* outstanding = nullptr;

}  // namespace

bool PoolBarrier::Needed(uv_loop_t* loop) {
  return outstanding != nullptr || loop->active_reqs.count != 0;
}

PoolBarrier* PoolBarrier::Hold(uv_loop_t* loop, double timeout_ms) {
  PoolBarrier* barrier = new PoolBarrier();
  barrier->threads_ = PoolSize();
  barrier->jobs_ = new uv_work_t[barrier->threads_];
  uv_mutex_init(&barrier->mutex_);
  uv_cond_init(&barrier->arrived_cond_);
  uv_cond_init(&barrier->release_cond_);
  for (int i = 0; i < barrier->threads_; i++) {
    barrier->jobs_[i].data = barrier;
    uv_queue_work(loop, &barrier->jobs_[i], Work, After);
  }
  barrier->next_ = outstanding;
  outstanding = barrier;
  uint64_t deadline = uv_hrtime() + static_cast<uint64_t>(timeout_ms * 1e6);
  uv_mutex_lock(&barrier->mutex_);
  while (barrier->arrived_ < barrier->threads_) {
    uint64_t now = uv_hrtime();
    if (now >= deadline) break;
    uv_cond_timedwait(&barrier->arrived_cond_, &barrier->mutex_, deadline - now);
  }
  bool full = barrier->arrived_ == barrier->threads_;
  uv_mutex_unlock(&barrier->mutex_);
  if (full) return barrier;
  barrier->Release();  // the jobs still finish and free it
  return nullptr;
}

void PoolBarrier::Release() {
  uv_mutex_lock(&mutex_);
  released_ = true;
  uv_cond_broadcast(&release_cond_);
  uv_mutex_unlock(&mutex_);
}

void PoolBarrier::ForgetAllInChild(uv_loop_t* loop) {
  for (PoolBarrier* b = outstanding; b != nullptr; b = b->next_) {
    if (b->forgotten_) continue;
    b->forgotten_ = true;
    // uv_queue_work counted each job as an active request of the loop.
    loop->active_reqs.count -= static_cast<unsigned int>(b->threads_ - b->finished_);
  }
}

int PoolBarrier::DropParentCompletionsInChild(uv_loop_t* loop) {
  // libuv keeps finished jobs on loop->wq until its loop runs their done
  // callbacks; the queue is a circular list of {next, prev} links. The
  // child has one thread, so nobody else touches it.
  struct uv__queue* head = &loop->wq;
  int dropped = 0;
  for (struct uv__queue* q = head->next; q != head; q = q->next) {
    const struct uv__work* work = reinterpret_cast<const struct uv__work*>(
        reinterpret_cast<const char*>(q) - offsetof(struct uv__work, wq));
    // Every pool job counted one active request; a barrier's were uncounted
    // by ForgetAllInChild.
    if (!IsBarrierJob(work)) loop->active_reqs.count--;
    dropped++;
  }
  head->next = head;
  head->prev = head;
  return dropped;
}

bool PoolBarrier::IsBarrierJob(const struct uv__work* work) {
  for (PoolBarrier* b = outstanding; b != nullptr; b = b->next_) {
    for (int i = 0; i < b->threads_; i++) {
      if (&b->jobs_[i].work_req == work) return true;
    }
  }
  return false;
}

void PoolBarrier::Work(uv_work_t* req) {
  PoolBarrier* barrier = static_cast<PoolBarrier*>(req->data);
  uv_mutex_lock(&barrier->mutex_);
  barrier->arrived_++;
  uv_cond_signal(&barrier->arrived_cond_);
  while (!barrier->released_) uv_cond_wait(&barrier->release_cond_, &barrier->mutex_);
  uv_mutex_unlock(&barrier->mutex_);
}

// On the parent's loop, once per job; the last one frees the barrier.
void PoolBarrier::After(uv_work_t* req, int /*status*/) {
  PoolBarrier* barrier = static_cast<PoolBarrier*>(req->data);
  // A completion posted before the fork, run by the child's loop: libuv has
  // just uncounted a request that ForgetAllInChild uncounted already.
  if (barrier->forgotten_) req->loop->active_reqs.count++;
  if (++barrier->finished_ < barrier->threads_) return;
  PoolBarrier** link = &outstanding;
  while (*link != barrier) link = &(*link)->next_;
  *link = barrier->next_;
  uv_cond_destroy(&barrier->arrived_cond_);
  uv_cond_destroy(&barrier->release_cond_);
  uv_mutex_destroy(&barrier->mutex_);
  delete[] barrier->jobs_;
  delete barrier;
}

}  // namespace forkexec
