//===- Sampler.h - Minibatches of token ids (d2l 6.3) -----------*- C++ -*-===//
///
/// \file
/// The two minibatch samplers of d2l section 6.3, exactly:
///  - random (`data_iter_random`): the corpus is cut into non-overlapping
///    examples of T tokens at offsets 0, T, 2T, ... ((n-1)/T of them), the
///    examples are shuffled every epoch and taken B at a time (a partial last
///    batch is dropped); the labels are the inputs shifted by one. Hidden
///    state is zeroed before every minibatch.
///  - consecutive (`data_iter_consecutive`): the first B*(n/B) tokens are laid
///    out as B parallel streams of n/B tokens; minibatch i covers steps
///    [iT, iT+T) of every stream, so minibatch i+1 continues i and the state
///    is carried over (detached), zeroed at the start of each epoch.
/// Batches are time-major, `x[t*B + b]`, matching the IR's `i32[T,B]`.
/// The shuffle is a Fisher-Yates over the portable Rng, so a seed gives the
/// same batches everywhere (not the same as Python's random.shuffle).
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Error.h"
#include "runtime/train/Rng.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rnnc::runtime {

enum class SamplingMode { Random, Consecutive };

/// Parses "random" / "consecutive" (the DSL's and the command line's words).
std::optional<SamplingMode> parseSamplingMode(std::string_view word);

/// One minibatch of T steps by B sequences, time-major.
struct Minibatch {
  int64_t seqLen = 0;          ///< T
  int64_t batchSize = 0;       ///< B
  std::vector<int32_t> inputs; ///< x[t*B + b], T*B token ids
  std::vector<int32_t> labels; ///< y[t*B + b] = the token after x[t*B + b]
};

class Sampler {
public:
  /// Checks that the corpus yields at least one full minibatch; otherwise
  /// returns an Error (e.g. fewer than T+1 tokens).
  static Expected<Sampler> create(std::vector<int32_t> tokens,
                                  SamplingMode mode, int64_t batchSize,
                                  int64_t seqLen, uint64_t seed);

  SamplingMode mode() const { return mode_; }
  int64_t batchSize() const { return batchSize_; }
  int64_t seqLen() const { return seqLen_; }
  int64_t corpusTokens() const { return static_cast<int64_t>(tokens_.size()); }
  /// Full minibatches per epoch.
  int64_t batchesPerEpoch() const { return batchesPerEpoch_; }
  /// True (random): zero the state before every minibatch. False
  /// (consecutive): carry it, detached, and zero it only at epoch start.
  bool resetsStateEveryBatch() const { return mode_ == SamplingMode::Random; }

  /// Begins an epoch (the random sampler reshuffles). Call before each
  /// epoch; `next` starts the first epoch itself if this was never called.
  void startEpoch();
  /// Fills `batch` with the next minibatch of the epoch; false at its end.
  bool next(Minibatch &batch);
  /// Index within the epoch of the minibatch `next` returns next.
  int64_t nextBatchIndex() const { return nextBatch_; }
  /// Epochs begun so far (calls of startEpoch).
  int64_t epochsStarted() const { return epochsStarted_; }
  /// Puts the sampler where it was after `epochsStarted` epochs were begun
  /// and `nextBatch` minibatches of the last one drawn (resume). The state
  /// is a pure function of the seed, the corpus and these two numbers: the
  /// shuffles are replayed from the seed (one Fisher-Yates per epoch), so a
  /// checkpoint stores the two numbers, not the order. False if `nextBatch`
  /// is outside the epoch.
  bool restorePosition(int64_t epochsStarted, int64_t nextBatch);

private:
  Sampler() = default;
  void fillRandom(Minibatch &batch) const;
  void fillConsecutive(Minibatch &batch) const;

  std::vector<int32_t> tokens_;
  SamplingMode mode_ = SamplingMode::Random;
  int64_t batchSize_ = 0, seqLen_ = 0, batchesPerEpoch_ = 0;
  int64_t streamLength_ = 0;          ///< consecutive: tokens per stream
  std::vector<int64_t> exampleOrder_; ///< random: shuffled example indices
  Rng rng_;
  uint64_t seed_ = 0;
  int64_t epochsStarted_ = 0;
  bool started_ = false;
  int64_t nextBatch_ = 0;
};

} // namespace rnnc::runtime
