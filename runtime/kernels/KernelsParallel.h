//===- KernelsParallel.h - Splitting large products across threads -*- C++ -*-===//
///
/// \file
/// A small fixed pool that runs the column blocks of one large matrix
/// product on several threads. Off by default: the number of threads comes
/// from the environment variable RNNC_THREADS (read once; 1 when unset), or
/// from setKernelThreads. Workers poll for a new job for at most 200 us
/// (the next per-time-step product usually comes sooner), then sleep on a
/// condition variable, so an oversubscribed machine slows down gently rather
/// than spinning. Handing out a job allocates nothing: the job is a
/// borrowed callable (FunctionRef), not a std::function, and setKernelThreads
/// starts the workers up front.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Error.h"

#include <optional>
#include <string>

#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>

namespace rnnc::runtime {

/// A non-owning reference to a callable: two pointers, never allocates.
/// Valid only while the callable it was made from is alive (pass lambdas
/// straight into the call that uses them).
template <typename Signature> class FunctionRef;
template <typename R, typename... Args> class FunctionRef<R(Args...)> {
public:
  template <typename F, typename = std::enable_if_t<
                            !std::is_same_v<std::decay_t<F>, FunctionRef>>>
  FunctionRef(F &&callable)
      : object_(const_cast<void *>(static_cast<const void *>(std::addressof(callable)))),
        call_([](void *object, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F> *>(object))(
              std::forward<Args>(args)...);
        }) {}
  R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

private:
  void *object_;
  R (*call_)(void *, Args...);
};

/// Threads used by the matrix-product kernels (>= 1): RNNC_THREADS when set,
/// else 1, until setKernelThreads.
int kernelThreads();

/// RNNC_THREADS parsed: nullopt when unset; an Error when it is not an
/// integer from 1 to 64 (the tool refuses to run then).
Expected<std::optional<int>> readThreadsVariable();
/// Sets the thread count for later products (clamped to [1, 64]) and starts
/// the workers it needs now, so no later product creates a thread.
void setKernelThreads(int threads);

/// Runs job(begin, end) over [0, count) split into contiguous chunks when
/// `work` (a flop estimate) is large enough to pay for the hand-off;
/// otherwise job(0, count) on the calling thread. The chunks (chunkCount,
/// chunkBegin) depend on `count` and `work` only, never on the thread count:
/// the threads share them out, so a job whose chunks are each computed the
/// same way gives the same bits for any number of threads.
void parallelChunks(int64_t count, double work,
                    FunctionRef<void(int64_t, int64_t)> job);

/// The `work` of copying `elements` floats: a load and a store each, as a
/// one-op fused loop counts (2 per element). So a copy is split from 64 Ki
/// floats, e.g. the d2l gathers (1120 x 256) but not a scan step's 32 x 256
/// concat part.
inline double copyWork(int64_t elements) { return 2.0 * static_cast<double>(elements); }

/// How many chunks parallelChunks makes of `count` items of `work` flops
/// (1: not split), and where chunk `chunk` of `chunks` begins (chunk ==
/// chunks gives `count`). Exposed for tests.
int64_t chunkCount(int64_t count, double work);
int64_t chunkBegin(int64_t count, int64_t chunks, int64_t chunk);

} // namespace rnnc::runtime
