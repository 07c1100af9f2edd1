//===- ModelContext.h - State behind one compiled model's C API -*- C++ -*-===//
///
/// \file
/// What a `<prefix>_context` is: the model description decoded from the
/// object's JSON, the parameter / state / gradient buffers, the optimizer and
/// sampler of a training run, and the last error message. The training and
/// generation loops mirror runtime/train/Trainer.cpp and runtime/train/Generator.cpp
/// step for step (same Rng draws, same sampler, same clipping and update
/// order) but call the object's compiled functions instead of the JIT, so the
/// library needs no LLVM.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "runtime/capi/rnnc_capi.h"

#include "ir/IR.h"
#include "runtime/train/Optimizer.h"
#include "runtime/train/Sampler.h"
#include "runtime/data/Vocabulary.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rnnc::runtime::capi {

struct Slot {
  std::string name;
  std::vector<int64_t> shape;
  size_t size() const;
};

/// The model as the object describes it (see AOTCompiler.h for the JSON).
struct ModelDescription {
  std::string name, source, hash;
  int64_t vocabSize = 0, batch = 0, seqLen = 0;
  std::optional<Vocabulary> vocabulary; ///< absent for `--vocab N`
  std::vector<Slot> params;
  std::vector<ir::ParamInit> inits; ///< one per param
  std::vector<Slot> trainStates, stepStates;
  /// Working memory one call of each entry needs (for the error message).
  int64_t forwardArenaBytes = 0, trainStepArenaBytes = 0;
  OptimizerConfig optimizer;
  double clip = 0;
  SamplingMode sampling = SamplingMode::Random;
  std::string hyperParametersJson = "{}";

  static std::optional<ModelDescription> parse(const char *json,
                                               std::string *error);
};

using Buffers = std::vector<std::vector<float>>;

class ModelContext {
public:
  explicit ModelContext(const rnnc_model_descriptor &descriptor,
                        ModelDescription description);

  const ModelDescription &model() const { return model_; }
  std::string error;   ///< the last error message
  /// Set when the last failure was memory that could not be had (the C
  /// functions then return RNNC_CAPI_ERROR_MEMORY).
  bool outOfMemory = false;
  std::string scratch; ///< storage for returned strings

  bool initParams(uint64_t seed);
  bool load(const std::string &path);
  bool save(const std::string &path);

  bool setLearningRate(double lr);
  /// One step on the carried training state, then clip + update.
  bool trainStep(const int32_t *x, const int32_t *y, float *loss);
  void resetTrainState();
  bool setTrainingData(const int32_t *tokens, int64_t count, uint64_t seed);
  /// One epoch as `rnnc train` runs it; `*meanLoss` as its metrics report.
  bool trainEpoch(double *meanLoss);

  bool step(int32_t token, float *logits);
  void resetState();
  bool generate(const std::string &prefix, int64_t count, double temperature,
                int64_t topK, uint64_t seed, std::string *text);

private:
  bool fail(std::string message);
  /// Records that `entry`'s arena of `bytes` cannot be had.
  bool failArena(const char *entry, int64_t bytes);
  bool ensureOptimizer();
  bool runTrainStep(const int32_t *x, const int32_t *y, float *loss);

  const rnnc_model_descriptor &descriptor_;
  ModelDescription model_;
  Buffers params_, grads_;
  Buffers trainStates_, trainNext_;
  Buffers stepStates_, stepNext_;
  std::unique_ptr<Optimizer> optimizer_;
  std::optional<Sampler> sampler_;
  int64_t epochsDone_ = 0;
  bool paramsReady_ = false;
};

} // namespace rnnc::runtime::capi
