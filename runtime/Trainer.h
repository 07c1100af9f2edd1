//===- Trainer.h - The training loop ----------------------------*- C++ -*-===//
///
/// \file
/// The d2l training loop around a JIT-compiled train step: per epoch, draw
/// minibatches from the sampler, reset (random) or carry and detach
/// (consecutive) the hidden state, run the step, clip the gradients by their
/// global L2 norm, update with SGD or Adam, and report perplexity =
/// exp(mean loss). Detaching is structural: the train step takes the state
/// as an input and returns the next one, so no gradient can flow into the
/// previous minibatch.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "runtime/Checkpoint.h"
#include "runtime/ModelProgram.h"
#include "runtime/Optimizer.h"
#include "runtime/Sampler.h"
#include "runtime/Vocabulary.h"

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace rnnc::runtime {

struct TrainOptions {
  int64_t epochs = 1;
  SamplingMode sampling = SamplingMode::Random;
  OptimizerConfig optimizer;
  double clip = 0; ///< 0: no clipping
  uint64_t seed = 0;
  /// Written after every epoch whose loss was finite (atomically), so the
  /// last good checkpoint survives a divergence. Empty: no checkpoint.
  std::string savePath;
  /// One JSON object per epoch is appended here. Empty: none.
  std::string metricsJsonPath;
  /// Every `predictEvery` epochs and after the last one, the prefixes are
  /// continued greedily by `predictLength` characters (0: only at the end).
  int64_t predictEvery = 0;
  int64_t predictLength = 50;
  std::vector<std::string> prefixes;
  /// Checkpoint metadata other than the epoch (model, hash, vocabulary...).
  CheckpointMetadata checkpoint;
};

struct EpochMetrics {
  int64_t epoch = 0;
  double loss = 0, perplexity = 0, gradNorm = 0; ///< gradNorm: mean pre-clip
  double tokensPerSecond = 0, seconds = 0;
};

class Trainer {
public:
  /// `step` is the train-step program, `generate` a B = T = 1 forward
  /// program for the periodic continuations (may be null).
  Trainer(const TrainStepProgram &step, const ForwardProgram *generate,
          const Vocabulary &vocab, TrainOptions options);

  /// Initialises parameters from `inits` with the seed, or takes them from
  /// a checkpoint (resume).
  bool initParameters(const std::map<std::string, ir::ParamInit> &inits,
                      std::string *error);
  bool loadParameters(const Checkpoint &checkpoint, std::string *error);

  /// Trains on `tokens`; logs epochs and continuations to `log`. False with
  /// `*error` on bad input or a non-finite loss.
  bool run(const std::vector<int32_t> &tokens, std::ostream &log,
           std::string *error);

  const TensorBuffers &parameters() const { return params_; }
  const std::vector<EpochMetrics> &history() const { return history_; }

private:
  bool saveCheckpoint(int64_t epoch, std::string *error) const;
  bool appendMetrics(const EpochMetrics &m, std::string *error) const;
  void predict(std::ostream &log) const;

  const TrainStepProgram &step_;
  const ForwardProgram *generate_;
  const Vocabulary &vocab_;
  TrainOptions options_;
  TensorBuffers params_;
  std::vector<EpochMetrics> history_;
};

} // namespace rnnc::runtime
