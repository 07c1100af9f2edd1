//===- KernelsParallel.h - Splitting large products across threads -*- C++ -*-===//
///
/// \file
/// A small fixed pool that runs the column blocks of one large matrix
/// product on several threads. Off by default: the number of threads comes
/// from the environment variable RNNC_THREADS (read once; 1 when unset), or
/// from setKernelThreads. Workers poll for a new job for at most 200 us
/// (the next per-time-step product usually comes sooner), then sleep on a
/// condition variable, so an oversubscribed machine slows down gently rather
/// than spinning.
///
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <functional>

namespace rnnc::runtime {

/// Threads used by the matrix-product kernels (>= 1).
int kernelThreads();
/// Sets the thread count for later products (clamped to [1, 64]).
void setKernelThreads(int threads);

/// Runs job(begin, end) over [0, count) split into contiguous chunks, one per
/// thread, when `work` (a flop estimate) is large enough to pay for the
/// hand-off; otherwise job(0, count) on the calling thread.
void parallelChunks(int64_t count, double work,
                    const std::function<void(int64_t, int64_t)> &job);

} // namespace rnnc::runtime
