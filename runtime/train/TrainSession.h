//===- TrainSession.h - Parameters, optimizer and one update ----*- C++ -*-===//
///
/// \file
/// What `rnnc train` (Trainer.h) and the C API (runtime/capi/) share of
/// training, written once: the parameters, their gradients, the carried
/// hidden state, the optimizer, one update, and the minibatches of one epoch.
///
/// An update runs the train step from the carried state, checks the loss
/// (finite, and at most a bound the caller chooses), clips the gradients by
/// their global L2 norm and lets SGD or Adam update the parameters; then the
/// step's final state is carried. Detaching is structural: the train step
/// takes the state as an input and returns the next one, so no gradient can
/// flow into the previous minibatch. Nothing is updated when a check fails.
/// Data-parallel (DataParallel.h): the step runs on this rank's rows, and
/// its loss and gradients are summed across ranks before the checks.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Error.h"
#include "ir/IR.h"
#include "runtime/train/CompiledStep.h"
#include "runtime/train/DataParallel.h"
#include "runtime/train/Optimizer.h"
#include "runtime/train/Progress.h"
#include "runtime/train/Sampler.h"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace rnnc::runtime {

/// How an update ended. (An optimizer that fails, its buffers not
/// matching, is an Error, not a status.)
enum class StepStatus {
  Updated,
  OutOfMemory,       ///< the step's arena cannot be had: step().arenaShortfall()
  NonFiniteLoss,
  LossAboveBound,
  NonFiniteGradient,
};

struct StepResult {
  StepStatus status = StepStatus::Updated;
  float loss = 0;      ///< set unless OutOfMemory
  double gradNorm = 0; ///< before clipping; set once the loss passed
};

/// An epoch's running sums: the token-weighted loss, the pre-clip gradient
/// norms of the updates, and the steps run (a failed one included).
struct EpochTally {
  EpochMeter meter;
  double normSum = 0;
  int64_t steps = 0;
};

class TrainSession {
public:
  TrainSession(const TrainStep &step, OptimizerConfig optimizer, double clip);

  const TrainStep &step() const { return step_; }
  TensorBuffers &parameters() { return params_; }
  const TensorBuffers &parameters() const { return params_; }
  TensorBuffers &states() { return states_; }

  /// Each parameter from its initialiser in `inits` (zeros if absent), in
  /// layout order, from one Rng seeded with `seed`.
  Expected<void> initParameters(const std::map<std::string, ir::ParamInit> &inits,
                                uint64_t seed);
  Expected<void> loadParameters(const Checkpoint &checkpoint);
  bool parametersFinite() const;

  void zeroStates() { zeroBuffers(states_); }

  /// The optimizer, made on first use; `resetOptimizer` drops its state
  /// (step count, Adam's moments) for the next update.
  Expected<void> ensureOptimizer();
  void resetOptimizer() { optimizer_.reset(); }
  Optimizer *optimizer() { return optimizer_.get(); }
  const OptimizerConfig &optimizerConfig() const { return config_; }
  void setLearningRate(double lr);

  /// Train on this rank's share of every minibatch (null: all of it). The
  /// step must be compiled for the share's rows. Dropout masks follow the
  /// global row, so N ranks draw the masks one process would.
  void setDataParallel(DataParallel *parallel) {
    parallel_ = parallel;
    dropoutRowOffset_ = parallel ? parallel->share().first : 0;
  }
  DataParallel *dataParallel() const { return parallel_; }
  /// Rows of the minibatches the sampler draws: the global batch.
  int64_t globalBatch() const;
  /// Dropout masks (a model with dropout): drawn from `seed` (`rnnc train
  /// --seed`), the optimizer's step count and `rowOffset`, the global batch
  /// row of this process's row 0 (0 but for data-parallel ranks).
  void setDropoutSeed(uint64_t seed) { dropoutSeed_ = seed; }
  void setDropoutRowOffset(int64_t rowOffset) { dropoutRowOffset_ = rowOffset; }
  DropoutCounter dropoutCounter() const;

  /// One update on the time-major minibatch x, y (T*B ids each); a loss
  /// above `lossBound` is refused like a non-finite one. Needs the
  /// optimizer (ensureOptimizer). An Error when the optimizer fails.
  Expected<StepResult> update(const int32_t *x, const int32_t *y,
                              double lossBound);

  /// Zeroes the state and starts the sampler's next epoch.
  void startEpoch(Sampler &sampler, EpochTally &tally);

  /// Updates on the sampler's minibatches until its epoch ends, the state
  /// zeroed before each (random sampling) or carried (consecutive), each
  /// counted in `tally`. After each update `afterStep`, if given, may stop
  /// the epoch early by returning false. Returns the first update that
  /// failed, else the last result; an Error when the optimizer fails.
  Expected<StepResult> trainEpoch(Sampler &sampler, double lossBound,
                                  EpochTally &tally,
                                  const std::function<bool()> &afterStep);

private:
  const TrainStep &step_;
  OptimizerConfig config_;
  double clip_;
  std::unique_ptr<Optimizer> optimizer_;
  DataParallel *parallel_ = nullptr;
  Minibatch rows_; ///< this rank's share of the minibatch
  TensorBuffers params_, grads_, states_, nextStates_;
  uint64_t dropoutSeed_ = 0;
  int64_t dropoutRowOffset_ = 0;
};

} // namespace rnnc::runtime
