//===- Sampler.cpp - Minibatches of token ids (d2l 6.3) -------------------===//
///
/// \file
/// The random and consecutive samplers; see Sampler.h for the exact recipe.
///
//===----------------------------------------------------------------------===//
#include "runtime/train/Sampler.h"

#include <fmt/format.h>
#include <utility>

namespace rnnc::runtime {

std::optional<SamplingMode> parseSamplingMode(std::string_view word) {
  if (word == "random")
    return SamplingMode::Random;
  if (word == "consecutive")
    return SamplingMode::Consecutive;
  return std::nullopt;
}

Expected<Sampler> Sampler::create(std::vector<int32_t> tokens,
                                  SamplingMode mode, int64_t batchSize,
                                  int64_t seqLen, uint64_t seed) {
  if (batchSize <= 0)
    return Error(fmt::format("batch size must be positive, got {}", batchSize));
  if (seqLen <= 0)
    return Error(fmt::format("sequence length must be positive, got {}", seqLen));
  int64_t n = static_cast<int64_t>(tokens.size());
  if (n < seqLen + 1)
    return Error(fmt::format("corpus has {} characters; it needs at least "
                             "seq_len + 1 = {}",
                             n, seqLen + 1));
  Sampler sampler;
  sampler.mode_ = mode;
  sampler.batchSize_ = batchSize;
  sampler.seqLen_ = seqLen;
  sampler.rng_ = Rng(seed);
  sampler.seed_ = seed;
  if (mode == SamplingMode::Random) {
    int64_t examples = (n - 1) / seqLen;
    sampler.batchesPerEpoch_ = examples / batchSize;
    if (sampler.batchesPerEpoch_ == 0)
      return Error(fmt::format(
          "corpus has {} characters, {} examples of seq_len {}; random "
          "sampling needs at least batch = {} examples ({} characters)",
          n, examples, seqLen, batchSize, batchSize * seqLen + 1));
    sampler.exampleOrder_.resize(static_cast<size_t>(examples));
    for (int64_t i = 0; i < examples; ++i)
      sampler.exampleOrder_[static_cast<size_t>(i)] = i;
  } else {
    sampler.streamLength_ = n / batchSize;
    sampler.batchesPerEpoch_ = (sampler.streamLength_ - 1) / seqLen;
    if (sampler.streamLength_ < 1 || sampler.batchesPerEpoch_ == 0)
      return Error(fmt::format(
          "corpus has {} characters; consecutive sampling with batch {} and "
          "seq_len {} needs at least {}",
          n, batchSize, seqLen, batchSize * (seqLen + 1)));
  }
  sampler.tokens_ = std::move(tokens);
  return sampler;
}

bool Sampler::restorePosition(int64_t epochsStarted, int64_t nextBatch) {
  if (epochsStarted < 0 || nextBatch < 0 || nextBatch > batchesPerEpoch_ ||
      (epochsStarted == 0 && nextBatch != 0))
    return false;
  rng_ = Rng(seed_);
  for (size_t i = 0; i < exampleOrder_.size(); ++i)
    exampleOrder_[i] = static_cast<int64_t>(i);
  started_ = false;
  epochsStarted_ = 0;
  nextBatch_ = 0;
  for (int64_t e = 0; e < epochsStarted; ++e)
    startEpoch();
  nextBatch_ = nextBatch;
  return true;
}

void Sampler::startEpoch() {
  started_ = true;
  ++epochsStarted_;
  nextBatch_ = 0;
  if (mode_ != SamplingMode::Random)
    return;
  // Fisher-Yates from the top, as Python's random.shuffle does.
  for (size_t i = exampleOrder_.size(); i > 1; --i) {
    size_t j = static_cast<size_t>(rng_.below(i));
    std::swap(exampleOrder_[i - 1], exampleOrder_[j]);
  }
}

bool Sampler::next(Minibatch &batch) {
  if (!started_)
    startEpoch();
  if (nextBatch_ >= batchesPerEpoch_)
    return false;
  batch.seqLen = seqLen_;
  batch.batchSize = batchSize_;
  batch.inputs.resize(static_cast<size_t>(seqLen_ * batchSize_));
  batch.labels.resize(batch.inputs.size());
  if (mode_ == SamplingMode::Random)
    fillRandom(batch);
  else
    fillConsecutive(batch);
  ++nextBatch_;
  return true;
}

void Sampler::fillRandom(Minibatch &batch) const {
  for (int64_t b = 0; b < batchSize_; ++b) {
    int64_t example = exampleOrder_[static_cast<size_t>(nextBatch_ * batchSize_ + b)];
    int64_t start = example * seqLen_;
    for (int64_t t = 0; t < seqLen_; ++t) {
      size_t slot = static_cast<size_t>(t * batchSize_ + b);
      batch.inputs[slot] = tokens_[static_cast<size_t>(start + t)];
      batch.labels[slot] = tokens_[static_cast<size_t>(start + t + 1)];
    }
  }
}

void Sampler::fillConsecutive(Minibatch &batch) const {
  for (int64_t b = 0; b < batchSize_; ++b) {
    int64_t start = b * streamLength_ + nextBatch_ * seqLen_;
    for (int64_t t = 0; t < seqLen_; ++t) {
      size_t slot = static_cast<size_t>(t * batchSize_ + b);
      batch.inputs[slot] = tokens_[static_cast<size_t>(start + t)];
      batch.labels[slot] = tokens_[static_cast<size_t>(start + t + 1)];
    }
  }
}

} // namespace rnnc::runtime
