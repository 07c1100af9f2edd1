//===- Decoding.h - Choosing the next token from logits ---------*- C++ -*-===//
///
/// \file
/// Generation turns the model's logits for one position into a token id:
/// greedily (argmax, d2l's `predict_rnn`) or by sampling from
/// softmax(logits / temperature), optionally restricted to the k most likely
/// tokens. Sampling draws from a seeded Rng, so a seed fixes the text.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Error.h"
#include "runtime/train/Rng.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace rnnc::runtime {

/// The id of the largest logit; ties go to the lowest id, NaNs are ignored
/// (0 if every logit is NaN).
int32_t greedyToken(const float *logits, size_t vocabSize);

struct SamplingOptions {
  double temperature = 1.0; ///< > 0; 0 means greedy
  int64_t topK = 0;         ///< keep the k most likely tokens; 0 keeps all
};

/// Checks temperature >= 0 (and finite) and topK >= 0.
Expected<void> validateSamplingOptions(const SamplingOptions &options);

/// Samples an id from softmax(logits / temperature) over the top-k logits
/// (ties broken towards lower ids). temperature 0 is greedy.
int32_t sampleToken(const float *logits, size_t vocabSize,
                    const SamplingOptions &options, Rng &rng);

/// Greedy or sampled choice behind one call, as `rnnc generate` needs it.
class TokenChooser {
public:
  /// Greedy decoding.
  TokenChooser() = default;
  /// Sampled decoding with its own generator seeded by `seed`.
  TokenChooser(SamplingOptions options, uint64_t seed)
      : sampled_(true), options_(options), rng_(seed) {}
  int32_t choose(const float *logits, size_t vocabSize);

private:
  bool sampled_ = false;
  SamplingOptions options_;
  Rng rng_;
};

} // namespace rnnc::runtime
