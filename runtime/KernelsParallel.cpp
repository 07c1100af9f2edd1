//===- KernelsParallel.cpp - Splitting large products across threads ------===//
///
/// \file
/// One job at a time (the generated code is single-threaded): the caller
/// publishes the job, runs chunk 0 itself, and waits until every worker has
/// finished its chunk.
///
//===----------------------------------------------------------------------===//
#include "runtime/KernelsParallel.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace rnnc::runtime {

namespace {

/// Below this many flops a product runs on the calling thread. Measured on
/// the d2l step: a per-time-step 32x256x256 product (4.2 Mflop) loses more to
/// the condition-variable hand-off than it gains from a second core.
constexpr double kMinParallelWork = 1 << 23;

int threadsFromEnvironment() {
  const char *text = std::getenv("RNNC_THREADS");
  int n = text ? std::atoi(text) : 1;
  return std::clamp(n, 1, 64);
}

std::atomic<int> requestedThreads{threadsFromEnvironment()};

class WorkerPool {
public:
  ~WorkerPool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
      ++generation_;
    }
    wake_.notify_all();
    for (std::thread &t : workers_)
      t.join();
  }

  /// Runs job(part) for part in [0, parts); the caller takes part 0.
  void run(int parts, const std::function<void(int)> &job) {
    std::lock_guard<std::mutex> serial(runMutex_);
    while (static_cast<int>(workers_.size()) < parts - 1) {
      int index = static_cast<int>(workers_.size()) + 1;
      uint64_t start;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        start = generation_;
      }
      workers_.emplace_back([this, index, start] { workerLoop(index, start); });
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = &job;
      parts_ = parts;
      pending_ = parts - 1;
      ++generation_;
    }
    wake_.notify_all();
    job(0);
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return pending_ == 0; });
    job_ = nullptr;
  }

private:
  /// `seen` is the generation before the worker's first job, fixed by its
  /// creator so a slow thread start cannot miss that job.
  void workerLoop(int index, uint64_t seen) {
    for (;;) {
      const std::function<void(int)> *job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
        if (stopping_)
          return;
        if (index >= parts_)
          continue; // this job has fewer parts than workers
        job = job_;
      }
      (*job)(index);
      std::lock_guard<std::mutex> lock(mutex_);
      if (--pending_ == 0)
        done_.notify_one();
    }
  }

  std::mutex runMutex_, mutex_;
  std::condition_variable wake_, done_;
  std::vector<std::thread> workers_;
  const std::function<void(int)> *job_ = nullptr;
  int parts_ = 0, pending_ = 0;
  uint64_t generation_ = 0;
  bool stopping_ = false;
};

WorkerPool &pool() {
  static WorkerPool instance;
  return instance;
}

} // namespace

int kernelThreads() { return requestedThreads.load(std::memory_order_relaxed); }

void setKernelThreads(int threads) {
  requestedThreads.store(std::clamp(threads, 1, 64), std::memory_order_relaxed);
}

void parallelChunks(int64_t count, double work,
                    const std::function<void(int64_t, int64_t)> &job) {
  int threads = kernelThreads();
  int64_t parts = std::min<int64_t>(threads, count / 8); // >= 8 columns each
  if (parts <= 1 || work < kMinParallelWork) {
    job(0, count);
    return;
  }
  pool().run(static_cast<int>(parts), [&](int part) {
    int64_t begin = count * part / parts, end = count * (part + 1) / parts;
    job(begin, end);
  });
}

} // namespace rnnc::runtime
