//===- TrainSession.cpp - Parameters, optimizer and one update ------------===//
#include "runtime/train/TrainSession.h"

#include "runtime/kernels/KernelProfile.h"
#include "runtime/train/ParamInit.h"
#include "runtime/train/Rng.h"

#include <chrono>
#include <cmath>

namespace rnnc::runtime {

TrainSession::TrainSession(const TrainStep &step, OptimizerConfig optimizer,
                           double clip)
    : step_(step), config_(std::move(optimizer)), clip_(clip) {
  const ModelLayout &layout = step_.layout();
  params_ = allocateBuffers(layout.params);
  grads_ = allocateBuffers(layout.params);
  states_ = allocateBuffers(layout.states);
  nextStates_ = allocateBuffers(layout.states);
}

Expected<void> TrainSession::initParameters(
    const std::map<std::string, ir::ParamInit> &inits, uint64_t seed) {
  Rng rng(seed);
  const auto &slots = step_.layout().params;
  for (size_t i = 0; i < slots.size(); ++i) {
    auto it = inits.find(slots[i].name);
    ir::ParamInit init = it == inits.end() ? ir::ParamInit{} : it->second;
    if (Expected<void> filled = initializeParam(params_[i], slots[i].shape, init, rng);
        !filled)
      return Error("parameter '" + slots[i].name + "': " + filled.error().message());
  }
  return {};
}

Expected<void> TrainSession::loadParameters(const Checkpoint &checkpoint) {
  return loadFromCheckpoint(checkpoint, step_.layout().params, params_);
}

bool TrainSession::parametersFinite() const {
  std::vector<ConstFloatSpan> spans(params_.begin(), params_.end());
  return std::isfinite(globalL2Norm(spans));
}

Expected<void> TrainSession::ensureOptimizer() {
  if (optimizer_)
    return {};
  Expected<std::unique_ptr<Optimizer>> made = makeOptimizer(config_);
  if (!made)
    return made.error();
  optimizer_ = std::move(*made);
  return {};
}

void TrainSession::setLearningRate(double lr) {
  config_.lr = lr;
  if (optimizer_)
    optimizer_->setLearningRate(lr);
}

DropoutCounter TrainSession::dropoutCounter() const {
  uint64_t steps = optimizer_ ? static_cast<uint64_t>(optimizer_->stepCount()) : 0;
  return {dropoutSeed_, steps, dropoutRowOffset_};
}

Expected<StepResult> TrainSession::update(const int32_t *x, const int32_t *y,
                                          double lossBound) {
  StepResult result;
  profileStepBegin(); // rnnc train --profile (KernelProfile.h); else nothing
  bool ran = step_.run(params_, states_, x, y, nextStates_, grads_, &result.loss,
                       dropoutCounter());
  profileStepEnd();
  if (!ran) {
    result.status = StepStatus::OutOfMemory;
    return result;
  }
  if (parallel_)
    parallel_->sumAcrossRanks(result.loss, grads_);
  if (!std::isfinite(result.loss)) {
    result.status = StepStatus::NonFiniteLoss;
    return result;
  }
  if (result.loss > lossBound) {
    result.status = StepStatus::LossAboveBound;
    return result;
  }
  auto updateStart = kernelProfiling() ? std::chrono::steady_clock::now()
                                       : std::chrono::steady_clock::time_point();
  Expected<double> norm =
      clipAndUpdate(result.loss, params_, grads_, clip_, *optimizer_);
  if (kernelProfiling())
    profileAddMillis(ProfilePhase::Update,
                     std::chrono::duration<double, std::milli>(
                         std::chrono::steady_clock::now() - updateStart)
                         .count());
  if (!norm)
    return norm.error();
  result.gradNorm = *norm;
  if (!std::isfinite(*norm)) {
    result.status = StepStatus::NonFiniteGradient;
    return result;
  }
  std::swap(states_, nextStates_); // carried, already detached
  return result;
}

int64_t TrainSession::globalBatch() const {
  return parallel_ ? parallel_->globalBatch() : step_.layout().batch;
}

void TrainSession::startEpoch(Sampler &sampler, EpochTally &tally) {
  sampler.startEpoch();
  zeroStates(); // consecutive: zeroed once per epoch
  tally = EpochTally();
}

Expected<StepResult> TrainSession::trainEpoch(Sampler &sampler, double lossBound,
                                              EpochTally &tally,
                                              const std::function<bool()> &afterStep) {
  const int64_t tokensPerBatch = globalBatch() * step_.layout().seqLen;
  StepResult result;
  Minibatch batch;
  while (sampler.next(batch)) {
    if (sampler.resetsStateEveryBatch())
      zeroStates();
    if (parallel_)
      parallel_->takeRows(batch, rows_);
    const Minibatch &mine = parallel_ ? rows_ : batch;
    Expected<StepResult> updated =
        update(mine.inputs.data(), mine.labels.data(), lossBound);
    ++tally.steps;
    if (!updated)
      return updated;
    result = *updated;
    if (result.status != StepStatus::Updated)
      return result;
    tally.normSum += result.gradNorm;
    tally.meter.add(result.loss, tokensPerBatch);
    if (afterStep && !afterStep())
      break;
  }
  return result;
}

} // namespace rnnc::runtime
