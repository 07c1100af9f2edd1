//===- Decoding.cpp - Choosing the next token from logits -----------------===//
///
/// \file
/// Softmax is taken in double after subtracting the largest kept logit, so
/// large logits or small temperatures do not overflow.
///
//===----------------------------------------------------------------------===//
#include "runtime/train/Decoding.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <numeric>
#include <vector>

namespace rnnc::runtime {

int32_t greedyToken(const float *logits, size_t vocabSize) {
  int32_t best = 0;
  bool found = false;
  for (size_t i = 0; i < vocabSize; ++i) {
    if (std::isnan(logits[i]))
      continue;
    if (!found || logits[i] > logits[best]) {
      best = static_cast<int32_t>(i);
      found = true;
    }
  }
  return best;
}

Expected<void> validateSamplingOptions(const SamplingOptions &options) {
  if (!(options.temperature >= 0) || !std::isfinite(options.temperature))
    return Error(fmt::format("temperature must be a finite number >= 0, got {}",
                             options.temperature));
  if (options.topK < 0)
    return Error(fmt::format("top-k must be >= 0, got {}", options.topK));
  return {};
}

int32_t sampleToken(const float *logits, size_t vocabSize,
                    const SamplingOptions &options, Rng &rng) {
  if (vocabSize == 0)
    return 0;
  if (!(options.temperature > 0))
    return greedyToken(logits, vocabSize);
  // NaN logits can never be chosen; they sort last.
  std::vector<int32_t> candidates(vocabSize);
  std::iota(candidates.begin(), candidates.end(), 0);
  auto moreLikely = [&](int32_t a, int32_t b) {
    bool aNan = std::isnan(logits[a]), bNan = std::isnan(logits[b]);
    if (aNan != bNan)
      return bNan;
    if (!aNan && logits[a] != logits[b])
      return logits[a] > logits[b];
    return a < b;
  };
  size_t keep = vocabSize;
  if (options.topK > 0 && static_cast<size_t>(options.topK) < vocabSize) {
    keep = static_cast<size_t>(options.topK);
    std::partial_sort(candidates.begin(), candidates.begin() + keep,
                      candidates.end(), moreLikely);
    candidates.resize(keep);
  }
  double maxLogit = -INFINITY;
  for (int32_t id : candidates)
    if (!std::isnan(logits[id]))
      maxLogit = std::max(maxLogit, static_cast<double>(logits[id]));
  if (!std::isfinite(maxLogit))
    return greedyToken(logits, vocabSize);
  std::vector<double> weights(candidates.size());
  double total = 0;
  for (size_t i = 0; i < candidates.size(); ++i) {
    double logit = logits[candidates[i]];
    weights[i] = std::isnan(logit)
                     ? 0.0
                     : std::exp((logit - maxLogit) / options.temperature);
    total += weights[i];
  }
  double target = rng.uniform01() * total;
  double running = 0;
  for (size_t i = 0; i < candidates.size(); ++i) {
    running += weights[i];
    if (target < running)
      return candidates[i];
  }
  // Rounding left target at the very top: take the last token with weight.
  for (size_t i = candidates.size(); i-- > 0;)
    if (weights[i] > 0)
      return candidates[i];
  return candidates.front();
}

int32_t TokenChooser::choose(const float *logits, size_t vocabSize) {
  if (!sampled_)
    return greedyToken(logits, vocabSize);
  return sampleToken(logits, vocabSize, options_, rng_);
}

} // namespace rnnc::runtime
