// A fixed pool of worker threads with a blocking parallel-for over an index
// range. Work is split into contiguous chunks; callers must make every index's
// result independent of the others, so results do not depend on the thread
// count.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tarmac {

class ThreadPool {
 public:
  // `threads` <= 1 runs everything on the calling thread.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls fn(i) for every i in [0, n), spread over the pool and the caller;
  // returns when all calls returned. Not re-entrant.
  void ParallelFor(int n, const std::function<void(int)>& fn);

 private:
  void WorkerLoop(int worker);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(int)>* fn_ = nullptr;
  int n_ = 0;
  int next_chunk_ = 0;
  int chunks_ = 0;
  int chunk_size_ = 1;
  int pending_ = 0;
  long long generation_ = 0;
  bool stop_ = false;
};

// Calls fn(i) for i in [0, n) on `pool`, or serially when pool is null.
void ParallelFor(ThreadPool* pool, int n, const std::function<void(int)>& fn);

}  // namespace tarmac
