//===- EvaluationTest.cpp - Held-out perplexity ----------------------------===//
///
/// \file
/// The held-out split (on code points, sizes and errors), the
/// out-of-vocabulary policy (skipped and counted), evaluateText against a
/// character-by-character reference (a B = T = 1 step and log-softmax
/// written out here) on a text whose length is not a multiple of T, so the
/// padded last call is covered, and the best-so-far record.
///
//===----------------------------------------------------------------------===//
#include "runtime/train/Evaluation.h"

#include "runtime/train/Rng.h"
#include "test/support/Examples.h"

#include <cmath>
#include <gtest/gtest.h>

using namespace rnnc;
using namespace rnnc::runtime;

namespace {

const char *kTwoStates = R"(
model Tiny(V: vocab, H = 6) {
  param W_xh: [V, H] = normal(0, 0.5)
  param W_hh: [H, H] = normal(0, 0.5)
  param W_ch: [H, H] = normal(0, 0.5)
  param W_hc: [H, H] = normal(0, 0.5)
  param W_hq: [H, V] = normal(0, 0.5)
  state h:    [H]    = zeros
  state c:    [H]    = zeros
  step(x: onehot[V]) -> [V] {
    h = tanh(x @ W_xh + h @ W_hh + c @ W_ch)
    c = sigmoid(h @ W_hc)
    return h @ W_hq
  }
}
)";
std::unique_ptr<ForwardProgram> compileForward(int64_t vocab, int64_t seqLen) {
  auto model = fixtures::checkSource(kTwoStates);
  if (!model)
    return nullptr;
  driver::CompileOptions options;
  options.entry = driver::EntryPoint::Forward;
  auto compiled = driver::compileModel(*model, {vocab, 1, seqLen}, options);
  if (!compiled) {
    ADD_FAILURE() << compiled.error().message();
    return nullptr;
  }
  return std::move(compiled->forward);
}

} // namespace

TEST(Evaluation, HeldOutStartTakesTheLastFraction) {
  EXPECT_EQ(*heldOutStart(100, 0), 100u);
  EXPECT_EQ(*heldOutStart(100, 0.1), 90u);
  EXPECT_EQ(*heldOutStart(105, 0.1), 95u); // floor(10.5) = 10 held out
  EXPECT_EQ(*heldOutStart(10, 0.2), 8u);
  EXPECT_FALSE(heldOutStart(10, 0.1));  // 1 character scores nothing
  EXPECT_FALSE(heldOutStart(100, 1.0));
  EXPECT_FALSE(heldOutStart(100, -0.5));
  EXPECT_FALSE(heldOutStart(100, NAN));
  std::u32string text = U"春眠不觉晓处处闻啼鸟夜来";
  std::u32string held = *takeHeldOutPart(text, 0.25);
  EXPECT_EQ(held, U"鸟夜来"); // floor(0.25 x 12) = 3 code points
  EXPECT_EQ(text, U"春眠不觉晓处处闻啼");
}

TEST(Evaluation, UnknownCharactersAreSkippedAndCounted) {
  Vocabulary vocab = Vocabulary::fromText(U"abc");
  EncodedText e = encodeKnownCharacters(U"xabyyc", vocab);
  EXPECT_EQ(e.tokens, (std::vector<int32_t>{0, 1, 2}));
  EXPECT_EQ(e.outOfVocabulary, 3);
}

TEST(Evaluation, EqualsCharacterByCharacterReference) {
  const int64_t vocab = 7;
  auto chunked = compileForward(vocab, kEvaluationSeqLen);
  auto single = compileForward(vocab, 1);
  ASSERT_TRUE(chunked && single);
  TensorBuffers params = allocateBuffers(chunked->layout().params);
  Rng rng(11);
  for (auto &p : params)
    for (float &v : p)
      v = static_cast<float>(rng.normal(0, 0.7));
  std::vector<int32_t> tokens;
  for (int i = 0; i < 2 * kEvaluationSeqLen + 23; ++i)
    tokens.push_back(static_cast<int32_t>(rng.below(vocab)));

  // Reference: one character per call, the state carried, nothing reset.
  TensorBuffers states = allocateBuffers(single->layout().states);
  std::vector<float> logits(vocab);
  double lossSum = 0;
  for (size_t t = 0; t + 1 < tokens.size(); ++t) {
    ASSERT_TRUE(single->run(params, states, &tokens[t], logits.data()));
    double z = 0;
    for (float l : logits)
      z += std::exp(static_cast<double>(l));
    lossSum += std::log(z) - logits[static_cast<size_t>(tokens[t + 1])];
  }
  const double reference = std::exp(lossSum / static_cast<double>(tokens.size() - 1));

  Expected<EvaluationResult> result = evaluateText(*chunked, params, tokens);
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_EQ(result->scored, static_cast<int64_t>(tokens.size()) - 1);
  EXPECT_NEAR(result->perplexity(), reference, 1e-5 * reference);
  EXPECT_NEAR(result->bitsPerChar(), std::log2(result->perplexity()), 1e-12);
  // A model that learned nothing useful is worse than uniform guessing or
  // near it, never absurdly good: a sanity bound that catches a wrong target.
  EXPECT_GT(result->perplexity(), 1.5);

  // Deterministic: the same figure again, bit for bit.
  EXPECT_EQ(evaluateText(*chunked, params, tokens)->lossSum, result->lossSum);
  EXPECT_FALSE(evaluateText(*chunked, params, {3}));
}

TEST(Evaluation, RecordKeepsTheBestAndCountsEpochsSince) {
  ValidationRecord r;
  EXPECT_TRUE(r.observe(1, 10));
  EXPECT_FALSE(r.observe(2, 10)); // equal is not better
  EXPECT_TRUE(r.observe(3, 9));
  EXPECT_FALSE(r.observe(4, 9.5));
  EXPECT_FALSE(r.observe(5, NAN));
  EXPECT_EQ(*r.best, 9);
  EXPECT_EQ(r.bestEpoch, 3);
  EXPECT_EQ(r.epochsSinceBest, 2);
}
