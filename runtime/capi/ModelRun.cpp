//===- ModelRun.cpp - Training and inference through compiled code --------===//
///
/// \file
/// The C API's training and inference: argument checks, then
/// runtime/train/'s TrainSession (one update, one epoch) and TextGenerator
/// over the object's compiled `@train_step` and `@forward`, so a seed gives
/// what `rnnc train` and `rnnc generate` give. Unlike `rnnc train`, no loss
/// bound stops a step here: only a non-finite loss or gradient does.
///
//===----------------------------------------------------------------------===//
#include "runtime/capi/ModelContext.h"

#include "runtime/train/Decoding.h"
#include "runtime/train/Generator.h"

#include <cmath>
#include <limits>

namespace rnnc::runtime::capi {

namespace {

constexpr double kNoLossBound = std::numeric_limits<double>::infinity();

} // namespace

Expected<void> ModelContext::setLearningRate(double lr) {
  if (!(lr > 0) || !std::isfinite(lr))
    return Error("the learning rate must be a positive number");
  session_.setLearningRate(lr);
  return {};
}

Expected<void> ModelContext::ensureOptimizer() {
  if (!paramsReady_)
    return Error("no parameters yet: call init_params or load first");
  return session_.ensureOptimizer();
}

Expected<void> ModelContext::checkUpdate(const Expected<StepResult> &result) {
  if (!result)
    return result.error(); // the optimizer failed
  switch (result->status) {
  case StepStatus::Updated:
    return {};
  case StepStatus::OutOfMemory:
    return outOfMemoryError(trainStep_.arenaShortfall());
  case StepStatus::NonFiniteLoss:
  case StepStatus::LossAboveBound: // not with kNoLossBound
  case StepStatus::NonFiniteGradient:
    break;
  }
  return Error("non-finite loss or gradient; the parameters were not updated");
}

Expected<void> ModelContext::trainStep(const int32_t *x, const int32_t *y,
                                       float *loss) {
  if (!x || !y || !loss)
    return Error("train_step: x, y and loss must not be null");
  const int64_t n = model_.train.batch * model_.train.seqLen;
  const int64_t vocab = model_.train.vocab;
  for (int64_t i = 0; i < n; ++i)
    if (x[i] < 0 || x[i] >= vocab || y[i] < 0 || y[i] >= vocab)
      return Error("train_step: token id out of range at position " +
                   std::to_string(i));
  if (Expected<void> ready = ensureOptimizer(); !ready)
    return ready;
  Expected<StepResult> result = session_.update(x, y, kNoLossBound);
  if (result && result->status != StepStatus::OutOfMemory)
    *loss = result->loss;
  return checkUpdate(result);
}

Expected<void> ModelContext::setTrainingData(const int32_t *tokens,
                                             int64_t count, uint64_t seed) {
  if (!tokens || count < 0)
    return Error("set_training_data: no tokens");
  for (int64_t i = 0; i < count; ++i)
    if (tokens[i] < 0 || tokens[i] >= model_.train.vocab)
      return Error("set_training_data: token id " + std::to_string(tokens[i]) +
                   " at index " + std::to_string(i) + " is out of range");
  sampler_.reset();
  session_.setDropoutSeed(seed); // as `rnnc train --seed`
  Expected<Sampler> sampler = Sampler::create(
      std::vector<int32_t>(tokens, tokens + count), model_.sampling,
      model_.train.batch, model_.train.seqLen, seed);
  if (!sampler)
    return sampler.error();
  sampler_.emplace(std::move(*sampler));
  return {};
}

Expected<void> ModelContext::trainEpoch(double *meanLoss) {
  if (!sampler_)
    return Error("train_epoch: call set_training_data first");
  if (Expected<void> ready = ensureOptimizer(); !ready)
    return ready;
  EpochTally tally;
  session_.startEpoch(*sampler_, tally);
  if (Expected<void> updated = checkUpdate(
          session_.trainEpoch(*sampler_, kNoLossBound, tally, nullptr));
      !updated)
    return updated;
  ++epochsDone_;
  if (meanLoss)
    *meanLoss = tally.meter.tokens() ? tally.meter.meanLoss() : 0;
  return {};
}

Expected<void> ModelContext::step(int32_t token, float *logits) {
  if (!paramsReady_)
    return Error("no parameters yet: call init_params or load first");
  if (!logits)
    return Error("step: logits must not be null");
  if (token < 0 || token >= model_.step.vocab)
    return Error("step: token id " + std::to_string(token) + " is out of range");
  if (!forward_.run(session_.parameters(), stepStates_, &token, logits))
    return outOfMemoryError(forward_.arenaShortfall());
  return {};
}

Expected<void> ModelContext::generate(const std::string &prefixUtf8,
                                      int64_t count, double temperature,
                                      int64_t topK, uint64_t seed,
                                      std::string *text) {
  if (!model_.vocabulary)
    return Error("the model has no vocabulary (compiled with --vocab): load a "
                 "checkpoint first");
  if (count < 0 || count > 1000000000)
    return Error("generate: the count must be 0 to 1000000000");
  SamplingOptions sampling{temperature, topK};
  if (Expected<void> valid = validateSamplingOptions(sampling); !valid)
    return valid;
  if (!paramsReady_)
    return Error("no parameters yet: call init_params or load first");
  if (Expected<void> reserved = forward_.reserveArena(); !reserved)
    return outOfMemoryError(reserved.error().message());
  TokenChooser chooser = temperature > 0 || topK > 0
                             ? TokenChooser(sampling, seed)
                             : TokenChooser();
  TextGenerator generator(forward_, session_.parameters(), *model_.vocabulary);
  text->clear();
  Expected<bool> generated = generator.streamText(prefixUtf8, count, chooser,
                                                  [&](std::string_view piece) {
                                                    text->append(piece);
                                                    return true;
                                                  });
  if (!generated)
    return generated.error();
  resetState(); // the header promises a zero inference state afterwards
  return {};
}

} // namespace rnnc::runtime::capi
