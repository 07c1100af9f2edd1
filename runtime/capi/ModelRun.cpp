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

bool ModelContext::setLearningRate(double lr) {
  if (!(lr > 0) || !std::isfinite(lr))
    return fail("the learning rate must be a positive number");
  session_.setLearningRate(lr);
  return true;
}

bool ModelContext::ensureOptimizer() {
  if (!paramsReady_)
    return fail("no parameters yet: call init_params or load first");
  if (Expected<void> made = session_.ensureOptimizer(); !made)
    return fail(made.error().message());
  return true;
}

bool ModelContext::checkUpdate(const Expected<StepResult> &result) {
  if (!result)
    return fail(result.error().message()); // the optimizer failed
  switch (result->status) {
  case StepStatus::Updated:
    return true;
  case StepStatus::OutOfMemory:
    outOfMemory = true;
    return fail(trainStep_.arenaShortfall());
  case StepStatus::NonFiniteLoss:
  case StepStatus::LossAboveBound: // not with kNoLossBound
  case StepStatus::NonFiniteGradient:
    return fail("non-finite loss or gradient; the parameters were not updated");
  }
  return false;
}

bool ModelContext::trainStep(const int32_t *x, const int32_t *y, float *loss) {
  if (!x || !y || !loss)
    return fail("train_step: x, y and loss must not be null");
  const int64_t n = model_.train.batch * model_.train.seqLen;
  const int64_t vocab = model_.train.vocab;
  for (int64_t i = 0; i < n; ++i)
    if (x[i] < 0 || x[i] >= vocab || y[i] < 0 || y[i] >= vocab)
      return fail("train_step: token id out of range at position " +
                  std::to_string(i));
  if (!ensureOptimizer())
    return false;
  Expected<StepResult> result = session_.update(x, y, kNoLossBound);
  if (result && result->status != StepStatus::OutOfMemory)
    *loss = result->loss;
  return checkUpdate(result);
}

bool ModelContext::setTrainingData(const int32_t *tokens, int64_t count,
                                   uint64_t seed) {
  if (!tokens || count < 0)
    return fail("set_training_data: no tokens");
  for (int64_t i = 0; i < count; ++i)
    if (tokens[i] < 0 || tokens[i] >= model_.train.vocab)
      return fail("set_training_data: token id " + std::to_string(tokens[i]) +
                  " at index " + std::to_string(i) + " is out of range");
  sampler_.reset();
  session_.setDropoutSeed(seed); // as `rnnc train --seed`
  Expected<Sampler> sampler = Sampler::create(
      std::vector<int32_t>(tokens, tokens + count), model_.sampling,
      model_.train.batch, model_.train.seqLen, seed);
  if (!sampler)
    return fail(sampler.error().message());
  sampler_.emplace(std::move(*sampler));
  return true;
}

bool ModelContext::trainEpoch(double *meanLoss) {
  if (!sampler_)
    return fail("train_epoch: call set_training_data first");
  if (!ensureOptimizer())
    return false;
  EpochTally tally;
  session_.startEpoch(*sampler_, tally);
  if (!checkUpdate(session_.trainEpoch(*sampler_, kNoLossBound, tally, nullptr)))
    return false;
  ++epochsDone_;
  if (meanLoss)
    *meanLoss = tally.meter.tokens() ? tally.meter.meanLoss() : 0;
  return true;
}

bool ModelContext::step(int32_t token, float *logits) {
  if (!paramsReady_)
    return fail("no parameters yet: call init_params or load first");
  if (!logits)
    return fail("step: logits must not be null");
  if (token < 0 || token >= model_.step.vocab)
    return fail("step: token id " + std::to_string(token) + " is out of range");
  if (!forward_.run(session_.parameters(), stepStates_, &token, logits)) {
    outOfMemory = true;
    return fail(forward_.arenaShortfall());
  }
  return true;
}

bool ModelContext::generate(const std::string &prefixUtf8, int64_t count,
                            double temperature, int64_t topK, uint64_t seed,
                            std::string *text) {
  if (!model_.vocabulary)
    return fail("the model has no vocabulary (compiled with --vocab): load a "
                "checkpoint first");
  if (count < 0 || count > 1000000000)
    return fail("generate: the count must be 0 to 1000000000");
  SamplingOptions sampling{temperature, topK};
  if (Expected<void> valid = validateSamplingOptions(sampling); !valid)
    return fail(valid.error().message());
  if (!paramsReady_)
    return fail("no parameters yet: call init_params or load first");
  if (Expected<void> reserved = forward_.reserveArena(); !reserved) {
    outOfMemory = true;
    return fail(reserved.error().message());
  }
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
    return fail(generated.error().message());
  resetState(); // the header promises a zero inference state afterwards
  return true;
}

} // namespace rnnc::runtime::capi
