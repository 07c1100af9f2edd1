//===- BeamSearch.h - The most probable continuation of a prefix -*- C++ -*-===//
///
/// \file
/// `rnnc generate --beam K`: beside greedy (one most likely character at a
/// time) and sampling, a search for the continuation with the highest
/// length-normalised log-probability, mean log p(character) over the
/// continuation.
///
/// 1. Feed the prefix from a zero state, as the generator does.
/// 2. Keep at most K live hypotheses, each with its own carried state. At
///    each depth, every live hypothesis proposes every character; the K
///    proposals with the highest summed log-probability are kept (ties:
///    the earlier hypothesis, then the lower id), and each is advanced by
///    one B = T = 1 step from its parent's state.
/// 3. A hypothesis that emits the stop character (if any) is finished: it
///    takes its slot at that depth and leaves the search.
/// 4. The answer is the finished or full-length hypothesis with the highest
///    mean log-probability (ties: the one found first).
///
/// Live hypotheses at one depth have the same length, so ranking them by
/// their sum is ranking by their mean; the normalisation decides only
/// between hypotheses of different lengths, which the stop character makes.
/// Without one every answer has exactly `count` characters and the search
/// looks for the most probable of them. K = 1 is greedy decoding; K at
/// least V^(count-1) keeps every prefix and finds the exact optimum (both
/// tested in BeamSearchTest).
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Error.h"
#include "runtime/train/CompiledStep.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace rnnc::runtime {

struct BeamResult {
  std::vector<int32_t> tokens; ///< the continuation, the prefix left out
  double logProb = 0;          ///< sum of log p over `tokens`, in nats
  /// logProb / length (0 for an empty continuation).
  double meanLogProb() const;
};

/// log softmax of `logits` in double; NaN logits get -infinity.
std::vector<double> logSoftmax(const float *logits, size_t vocabSize);

/// Continues `prefix` (non-empty ids) by at most `count` characters with a
/// beam of `width` (>= 1) hypotheses, `step` a B = T = 1 forward step.
Expected<BeamResult> beamSearch(const ForwardStep &step,
                                const TensorBuffers &params,
                                const std::vector<int32_t> &prefix,
                                int64_t count, int64_t width,
                                std::optional<int32_t> stopToken = std::nullopt);

} // namespace rnnc::runtime
