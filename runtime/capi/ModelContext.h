//===- ModelContext.h - State behind one compiled model's C API -*- C++ -*-===//
///
/// \file
/// What a `<prefix>_context` is: the model description decoded from the
/// object's JSON, the object's compiled `@train_step` and `@forward` behind
/// runtime/train/'s CompiledStep interface, a TrainSession (parameters,
/// gradients, carried state, optimizer), the sampler of a training run, and
/// the last error message. Each operation returns Expected<void>; the C
/// functions (CApi.cpp) turn it into a status code and that message.
/// Training and generation are runtime/train/'s TrainSession and
/// TextGenerator, the ones `rnnc train` and `rnnc generate` run, so a seed
/// gives the same numbers and the library needs no LLVM.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "runtime/capi/rnnc_capi.h"

#include "ir/Error.h"
#include "ir/IR.h"
#include "runtime/data/Vocabulary.h"
#include "runtime/train/CompiledStep.h"
#include "runtime/train/Optimizer.h"
#include "runtime/train/Sampler.h"
#include "runtime/train/TrainSession.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace rnnc::runtime::capi {

/// The model as the object describes it (see AOTCompiler.h for the JSON).
struct ModelDescription {
  std::string name, source, hash;
  std::optional<Vocabulary> vocabulary; ///< absent for `--vocab N`
  /// The `@train_step` (B x T) and `@forward` (B = T = 1) layouts.
  ModelLayout train, step;
  std::map<std::string, ir::ParamInit> inits;
  /// Working memory one call of each entry needs (for the error message).
  int64_t forwardArenaBytes = 0, trainStepArenaBytes = 0;
  OptimizerConfig optimizer;
  double clip = 0;
  SamplingMode sampling = SamplingMode::Random;
  std::string hyperParametersJson = "{}";

  static Expected<ModelDescription> parse(const char *json);
};

/// One of the object's compiled entry points, as runtime/train/ calls it.
template <typename Step> class ObjectEntry final : public Step {
public:
  ObjectEntry(rnnc_capi_entry entry, ModelLayout layout, int64_t arenaBytes,
              const char *what)
      : Step(std::move(layout), arenaBytes, what), entry_(entry) {}

private:
  bool call(void **args, void **results) const override {
    return entry_(args, results) == 0;
  }
  rnnc_capi_entry entry_;
};

class ModelContext {
public:
  explicit ModelContext(const rnnc_model_descriptor &descriptor,
                        ModelDescription description);

  const ModelDescription &model() const { return model_; }
  std::string error;   ///< the last error message (rnnc_capi_last_error)
  /// Set when the last failure was memory that could not be had (the C
  /// functions then return RNNC_CAPI_ERROR_MEMORY).
  bool outOfMemory = false;
  std::string scratch; ///< storage for returned strings

  Expected<void> initParams(uint64_t seed);
  Expected<void> load(const std::string &path);
  Expected<void> save(const std::string &path);

  Expected<void> setLearningRate(double lr);
  /// One step on the carried training state, then clip + update.
  Expected<void> trainStep(const int32_t *x, const int32_t *y, float *loss);
  void resetTrainState() { session_.zeroStates(); }
  Expected<void> setTrainingData(const int32_t *tokens, int64_t count,
                                 uint64_t seed);
  /// One epoch as `rnnc train` runs it; `*meanLoss` as its metrics report.
  Expected<void> trainEpoch(double *meanLoss);

  Expected<void> step(int32_t token, float *logits);
  void resetState() { zeroBuffers(stepStates_); }
  Expected<void> generate(const std::string &prefix, int64_t count,
                          double temperature, int64_t topK, uint64_t seed,
                          std::string *text);

private:
  /// `message` as the failure of memory that could not be had: sets
  /// outOfMemory.
  Error outOfMemoryError(std::string message);
  Expected<void> ensureOptimizer();
  /// Maps an update's outcome to the C API's error and message.
  Expected<void> checkUpdate(const Expected<StepResult> &result);

  ModelDescription model_;
  ObjectEntry<TrainStep> trainStep_;
  ObjectEntry<ForwardStep> forward_;
  TrainSession session_;
  TensorBuffers stepStates_;
  std::optional<Sampler> sampler_;
  int64_t epochsDone_ = 0;
  bool paramsReady_ = false;
};

} // namespace rnnc::runtime::capi
