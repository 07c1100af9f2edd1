//===- Trainer.cpp - The training loop ------------------------------------===//
#include "runtime/Trainer.h"

#include "runtime/Decoding.h"
#include "runtime/Generator.h"
#include "runtime/ParamInit.h"
#include "runtime/Progress.h"
#include "runtime/Rng.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <cmath>
#include <fmt/format.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>

namespace rnnc::runtime {

Trainer::Trainer(const TrainStepProgram &step, const ForwardProgram *generate,
                 const Vocabulary &vocab, TrainOptions options)
    : step_(step), generate_(generate), vocab_(vocab),
      options_(std::move(options)) {
  params_ = allocateBuffers(step_.layout().params);
}

bool Trainer::initParameters(const std::map<std::string, ir::ParamInit> &inits,
                             std::string *error) {
  Rng rng(options_.seed);
  const auto &slots = step_.layout().params;
  for (size_t i = 0; i < slots.size(); ++i) {
    auto it = inits.find(slots[i].name);
    ir::ParamInit init = it == inits.end() ? ir::ParamInit{} : it->second;
    std::string why;
    if (!initializeParam(params_[i], slots[i].shape, init, rng, &why)) {
      *error = "parameter '" + slots[i].name + "': " + why;
      return false;
    }
  }
  return true;
}

bool Trainer::loadParameters(const Checkpoint &checkpoint, std::string *error) {
  return loadFromCheckpoint(checkpoint, step_.layout().params, params_, error);
}

bool Trainer::run(const std::vector<int32_t> &tokens, std::ostream &log,
                  std::string *error) {
  if (!step_.reserveArena(error))
    return false;
  const ModelLayout &layout = step_.layout();
  auto sampler = Sampler::create(tokens, options_.sampling, layout.batch,
                                 layout.seqLen, options_.seed, error);
  if (!sampler)
    return false;
  auto optimizer = makeOptimizer(options_.optimizer, error);
  if (!optimizer)
    return false;

  TensorBuffers states = allocateBuffers(layout.states);
  TensorBuffers nextStates = allocateBuffers(layout.states);
  TensorBuffers grads = allocateBuffers(layout.params);

  ProgressDisplay progress;
  ProgressState state;
  state.totalEpochs = options_.epochs;
  state.batchesPerEpoch = sampler->batchesPerEpoch();
  const int64_t tokensPerBatch = layout.batch * layout.seqLen;
  auto trainStart = std::chrono::steady_clock::now();
  Minibatch batch;
  for (int64_t epoch = 1; epoch <= options_.epochs; ++epoch) {
    auto epochStart = std::chrono::steady_clock::now();
    sampler->startEpoch();
    zeroBuffers(states); // consecutive: zeroed once per epoch
    EpochMeter meter;
    double normSum = 0;
    int64_t steps = 0;
    while (sampler->next(batch)) {
      if (sampler->resetsStateEveryBatch())
        zeroBuffers(states);
      float loss = step_.run(params_, states, batch.inputs.data(),
                             batch.labels.data(), nextStates, grads);
      ++steps;
      // Nothing is updated when the loss or a gradient is not finite.
      std::optional<double> norm =
          clipAndUpdate(loss, params_, grads, options_.clip, *optimizer, error);
      if (!norm)
        return false;
      if (!std::isfinite(*norm)) {
        progress.clear();
        *error = fmt::format("non-finite loss at epoch {}, step {}; stopping",
                             epoch, steps);
        if (!options_.savePath.empty())
          *error += epoch > 1 ? fmt::format(" (the checkpoint of epoch {} in "
                                            "'{}' is kept)",
                                            epoch - 1, options_.savePath)
                              : " (no checkpoint was written)";
        return false;
      }
      std::swap(states, nextStates); // carried, already detached
      normSum += *norm;
      meter.add(loss, tokensPerBatch);
      double elapsed = std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - trainStart)
                           .count();
      state.epoch = epoch;
      state.batchesDone = steps;
      state.perplexity = meter.perplexity();
      state.elapsedSeconds = elapsed;
      state.tokensPerSecond =
          static_cast<double>(((epoch - 1) * state.batchesPerEpoch + steps) *
                              tokensPerBatch) /
          std::max(elapsed, 1e-9);
      progress.update(state);
    }
    EpochMetrics m;
    m.epoch = epoch;
    m.loss = meter.meanLoss();
    m.perplexity = meter.perplexity();
    m.gradNorm = steps ? normSum / static_cast<double>(steps) : 0;
    m.seconds = std::chrono::duration<double>(
                    std::chrono::steady_clock::now() - epochStart)
                    .count();
    m.tokensPerSecond =
        static_cast<double>(meter.tokens()) / std::max(m.seconds, 1e-9);
    history_.push_back(m);
    if (!appendMetrics(m, error) || !saveCheckpoint(epoch, error))
      return false;
    bool last = epoch == options_.epochs;
    bool predictNow = last || (options_.predictEvery > 0 &&
                               epoch % options_.predictEvery == 0);
    if (predictNow || epoch == 1 || epoch % 10 == 0) {
      progress.clear();
      log << fmt::format("epoch {}, perplexity {:.3f}, grad norm {:.3f}, "
                         "{:.0f} tokens/s, {:.2f} s\n",
                         epoch, m.perplexity, m.gradNorm, m.tokensPerSecond,
                         m.seconds);
      log.flush();
    }
    if (predictNow)
      predict(log);
  }
  progress.clear();
  return true;
}

void Trainer::predict(std::ostream &log) const {
  if (!generate_)
    return;
  TextGenerator generator(*generate_, params_, vocab_);
  for (const std::string &prefix : options_.prefixes) {
    TokenChooser greedy;
    std::string why;
    auto text =
        generator.continueText(prefix, options_.predictLength, greedy, &why);
    log << " - " << (text ? *text : "(" + why + ")") << '\n';
  }
}

bool Trainer::appendMetrics(const EpochMetrics &m, std::string *error) const {
  if (options_.metricsJsonPath.empty())
    return true;
  std::ofstream out(options_.metricsJsonPath, std::ios::app);
  nlohmann::json j = {{"epoch", m.epoch},
                      {"loss", m.loss},
                      {"perplexity", m.perplexity},
                      {"grad_norm", m.gradNorm},
                      {"tokens_per_s", m.tokensPerSecond},
                      {"seconds", m.seconds}};
  errno = 0;
  out << j.dump() << '\n';
  out.flush(); // a full disk shows here, not in a destructor
  if (!out) {
    *error = "cannot write metrics to '" + options_.metricsJsonPath + "'" +
             (errno ? std::string(": ") + std::strerror(errno) : "");
    return false;
  }
  return true;
}

bool Trainer::saveCheckpoint(int64_t epoch, std::string *error) const {
  if (options_.savePath.empty())
    return true;
  CheckpointMetadata meta = options_.checkpoint;
  meta.epoch = epoch;
  meta.vocabulary = vocab_.chars();
  std::vector<TensorView> views;
  const auto &slots = step_.layout().params;
  for (size_t i = 0; i < slots.size(); ++i)
    views.push_back({slots[i].name, slots[i].shape, params_[i].data()});
  return runtime::saveCheckpoint(options_.savePath, meta, views, error);
}

} // namespace rnnc::runtime
