#include "sim/thread_pool.h"

#include <algorithm>

namespace tarmac {

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { WorkerLoop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::ParallelFor(int n, const std::function<void(int)>& fn) {
  if (n <= 0) return;
  if (workers_.empty() || n == 1) {
    for (int i = 0; i < n; ++i) fn(i);
    return;
  }
  std::unique_lock<std::mutex> lock(mutex_);
  fn_ = &fn;
  n_ = n;
  // A few chunks per thread balance uneven scenario costs.
  chunks_ = std::min(n, size() * 4);
  chunk_size_ = (n + chunks_ - 1) / chunks_;
  chunks_ = (n + chunk_size_ - 1) / chunk_size_;
  next_chunk_ = 0;
  pending_ = chunks_;
  ++generation_;
  wake_.notify_all();
  // The caller works too.
  while (next_chunk_ < chunks_) {
    const int c = next_chunk_++;
    lock.unlock();
    for (int i = c * chunk_size_; i < std::min(n, (c + 1) * chunk_size_); ++i) fn(i);
    lock.lock();
    --pending_;
  }
  done_.wait(lock, [this] { return pending_ == 0; });
  fn_ = nullptr;
}

void ThreadPool::WorkerLoop(int) {
  long long seen = 0;
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return stop_ || (generation_ != seen && next_chunk_ < chunks_); });
    if (stop_) return;
    seen = generation_;
    while (fn_ != nullptr && next_chunk_ < chunks_) {
      const int c = next_chunk_++;
      const std::function<void(int)>* fn = fn_;
      const int n = n_, size = chunk_size_;
      lock.unlock();
      for (int i = c * size; i < std::min(n, (c + 1) * size); ++i) (*fn)(i);
      lock.lock();
      if (--pending_ == 0) done_.notify_all();
    }
  }
}

void ParallelFor(ThreadPool* pool, int n, const std::function<void(int)>& fn) {
  if (pool == nullptr) {
    for (int i = 0; i < n; ++i) fn(i);
  } else {
    pool->ParallelFor(n, fn);
  }
}

}  // namespace tarmac
