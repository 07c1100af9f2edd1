//===- DecodingTest.cpp - Greedy, temperature and top-k token choice ------===//
///
/// \file
/// Greedy ties and NaNs, the sampled distribution against softmax within a
/// stated tolerance (20,000 draws, +-0.02), top-k restriction, temperature
/// limits and seed determinism.
///
//===----------------------------------------------------------------------===//
#include "runtime/train/Decoding.h"

#include <cmath>
#include <gtest/gtest.h>
#include <vector>

using namespace rnnc::runtime;

namespace {

std::vector<double> frequencies(const std::vector<float> &logits,
                                SamplingOptions options, int draws = 20000) {
  Rng rng(123);
  std::vector<double> counts(logits.size(), 0);
  for (int i = 0; i < draws; ++i)
    counts[static_cast<size_t>(sampleToken(logits.data(), logits.size(), options, rng))] += 1;
  for (double &c : counts)
    c /= draws;
  return counts;
}

} // namespace

TEST(Decoding, GreedyTakesLowestIdOfLargestLogit) {
  std::vector<float> logits = {0.1f, 3, 3, -1};
  EXPECT_EQ(greedyToken(logits.data(), logits.size()), 1);
  std::vector<float> withNan = {NAN, 1, 2, NAN};
  EXPECT_EQ(greedyToken(withNan.data(), withNan.size()), 2);
  std::vector<float> allNan = {NAN, NAN};
  EXPECT_EQ(greedyToken(allNan.data(), allNan.size()), 0);
}

TEST(Decoding, SamplesFromSoftmax) {
  std::vector<float> logits = {std::log(0.2f), std::log(0.3f), std::log(0.5f)};
  std::vector<double> freq = frequencies(logits, {1.0, 0});
  EXPECT_NEAR(freq[0], 0.2, 0.02);
  EXPECT_NEAR(freq[1], 0.3, 0.02);
  EXPECT_NEAR(freq[2], 0.5, 0.02);
}

TEST(Decoding, TemperatureSharpensAndFlattens) {
  std::vector<float> logits = {std::log(0.2f), std::log(0.3f), std::log(0.5f)};
  // T = 0.5 squares the probabilities: 0.04 : 0.09 : 0.25 of 0.38.
  std::vector<double> sharp = frequencies(logits, {0.5, 0});
  EXPECT_NEAR(sharp[2], 0.25 / 0.38, 0.02);
  EXPECT_NEAR(sharp[0], 0.04 / 0.38, 0.02);
  std::vector<double> flat = frequencies(logits, {1000.0, 0});
  for (double f : flat)
    EXPECT_NEAR(f, 1.0 / 3, 0.02);
  // Temperature 0 is greedy.
  Rng rng(1);
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(sampleToken(logits.data(), 3, {0.0, 0}, rng), 2);
}

TEST(Decoding, TopKKeepsOnlyTheKMostLikely) {
  std::vector<float> logits = {0, 1, 2, 3};
  std::vector<double> freq = frequencies(logits, {1.0, 2});
  EXPECT_EQ(freq[0], 0.0);
  EXPECT_EQ(freq[1], 0.0);
  // Between ids 2 and 3 the odds are e : 1 for id 3.
  EXPECT_NEAR(freq[3], std::exp(1.0) / (1 + std::exp(1.0)), 0.02);
  std::vector<double> top1 = frequencies(logits, {5.0, 1}, 100);
  EXPECT_EQ(top1[3], 1.0);
  // k larger than V keeps everything.
  std::vector<double> all = frequencies(logits, {1.0, 10});
  EXPECT_GT(all[0], 0.0);
}

TEST(Decoding, SeedFixesTheSequence) {
  std::vector<float> logits = {0, 0.5f, 1, 0.2f, 0.7f};
  TokenChooser a({1.0, 0}, 99), b({1.0, 0}, 99), c({1.0, 0}, 100);
  std::vector<int32_t> sa, sb, sc;
  for (int i = 0; i < 50; ++i) {
    sa.push_back(a.choose(logits.data(), logits.size()));
    sb.push_back(b.choose(logits.data(), logits.size()));
    sc.push_back(c.choose(logits.data(), logits.size()));
  }
  EXPECT_EQ(sa, sb);
  EXPECT_NE(sa, sc);
  TokenChooser greedy;
  EXPECT_EQ(greedy.choose(logits.data(), logits.size()), 2);
}

TEST(Decoding, ValidatesOptions) {
  EXPECT_TRUE(validateSamplingOptions({0.8, 40}));
  auto negative = validateSamplingOptions({-1, 0});
  ASSERT_FALSE(negative);
  EXPECT_EQ(negative.error().message(), "temperature must be a finite number >= 0, got -1");
  auto negativeK = validateSamplingOptions({1, -3});
  ASSERT_FALSE(negativeK);
  EXPECT_EQ(negativeK.error().message(), "top-k must be >= 0, got -3");
  EXPECT_FALSE(validateSamplingOptions({INFINITY, 0}));
}
