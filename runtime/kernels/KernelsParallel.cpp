//===- KernelsParallel.cpp - Splitting large products across threads ------===//
///
/// \file
/// One job at a time (the generated code is single-threaded): the caller
/// publishes the job, runs chunk 0 itself, and waits until every worker has
/// finished its chunk. Both sides poll for a short while (kSpinMicros)
/// before sleeping on the condition variables: the per-time-step products of
/// a scan come microseconds apart, and a futex wake-up on a virtual machine
/// costs about as much as the product itself.
///
//===----------------------------------------------------------------------===//
#include "runtime/kernels/KernelsParallel.h"
#include "runtime/kernels/KernelProfile.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cerrno>
#include <cstdlib>
#include <mutex>
#include <pthread.h>
#include <thread>
#include <vector>

namespace rnnc::runtime {

namespace {

/// How long a worker (or the waiting caller) polls before it sleeps.
constexpr int64_t kSpinMicros = 200;

/// Polls `done()` for up to kSpinMicros; true when it became true.
template <typename Pred> bool spinUntil(Pred done) {
  auto start = std::chrono::steady_clock::now();
  for (unsigned i = 1;; ++i) {
    if (done())
      return true;
    if (i % 64 == 0 && std::chrono::steady_clock::now() - start >
                           std::chrono::microseconds(kSpinMicros))
      return false;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
}

/// Below this much work (flops, or a fused loop's estimate) a job runs on
/// the calling thread. With the polling hand-off a d2l per-time-step
/// 32x256x256 product (4.2 Mflop) gains from a second core, and so do the
/// per-step gate loops of the backward (0.26 Mflop for the LSTM): 1 << 17
/// rather than 1 << 20 took GRU / LSTM steps from 22.4 / 26.5 to 21.9 /
/// 26.1 ms (1 << 15 gained nothing more).
constexpr double kMinParallelWork = 1 << 17;

/// A split job runs as at most kChunks chunks of at least kMinChunk items
/// (columns, rows, panels or elements), whatever the thread count: the bits
/// of a product or a fused loop must not depend on how many threads run it.
/// 4 chunks keep 1, 2 and 4 threads balanced. On the 2-core Zen machine the
/// d2l train steps on 2 threads take the same time as with one chunk per
/// thread (medians of 16 interleaved runs within 1%); on 1 thread they pay
/// 2-4% (each chunk's GEMM packs again the operand the chunks share; 2
/// chunks instead of 4 saved only about 1%).
constexpr int64_t kChunks = 4;
constexpr int64_t kMinChunk = 8;
/// Chunk boundaries fall on multiples of this when the chunks are long
/// (whole AVX2 vectors in a fused element loop, whole 8-column blocks).
constexpr int64_t kChunkAlign = 8;

int threadsFromEnvironment() {
  // The tool reports a bad value before any kernel runs.
  Expected<std::optional<int>> n = readThreadsVariable();
  return n && *n ? **n : 1;
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

  /// Starts workers until there are at least `count`.
  void reserve(int count) {
    std::lock_guard<std::mutex> serial(runMutex_);
    startWorkers(count);
  }

  /// Runs job(part) for part in [0, parts); the caller takes part 0.
  void run(int parts, FunctionRef<void(int)> job) {
    std::lock_guard<std::mutex> serial(runMutex_);
    startWorkers(parts - 1);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = &job;
      parts_ = parts;
      pending_ = parts - 1;
      ++generation_;
    }
    wake_.notify_all();
    job(0);
    int64_t waitStart = kernelProfiling() ? profileNowNanos() : -1;
    spinUntil([this] { return pending_.load(std::memory_order_acquire) == 0; });
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return pending_ == 0; });
    job_ = nullptr;
    if (waitStart >= 0)
      profileCallerWait(profileNowNanos() - waitStart);
  }

private:
  /// Called with runMutex_ held.
  void startWorkers(int count) {
    workers_.reserve(static_cast<size_t>(std::max(count, 0)));
    while (static_cast<int>(workers_.size()) < count) {
      int index = static_cast<int>(workers_.size()) + 1;
      uint64_t start;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        start = generation_;
      }
      workers_.emplace_back([this, index, start] { workerLoop(index, start); });
      // Named, so profiles and tests can tell them from other threads.
      pthread_setname_np(workers_.back().native_handle(), "rnnc-kernel");
    }
  }

  /// `seen` is the generation before the worker's first job, fixed by its
  /// creator so a slow thread start cannot miss that job.
  void workerLoop(int index, uint64_t seen) {
    for (;;) {
      const FunctionRef<void(int)> *job;
      spinUntil([&] { return generation_.load(std::memory_order_acquire) != seen; });
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
      if (kernelProfiling()) {
        int64_t start = profileNowNanos();
        (*job)(index);
        profileWorkerBusy(index, profileNowNanos() - start);
      } else {
        (*job)(index);
      }
      std::lock_guard<std::mutex> lock(mutex_);
      if (--pending_ == 0)
        done_.notify_one();
    }
  }

  std::mutex runMutex_, mutex_;
  std::condition_variable wake_, done_;
  std::vector<std::thread> workers_;
  const FunctionRef<void(int)> *job_ = nullptr;
  // Written under mutex_; atomic so the spinning side may read them without it.
  int parts_ = 0;
  std::atomic<int> pending_{0};
  std::atomic<uint64_t> generation_{0};
  bool stopping_ = false;
};

WorkerPool &pool() {
  static WorkerPool instance;
  return instance;
}

} // namespace

Expected<std::optional<int>> readThreadsVariable() {
  const char *text = std::getenv("RNNC_THREADS");
  if (!text)
    return std::optional<int>();
  char *end = nullptr;
  errno = 0;
  long n = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || errno != 0 || n < 1 || n > 64)
    return Error(std::string("RNNC_THREADS='") + text +
                 "' is not a thread count (an integer from 1 to 64)");
  return std::optional<int>(static_cast<int>(n));
}

int kernelThreads() { return requestedThreads.load(std::memory_order_relaxed); }

void setKernelThreads(int threads) {
  threads = std::clamp(threads, 1, 64);
  requestedThreads.store(threads, std::memory_order_relaxed);
  if (threads > 1)
    pool().reserve(threads - 1);
}

int64_t chunkCount(int64_t count, double work) {
  if (work < kMinParallelWork)
    return 1;
  return std::clamp<int64_t>(count / kMinChunk, 1, kChunks);
}

int64_t chunkBegin(int64_t count, int64_t chunks, int64_t chunk) {
  if (chunk <= 0)
    return 0;
  if (chunk >= chunks)
    return count;
  // The even split, rounded to a multiple of kChunkAlign when the chunks are
  // long enough for that to unbalance them by at most an eighth.
  int64_t even = count * chunk / chunks;
  if (count < chunks * kChunkAlign * 4)
    return even;
  int64_t aligned = (even + kChunkAlign / 2) / kChunkAlign * kChunkAlign;
  return std::min(aligned, count);
}

void parallelChunks(int64_t count, double work,
                    FunctionRef<void(int64_t, int64_t)> job) {
  int64_t chunks = chunkCount(count, work);
  if (chunks <= 1) {
    job(0, count);
    return;
  }
  // The chunks depend on the count and the work only, never on the thread
  // count: every thread count runs the same chunks, each computed by the same
  // code, so the results have the same bits for 1, 2 or 64 threads. Threads
  // take the chunks round-robin (with fewer threads, one thread runs several
  // chunks one after the other).
  auto runChunk = [&](int64_t c) {
    int64_t begin = chunkBegin(count, chunks, c), end = chunkBegin(count, chunks, c + 1);
    if (begin < end)
      job(begin, end);
  };
  int64_t threads = std::min<int64_t>(kernelThreads(), chunks);
  if (threads <= 1) {
    for (int64_t c = 0; c < chunks; ++c)
      runChunk(c);
    return;
  }
  pool().run(static_cast<int>(threads), [&](int part) {
    for (int64_t c = part; c < chunks; c += threads)
      runChunk(c);
  });
}

} // namespace rnnc::runtime
