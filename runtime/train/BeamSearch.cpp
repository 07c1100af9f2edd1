//===- BeamSearch.cpp - The most probable continuation of a prefix --------===//
#include "runtime/train/BeamSearch.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <limits>

namespace rnnc::runtime {

double BeamResult::meanLogProb() const {
  return tokens.empty() ? 0 : logProb / static_cast<double>(tokens.size());
}

std::vector<double> logSoftmax(const float *logits, size_t vocabSize) {
  constexpr double kMinusInf = -std::numeric_limits<double>::infinity();
  double maxLogit = kMinusInf;
  for (size_t v = 0; v < vocabSize; ++v)
    if (!std::isnan(logits[v]))
      maxLogit = std::max(maxLogit, static_cast<double>(logits[v]));
  std::vector<double> out(vocabSize, kMinusInf);
  if (!std::isfinite(maxLogit))
    return out;
  double sum = 0;
  for (size_t v = 0; v < vocabSize; ++v)
    if (!std::isnan(logits[v]))
      sum += std::exp(static_cast<double>(logits[v]) - maxLogit);
  const double logSum = maxLogit + std::log(sum);
  for (size_t v = 0; v < vocabSize; ++v)
    if (!std::isnan(logits[v]))
      out[v] = static_cast<double>(logits[v]) - logSum;
  return out;
}

namespace {

/// A live hypothesis; its characters are in the search's back-pointers.
struct Hypothesis {
  double logProb = 0;
  size_t node = 0;           ///< its last character's back-pointer (depth - 1)
  TensorBuffers states;      ///< after its last character was fed
  std::vector<float> logits; ///< for its next character
};

struct Proposal {
  double logProb;
  size_t parent;
  int32_t token;
};

/// A finished or full-length hypothesis.
struct Ending {
  double logProb;
  int64_t length;
  size_t node;
  double mean() const { return logProb / static_cast<double>(length); }
};

/// One character of some hypothesis: which hypothesis of the depth before
/// it extends, so memory grows with K x count, not with K x count^2.
struct BackPointer {
  size_t parent;
  int32_t token;
};

} // namespace

Expected<BeamResult> beamSearch(const ForwardStep &step,
                                const TensorBuffers &params,
                                const std::vector<int32_t> &prefix,
                                int64_t count, int64_t width,
                                std::optional<int32_t> stopToken) {
  const ModelLayout &layout = step.layout();
  if (layout.batch != 1 || layout.seqLen != 1)
    return Error("beam search needs a forward step with B = T = 1");
  if (width < 1)
    return Error(fmt::format("the beam width must be at least 1, got {}", width));
  if (count < 0)
    return Error("the number of characters to generate must not be negative");
  if (prefix.empty())
    return Error("the prefix is empty: give at least one character");
  if (Expected<void> reserved = step.reserveArena(); !reserved)
    return reserved.error();
  const auto vocab = static_cast<size_t>(layout.vocab);
  auto advance = [&](TensorBuffers &states, int32_t token,
                     std::vector<float> &logits) -> Expected<void> {
    logits.resize(vocab);
    if (!step.run(params, states, &token, logits.data()))
      return Error(step.arenaShortfall());
    return {};
  };

  Hypothesis start;
  start.states = allocateBuffers(layout.states);
  for (int32_t token : prefix)
    if (Expected<void> ran = advance(start.states, token, start.logits); !ran)
      return ran.error();
  std::vector<Hypothesis> live;
  live.push_back(std::move(start));
  std::vector<std::vector<BackPointer>> back; // [depth][node]
  std::vector<Ending> endings;
  std::vector<Proposal> proposals;
  for (int64_t depth = 0; depth < count && !live.empty(); ++depth) {
    proposals.clear();
    for (size_t i = 0; i < live.size(); ++i) {
      std::vector<double> logp = logSoftmax(live[i].logits.data(), vocab);
      for (size_t v = 0; v < vocab; ++v)
        if (std::isfinite(logp[v]))
          proposals.push_back({live[i].logProb + logp[v], i, static_cast<int32_t>(v)});
    }
    if (proposals.empty())
      return Error("beam search: the model's logits are not finite");
    const size_t keep = std::min(proposals.size(), static_cast<size_t>(width));
    std::partial_sort(proposals.begin(), proposals.begin() + keep, proposals.end(),
                      [](const Proposal &a, const Proposal &b) {
                        if (a.logProb != b.logProb)
                          return a.logProb > b.logProb;
                        return a.parent != b.parent ? a.parent < b.parent
                                                    : a.token < b.token;
                      });
    back.emplace_back();
    std::vector<Hypothesis> next;
    for (size_t k = 0; k < keep; ++k) {
      const Proposal &p = proposals[k];
      const size_t node = back.back().size();
      back.back().push_back({depth ? live[p.parent].node : 0, p.token});
      if (stopToken && p.token == *stopToken) {
        endings.push_back({p.logProb, depth + 1, node});
        continue;
      }
      Hypothesis h;
      h.logProb = p.logProb;
      h.node = node;
      if (depth + 1 < count) { // the last characters need no step after them
        h.states = live[p.parent].states;
        if (Expected<void> ran = advance(h.states, p.token, h.logits); !ran)
          return ran.error();
      }
      next.push_back(std::move(h));
    }
    live = std::move(next);
  }
  for (const Hypothesis &h : live)
    endings.push_back({h.logProb, count, h.node});
  if (endings.empty())
    return BeamResult{}; // count == 0
  const Ending &best = *std::max_element(
      endings.begin(), endings.end(),
      [](const Ending &a, const Ending &b) { return a.mean() < b.mean(); });
  BeamResult result;
  result.logProb = best.logProb;
  result.tokens.resize(static_cast<size_t>(best.length));
  for (size_t depth = result.tokens.size(), node = best.node; depth-- > 0;) {
    result.tokens[depth] = back[depth][node].token;
    node = back[depth][node].parent;
  }
  return result;
}

} // namespace rnnc::runtime
