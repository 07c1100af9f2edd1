//===- DataParallel.h - One global minibatch split across ranks -*- C++ -*-===//
///
/// \file
/// Data-parallel training, written once for every transport (the
/// Collective: one process, or MPI). Each of N ranks compiles the train step
/// for its share of the recipe's global batch B, and per update:
///  1. takes its rows of the global minibatch (every rank draws the same
///     global minibatches from the seed; consecutive sampling's streams are
///     rows, so each rank carries the states of its own streams);
///  2. runs the step: the mean loss over its B_r*T positions and its
///     gradient;
///  3. weights both by B_r / B and sums them over the ranks, so the result
///     is the single-process mean over all B*T positions and its gradient;
///  4. then every rank clips by the same global norm and applies the same
///     update, so the parameters stay identical without being sent.
///
/// Split rule: B = q*N + m gives the first m ranks q+1 rows and the others
/// q, in rank order (rank r's rows follow rank r-1's); B < N is an error.
///
/// Order of the sum: the flat buffer (gradients, then the loss) of every
/// rank is gathered to every rank, and each element is summed in double in
/// rank order, then rounded to float once. Not MPI_Allreduce: its algorithm
/// (and so the order of the float additions) is the library's choice and
/// may change with the message size or tuning; here it is fixed, so runs
/// with the same N are bit-identical. Different N round differently (the
/// step's own sums run over other row counts): equal within float error.
///
/// Times per update: compute (everything between two reductions on this
/// rank), wait (the barrier before the gather: the slowest rank's lead) and
/// all-reduce (the gather and the sum).
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Error.h"
#include "runtime/parallel/Collective.h"
#include "runtime/train/CompiledStep.h"
#include "runtime/train/Sampler.h"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace rnnc::runtime {

/// Rows [first, first + count) of the global batch.
struct RowShare {
  int64_t first = 0, count = 0;
};

/// Rank `rank`'s rows of a global batch of `globalBatch` split over `ranks`.
RowShare rowShareOf(int64_t globalBatch, int rank, int ranks);

/// Where the time of the updates went, summed over the updates.
struct ParallelTimes {
  int64_t updates = 0;
  double computeSeconds = 0, waitSeconds = 0, reduceSeconds = 0;
  int64_t bytesPerUpdate = 0; ///< one rank's contribution to the gather
};

class DataParallel {
public:
  /// Fails when the batch has fewer rows than there are ranks.
  static Expected<DataParallel> create(parallel::Collective &collective,
                                       int64_t globalBatch);

  parallel::Collective &collective() const { return *collective_; }
  int ranks() const { return collective_->size(); }
  bool isRoot() const { return collective_->isRoot(); }
  int64_t globalBatch() const { return globalBatch_; }
  const RowShare &share() const { return share_; }

  /// This rank's rows of a time-major global minibatch.
  void takeRows(const Minibatch &global, Minibatch &mine) const;

  /// Replaces this rank's mean `loss` and `grads` by the global ones (see
  /// the file comment); every rank gets the same bits.
  void sumAcrossRanks(float &loss, TensorBuffers &grads);

  /// Every rank's rows of the [B_r, ...] buffers `mine` concatenated into
  /// [B, ...] buffers in `global` (a mid-epoch checkpoint's carried state).
  void gatherRows(const TensorBuffers &mine, TensorBuffers &global);
  /// This rank's rows of [B, ...] buffers.
  TensorBuffers takeRows(const TensorBuffers &global) const;

  const ParallelTimes &times() const { return times_; }
  /// "data parallel over 2 MPI ranks: batch 32, 16 rows per rank".
  std::string describeSplit() const;
  /// Per update: compute, waiting and all-reduce times, and the bytes.
  std::string describeTimes() const;

private:
  DataParallel(parallel::Collective &collective, int64_t globalBatch);

  parallel::Collective *collective_;
  int64_t globalBatch_;
  RowShare share_;
  std::vector<double> weights_;        ///< B_r / B per rank
  std::vector<float> flat_, gathered_; ///< scratch, kept between updates
  ParallelTimes times_;
  std::chrono::steady_clock::time_point lastReduceEnd_;
  bool reducedBefore_ = false;
};

} // namespace rnnc::runtime
