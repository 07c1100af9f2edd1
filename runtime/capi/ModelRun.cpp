//===- ModelRun.cpp - Training and inference through compiled code --------===//
///
/// \file
/// The loops of runtime/train/Trainer.cpp (one epoch: sampler, state reset or
/// carry, train step, finiteness check, clipping, optimizer) and
/// runtime/train/Generator.cpp (prefix fed from a zero state, then greedy or
/// sampled tokens) over the object's compiled `@train_step` and `@forward`.
/// They are kept in the same order of operations and random draws so a seed
/// gives what `rnnc train` and `rnnc generate` give.
///
//===----------------------------------------------------------------------===//
#include "runtime/capi/ModelContext.h"

#include "runtime/train/Decoding.h"

#include <algorithm>
#include <cmath>
#include <optional>

namespace rnnc::runtime::capi {

namespace {

void zero(Buffers &buffers) {
  for (auto &b : buffers)
    std::fill(b.begin(), b.end(), 0.0f);
}

} // namespace

bool ModelContext::setLearningRate(double lr) {
  if (!(lr > 0) || !std::isfinite(lr))
    return fail("the learning rate must be a positive number");
  model_.optimizer.lr = lr;
  if (optimizer_)
    optimizer_->setLearningRate(lr);
  return true;
}

bool ModelContext::ensureOptimizer() {
  if (!paramsReady_)
    return fail("no parameters yet: call init_params or load first");
  if (!optimizer_) {
    optimizer_ = makeOptimizer(model_.optimizer, &error);
    if (!optimizer_)
      return false;
  }
  return true;
}

bool ModelContext::runTrainStep(const int32_t *x, const int32_t *y,
                                float *loss) {
  // Arguments: params, states, x, y. Results: loss, states, grads.
  std::vector<void *> args, results;
  for (auto &p : params_)
    args.push_back(p.data());
  for (auto &s : trainStates_)
    args.push_back(s.data());
  args.push_back(const_cast<int32_t *>(x));
  args.push_back(const_cast<int32_t *>(y));
  float value = 0;
  results.push_back(&value);
  for (auto &s : trainNext_)
    results.push_back(s.data());
  for (auto &g : grads_)
    results.push_back(g.data());
  if (descriptor_.train_step(args.data(), results.data()) != 0)
    return failArena("train_step", model_.trainStepArenaBytes);
  *loss = value;
  // Nothing is updated when the loss or a gradient is not finite.
  std::optional<double> norm =
      clipAndUpdate(value, params_, grads_, model_.clip, *optimizer_, &error);
  if (!norm)
    return false;
  if (!std::isfinite(*norm))
    return fail("non-finite loss or gradient; the parameters were not updated");
  std::swap(trainStates_, trainNext_); // carried, already detached
  return true;
}

bool ModelContext::trainStep(const int32_t *x, const int32_t *y, float *loss) {
  if (!x || !y || !loss)
    return fail("train_step: x, y and loss must not be null");
  const int64_t n = model_.batch * model_.seqLen;
  for (int64_t i = 0; i < n; ++i)
    if (x[i] < 0 || x[i] >= model_.vocabSize || y[i] < 0 ||
        y[i] >= model_.vocabSize)
      return fail("train_step: token id out of range at position " +
                  std::to_string(i));
  return ensureOptimizer() && runTrainStep(x, y, loss);
}

void ModelContext::resetTrainState() { zero(trainStates_); }

bool ModelContext::setTrainingData(const int32_t *tokens, int64_t count,
                                   uint64_t seed) {
  if (!tokens || count < 0)
    return fail("set_training_data: no tokens");
  for (int64_t i = 0; i < count; ++i)
    if (tokens[i] < 0 || tokens[i] >= model_.vocabSize)
      return fail("set_training_data: token id " + std::to_string(tokens[i]) +
                  " at index " + std::to_string(i) + " is out of range");
  sampler_.reset();
  auto sampler = Sampler::create(std::vector<int32_t>(tokens, tokens + count),
                                 model_.sampling, model_.batch, model_.seqLen,
                                 seed, &error);
  if (!sampler)
    return false;
  sampler_.emplace(std::move(*sampler));
  return true;
}

bool ModelContext::trainEpoch(double *meanLoss) {
  if (!sampler_)
    return fail("train_epoch: call set_training_data first");
  if (!ensureOptimizer())
    return false;
  sampler_->startEpoch();
  zero(trainStates_); // consecutive: zeroed once per epoch
  Minibatch batch;
  // As runtime/train/Progress.h's EpochMeter: a token-weighted mean.
  double lossSum = 0;
  int64_t tokens = 0;
  const int64_t tokensPerBatch = model_.batch * model_.seqLen;
  while (sampler_->next(batch)) {
    if (sampler_->resetsStateEveryBatch())
      zero(trainStates_);
    float loss = 0;
    if (!runTrainStep(batch.inputs.data(), batch.labels.data(), &loss))
      return false;
    lossSum += static_cast<double>(loss) * static_cast<double>(tokensPerBatch);
    tokens += tokensPerBatch;
  }
  ++epochsDone_;
  if (meanLoss)
    *meanLoss = tokens ? lossSum / static_cast<double>(tokens) : 0;
  return true;
}

bool ModelContext::step(int32_t token, float *logits) {
  if (!paramsReady_)
    return fail("no parameters yet: call init_params or load first");
  if (!logits)
    return fail("step: logits must not be null");
  if (token < 0 || token >= model_.vocabSize)
    return fail("step: token id " + std::to_string(token) + " is out of range");
  // Arguments: params, states, x. Results: logits, states.
  std::vector<void *> args, results;
  for (auto &p : params_)
    args.push_back(p.data());
  for (auto &s : stepStates_)
    args.push_back(s.data());
  args.push_back(&token);
  results.push_back(logits);
  for (auto &s : stepNext_)
    results.push_back(s.data());
  if (descriptor_.forward(args.data(), results.data()) != 0)
    return failArena("step", model_.forwardArenaBytes);
  std::swap(stepStates_, stepNext_);
  return true;
}

void ModelContext::resetState() { zero(stepStates_); }

bool ModelContext::generate(const std::string &prefixUtf8, int64_t count,
                            double temperature, int64_t topK, uint64_t seed,
                            std::string *text) {
  if (!model_.vocabulary)
    return fail("the model has no vocabulary (compiled with --vocab): load a "
                "checkpoint first");
  if (count < 0 || count > 1000000000)
    return fail("generate: the count must be 0 to 1000000000");
  SamplingOptions sampling{temperature, topK};
  if (!validateSamplingOptions(sampling, &error))
    return false;
  std::string why;
  auto prefix = model_.vocabulary->encodeUtf8(prefixUtf8, &why);
  if (!prefix)
    return fail("prefix: " + why);
  if (prefix->empty())
    return fail("the prefix is empty: give at least one character");
  TokenChooser chooser = temperature > 0 || topK > 0
                             ? TokenChooser(sampling, seed)
                             : TokenChooser();
  resetState();
  std::vector<float> logits(static_cast<size_t>(model_.vocabSize));
  std::vector<int32_t> tokens = *prefix;
  size_t total = prefix->size() + static_cast<size_t>(count);
  for (size_t t = 0; t + 1 < total; ++t) {
    if (!step(tokens[t], logits.data()))
      return false;
    if (t + 1 >= prefix->size())
      tokens.push_back(chooser.choose(logits.data(), logits.size()));
  }
  resetState();
  *text = model_.vocabulary->decode(tokens);
  return true;
}

} // namespace rnnc::runtime::capi
