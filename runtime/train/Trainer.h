//===- Trainer.h - The training loop ----------------------------*- C++ -*-===//
///
/// \file
/// The d2l training loop of `rnnc train` around a compiled train step: per
/// epoch, the minibatches of TrainSession::trainEpoch (state reset or
/// carried and detached, clipping, SGD or Adam), then perplexity =
/// exp(mean loss), metrics, checkpoints and greedy continuations.
///
/// Exact resume: besides the parameters, every checkpoint carries what the
/// run needs to continue bit for bit (metadata "train_state", JSON): the
/// epochs done and the minibatches done of the next epoch (non-zero only for
/// a checkpoint taken mid-epoch, at Ctrl-C), the epoch's partial loss and
/// gradient-norm sums, the optimizer's step count, and what the sampler's
/// position depends on (sampling, batch, seq_len, seed, corpus length: the
/// random sampler's shuffles are replayed from the seed). Tensors under
/// reserved names hold the rest: "__state__.<state>" the carried hidden
/// state (mid-epoch), "__adam__.m.<param>" / "__adam__.v.<param>" Adam's
/// moments (F64, as the optimizer keeps them). With validation, train_state
/// also holds "validation": the best validation perplexity so far, its
/// epoch and the epochs since, so --save-best and --patience go on exactly.
///
/// Data-parallel (DataParallel.h, `mpirun -np N rnnc train`): every rank
/// runs this loop on its rows of the same global minibatches; rank 0 alone
/// logs, predicts, appends metrics and writes checkpoints. A mid-epoch
/// checkpoint holds the carried state of all B rows (gathered from the
/// ranks), so a checkpoint of an N-rank run resumes on any number of ranks.
///
/// Divergence: a step whose loss is not finite or above 10 ln V + 100
/// (see kDivergence* in Trainer.cpp), a non-finite gradient, or parameters
/// that are no longer finite when a checkpoint is due stop the run before
/// anything is updated or saved; the last good checkpoint stays.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Error.h"
#include "runtime/data/Checkpoint.h"
#include "runtime/data/Vocabulary.h"
#include "runtime/train/CompiledStep.h"
#include "runtime/train/Evaluation.h"
#include "runtime/train/Optimizer.h"
#include "runtime/train/Sampler.h"
#include "runtime/train/TrainSession.h"

#include <csignal>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
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
  /// Called after each epoch with that JSON object's line (made whether or
  /// not metricsJsonPath is set); an Error fails the run.
  /// `rnnc train --plot` redraws its plot here.
  std::function<Expected<void>(const std::string &metricsLine)> onEpochMetrics;
  /// Every `predictEvery` epochs and after the last one, the prefixes are
  /// continued greedily by `predictLength` characters (0: only at the end).
  int64_t predictEvery = 0;
  int64_t predictLength = 50;
  std::vector<std::string> prefixes;
  /// Checkpoint metadata other than the epoch (model, hash, vocabulary...).
  CheckpointMetadata checkpoint;
  /// Set (by a SIGINT handler) to stop: the current step finishes, a
  /// resumable checkpoint is saved to `savePath`, else to `interruptPath`.
  const volatile std::sig_atomic_t *stopRequested = nullptr;
  /// Testing: behave as if `stopRequested` was set after this many steps of
  /// this run (0: never), to interrupt at a chosen minibatch.
  int64_t stopAfterSteps = 0;
  std::string interruptPath;
  /// The checkpoint resumed from (for messages), if any.
  std::string resumePath;
  /// Train on this rank's share of each minibatch (null: one process).
  DataParallel *dataParallel = nullptr;
  /// Held-out evaluation after every epoch (Evaluation.h): a B = 1 forward
  /// step and the held-out text. Null: none.
  const ForwardStep *validationStep = nullptr;
  std::vector<int32_t> validationTokens;
  /// With validation: the checkpoint of the epoch with the best validation
  /// perplexity is written here (empty: none), and the run stops after
  /// `patience` epochs without a better one (0: never).
  std::string saveBestPath;
  int64_t patience = 0;
};

/// Where a run stands: `epochsDone` full epochs, then `batchesDone`
/// minibatches of the next one.
struct TrainPosition {
  int64_t epochsDone = 0;
  int64_t batchesDone = 0;
};

/// How a run that did not fail ended.
enum class RunResult { Finished, Interrupted };

struct EpochMetrics {
  int64_t epoch = 0;
  double loss = 0, perplexity = 0, gradNorm = 0; ///< gradNorm: mean pre-clip
  double tokensPerSecond = 0, seconds = 0;
  /// With validation: on the held-out text after the epoch.
  std::optional<double> valPerplexity, valBitsPerChar;
};

/// The "hyper_parameters" JSON a checkpoint carries: `train`'s optimizer,
/// lr, clip, batch, seq_len and sampling, and the seed of an `rnnc train`
/// run or, for an object of `rnnc compile` (seeded at run time), "compiled".
std::string hyperParametersJson(const ir::TrainConfig &train,
                                std::optional<uint64_t> seed);

class Trainer {
public:
  /// `step` is the train step, `generate` a B = T = 1 forward step for the
  /// periodic continuations (may be null).
  Trainer(const TrainStep &step, const ForwardStep *generate,
          const Vocabulary &vocab, TrainOptions options);

  /// Initialises parameters from `inits` with the seed, or takes them from
  /// a checkpoint (resume).
  Expected<void> initParameters(const std::map<std::string, ir::ParamInit> &inits);
  Expected<void> loadParameters(const Checkpoint &checkpoint);
  /// Parameters plus the run state (position, optimizer, carried state) of
  /// a checkpoint written by `run`; `run` continues from there.
  Expected<void> resumeFrom(const Checkpoint &checkpoint);

  /// Trains on `tokens` up to epoch `options.epochs` (a total: a resumed run
  /// continues the numbering); logs epochs and continuations to `log`,
  /// notes to stderr. An Error on bad input or divergence; Interrupted
  /// after `stopRequested` was set and the checkpoint saved.
  Expected<RunResult> run(const std::vector<int32_t> &tokens, std::ostream &log);

  /// After an interruption: where the run stopped, and the checkpoint.
  const TrainPosition &stoppedAt() const { return stoppedAt_; }
  int64_t batchesPerEpoch() const { return batchesPerEpoch_; }
  const std::string &interruptCheckpoint() const { return interruptCheckpoint_; }

  const TensorBuffers &parameters() const { return session_.parameters(); }
  const std::vector<EpochMetrics> &history() const { return history_; }

private:
  /// Everything `run` keeps between steps that a checkpoint must carry.
  struct RunState;
  struct ResumeData;
  Expected<void> saveCheckpoint(const std::string &path, const RunState &run);
  std::string keptCheckpoint() const;
  Expected<void> appendMetrics(const EpochMetrics &m) const;
  void predict(std::ostream &log) const;
  /// One process, or rank 0 of a data-parallel job: the one that speaks.
  bool speaks() const {
    return !options_.dataParallel || options_.dataParallel->isRoot();
  }

  const TrainStep &step_;
  const ForwardStep *generate_;
  const Vocabulary &vocab_;
  TrainOptions options_;
  TrainSession session_;
  std::vector<EpochMetrics> history_;
  ValidationRecord validation_;
  std::shared_ptr<const ResumeData> resume_;
  /// The last checkpoint this run wrote to savePath.
  std::optional<TrainPosition> saved_;
  TrainPosition stoppedAt_;
  int64_t batchesPerEpoch_ = 0;
  std::string interruptCheckpoint_;
};

} // namespace rnnc::runtime
