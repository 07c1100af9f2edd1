//===- Evaluation.cpp - Perplexity of a model on held-out text ------------===//
///
/// \file
/// The last call of a text is padded with token 0 to the step's T: the
/// model is recurrent, so a position's logits depend only on the tokens up
/// to it, and the padded positions are not scored.
///
//===----------------------------------------------------------------------===//
#include "runtime/train/Evaluation.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

namespace rnnc::runtime {

Expected<size_t> heldOutStart(size_t chars, double fraction) {
  if (!(fraction >= 0 && fraction < 1))
    return Error(fmt::format("the held-out fraction must be in [0, 1), got {}",
                             fraction));
  if (fraction == 0)
    return chars;
  auto held = static_cast<size_t>(std::floor(fraction * static_cast<double>(chars)));
  if (held < 2)
    return Error(fmt::format("{} of {} characters is {}; at least 2 must be "
                             "held out to score one",
                             fraction, chars, held));
  return chars - held;
}

Expected<std::u32string> takeHeldOutPart(std::u32string &text, double fraction) {
  Expected<size_t> start = heldOutStart(text.size(), fraction);
  if (!start)
    return start.error();
  std::u32string heldOut = text.substr(*start);
  text.resize(*start);
  return heldOut;
}

EncodedText encodeKnownCharacters(std::u32string_view text,
                                  const Vocabulary &vocab) {
  EncodedText out;
  out.tokens.reserve(text.size());
  for (char32_t c : text) {
    if (std::optional<int32_t> id = vocab.idOf(c))
      out.tokens.push_back(*id);
    else
      ++out.outOfVocabulary;
  }
  return out;
}

double EvaluationResult::meanLoss() const {
  return scored ? lossSum / static_cast<double>(scored) : 0;
}
double EvaluationResult::perplexity() const { return std::exp(meanLoss()); }
double EvaluationResult::bitsPerChar() const { return meanLoss() / std::log(2.0); }

Expected<EvaluationResult> evaluateText(const ForwardStep &step,
                                        const TensorBuffers &params,
                                        const std::vector<int32_t> &tokens) {
  const ModelLayout &layout = step.layout();
  if (layout.batch != 1)
    return Error("evaluation needs a forward step with B = 1");
  if (tokens.size() < 2)
    return Error(fmt::format("the text to evaluate has {} characters in the "
                             "vocabulary; at least 2 are needed",
                             tokens.size()));
  if (Expected<void> reserved = step.reserveArena(); !reserved)
    return reserved.error();
  const auto seqLen = static_cast<size_t>(layout.seqLen);
  const auto vocab = static_cast<size_t>(layout.vocab);
  TensorBuffers states = allocateBuffers(layout.states);
  std::vector<int32_t> x(seqLen);
  std::vector<float> logits(seqLen * vocab);
  EvaluationResult result;
  const size_t targets = tokens.size() - 1;
  for (size_t start = 0; start < targets; start += seqLen) {
    const size_t len = std::min(seqLen, targets - start);
    std::fill(x.begin(), x.end(), 0);
    std::copy_n(tokens.begin() + static_cast<std::ptrdiff_t>(start), len, x.begin());
    if (!step.run(params, states, x.data(), logits.data()))
      return Error(step.arenaShortfall());
    for (size_t t = 0; t < len; ++t) {
      const float *row = logits.data() + t * vocab;
      double maxLogit = *std::max_element(row, row + vocab);
      double sum = 0;
      for (size_t v = 0; v < vocab; ++v)
        sum += std::exp(static_cast<double>(row[v]) - maxLogit);
      const auto target = static_cast<size_t>(tokens[start + t + 1]);
      result.lossSum += maxLogit + std::log(sum) - static_cast<double>(row[target]);
    }
    result.scored += static_cast<int64_t>(len);
  }
  return result;
}

bool ValidationRecord::observe(int64_t epoch, double perplexity) {
  if (!std::isfinite(perplexity) || (best && !(perplexity < *best))) {
    ++epochsSinceBest;
    return false;
  }
  best = perplexity;
  bestEpoch = epoch;
  epochsSinceBest = 0;
  return true;
}

} // namespace rnnc::runtime
