//===- SamplerTest.cpp - d2l random and consecutive minibatches -----------===//
///
/// \file
/// A 20-token corpus whose ids equal their positions (0..19), T = 3, B = 2:
/// consecutive gives streams 0..9 and 10..19 and three batches; random gives
/// (20-1)/3 = 6 examples at offsets 0,3,..,15 and 6/2 = 3 batches.
///
//===----------------------------------------------------------------------===//
#include "runtime/train/Sampler.h"

#include <algorithm>
#include <gtest/gtest.h>
#include <numeric>

using namespace rnnc::runtime;

namespace {

std::vector<int32_t> positions(int n) {
  std::vector<int32_t> tokens(static_cast<size_t>(n));
  std::iota(tokens.begin(), tokens.end(), 0);
  return tokens;
}

/// The message of a failed create, "" when it succeeded.
std::string failureOf(const rnnc::Expected<Sampler> &sampler) {
  return sampler ? "" : sampler.error().message();
}

Sampler makeSampler(SamplingMode mode, uint64_t seed = 7) {
  rnnc::Expected<Sampler> sampler = Sampler::create(positions(20), mode, /*batchSize=*/2,
                                              /*seqLen=*/3, seed);
  EXPECT_TRUE(sampler) << failureOf(sampler);
  return *sampler;
}

/// Example offsets (x[0, b]) of every batch of one epoch.
std::vector<int32_t> epochOffsets(Sampler &sampler) {
  std::vector<int32_t> offsets;
  sampler.startEpoch();
  Minibatch batch;
  while (sampler.next(batch))
    for (int64_t b = 0; b < batch.batchSize; ++b)
      offsets.push_back(batch.inputs[static_cast<size_t>(b)]);
  return offsets;
}

} // namespace

TEST(Sampler, ConsecutiveGivesExactBatches) {
  Sampler sampler = makeSampler(SamplingMode::Consecutive);
  EXPECT_EQ(sampler.batchesPerEpoch(), 3);
  EXPECT_FALSE(sampler.resetsStateEveryBatch());
  // Time-major: x[t*B + b]; stream 0 is 0..9, stream 1 is 10..19.
  const std::vector<std::vector<int32_t>> wantX = {
      {0, 10, 1, 11, 2, 12}, {3, 13, 4, 14, 5, 15}, {6, 16, 7, 17, 8, 18}};
  const std::vector<std::vector<int32_t>> wantY = {
      {1, 11, 2, 12, 3, 13}, {4, 14, 5, 15, 6, 16}, {7, 17, 8, 18, 9, 19}};
  for (int epoch = 0; epoch < 2; ++epoch) {
    sampler.startEpoch();
    Minibatch batch;
    for (size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(sampler.nextBatchIndex(), static_cast<int64_t>(i));
      ASSERT_TRUE(sampler.next(batch));
      EXPECT_EQ(batch.seqLen, 3);
      EXPECT_EQ(batch.batchSize, 2);
      EXPECT_EQ(batch.inputs, wantX[i]) << "batch " << i;
      EXPECT_EQ(batch.labels, wantY[i]) << "batch " << i;
    }
    EXPECT_FALSE(sampler.next(batch));
  }
}

TEST(Sampler, RandomCutsNonOverlappingExamplesAndShuffles) {
  Sampler sampler = makeSampler(SamplingMode::Random);
  EXPECT_EQ(sampler.batchesPerEpoch(), 3);
  EXPECT_TRUE(sampler.resetsStateEveryBatch());
  sampler.startEpoch();
  Minibatch batch;
  std::vector<int32_t> starts;
  while (sampler.next(batch)) {
    ASSERT_EQ(batch.inputs.size(), 6u);
    for (int64_t b = 0; b < 2; ++b) {
      int32_t start = batch.inputs[static_cast<size_t>(b)];
      EXPECT_EQ(start % 3, 0) << "examples start at multiples of T";
      starts.push_back(start);
      for (int64_t t = 0; t < 3; ++t) {
        size_t slot = static_cast<size_t>(t * 2 + b);
        EXPECT_EQ(batch.inputs[slot], start + t);
        EXPECT_EQ(batch.labels[slot], start + t + 1);
      }
    }
  }
  std::sort(starts.begin(), starts.end());
  EXPECT_EQ(starts, (std::vector<int32_t>{0, 3, 6, 9, 12, 15}));
}

TEST(Sampler, RandomOrderDependsOnSeedAndEpoch) {
  Sampler a = makeSampler(SamplingMode::Random, 1);
  Sampler b = makeSampler(SamplingMode::Random, 1);
  std::vector<int32_t> first = epochOffsets(a);
  EXPECT_EQ(first, epochOffsets(b)) << "same seed, same batches";
  // 720 orders of 6 examples: across a few epochs and seeds some must differ.
  bool epochsDiffer = false, seedsDiffer = false;
  for (int i = 0; i < 5; ++i)
    epochsDiffer |= epochOffsets(a) != first;
  for (uint64_t seed = 2; seed < 7; ++seed) {
    Sampler other = makeSampler(SamplingMode::Random, seed);
    seedsDiffer |= epochOffsets(other) != first;
  }
  EXPECT_TRUE(epochsDiffer);
  EXPECT_TRUE(seedsDiffer);
}

TEST(Sampler, PartialLastBatchIsDropped) {
  // 22 tokens: (22-1)/3 = 7 examples -> 3 batches of 2, one example unused.
  rnnc::Expected<Sampler> sampler = Sampler::create(positions(22), SamplingMode::Random, 2, 3, 0);
  ASSERT_TRUE(sampler) << failureOf(sampler);
  EXPECT_EQ(sampler->batchesPerEpoch(), 3);
  // Consecutive: 22/2 = 11 per stream, (11-1)/3 = 3 batches.
  sampler = Sampler::create(positions(22), SamplingMode::Consecutive, 2, 3, 0);
  ASSERT_TRUE(sampler) << failureOf(sampler);
  EXPECT_EQ(sampler->batchesPerEpoch(), 3);
}

TEST(Sampler, NextStartsFirstEpochItself) {
  Sampler sampler = makeSampler(SamplingMode::Consecutive);
  Minibatch batch;
  ASSERT_TRUE(sampler.next(batch));
  EXPECT_EQ(batch.inputs.front(), 0);
}

TEST(Sampler, ShortCorpusIsAnError) {
  EXPECT_EQ(failureOf(Sampler::create(positions(3), SamplingMode::Random, 1, 3, 0)),
            "corpus has 3 characters; it needs at least seq_len + 1 = 4");
  EXPECT_EQ(failureOf(Sampler::create(positions(4), SamplingMode::Random, 1, 3, 0)), "");
  // Enough for one example, not for a batch of two.
  std::string error = failureOf(Sampler::create(positions(4), SamplingMode::Random, 2, 3, 0));
  EXPECT_NE(error.find("needs at least batch = 2 examples (7 characters)"),
            std::string::npos)
      << error;
  error = failureOf(Sampler::create(positions(7), SamplingMode::Consecutive, 2, 3, 0));
  EXPECT_NE(error.find("needs at least 8"), std::string::npos) << error;
  EXPECT_EQ(failureOf(Sampler::create(positions(8), SamplingMode::Consecutive, 2, 3, 0)), "");
}

TEST(Sampler, BadSizesAreErrors) {
  EXPECT_EQ(failureOf(Sampler::create(positions(20), SamplingMode::Random, 0, 3, 0)),
            "batch size must be positive, got 0");
  EXPECT_EQ(failureOf(Sampler::create(positions(20), SamplingMode::Random, 2, -1, 0)),
            "sequence length must be positive, got -1");
}

TEST(Sampler, ParsesModeWords) {
  EXPECT_EQ(parseSamplingMode("random"), SamplingMode::Random);
  EXPECT_EQ(parseSamplingMode("consecutive"), SamplingMode::Consecutive);
  EXPECT_FALSE(parseSamplingMode("sequential"));
}

TEST(Sampler, RestorePositionContinuesExactly) {
  // A sampler put back at (epochs begun, batches drawn) draws what the
  // original drew next: the shuffles are replayed from the seed (resume).
  for (SamplingMode mode : {SamplingMode::Random, SamplingMode::Consecutive}) {
    Sampler original = makeSampler(mode, 11);
    Minibatch batch;
    for (int e = 0; e < 3; ++e)
      epochOffsets(original);
    original.startEpoch();
    ASSERT_TRUE(original.next(batch));
    EXPECT_EQ(original.epochsStarted(), 4);
    EXPECT_EQ(original.nextBatchIndex(), 1);

    Sampler resumed = makeSampler(mode, 11);
    ASSERT_TRUE(resumed.restorePosition(4, 1));
    Minibatch a, b;
    for (int i = 0; i < 2; ++i) {
      ASSERT_EQ(original.next(a), resumed.next(b));
      EXPECT_EQ(a.inputs, b.inputs);
      EXPECT_EQ(a.labels, b.labels);
    }
    EXPECT_EQ(epochOffsets(original), epochOffsets(resumed)) << "the next epoch too";
    EXPECT_FALSE(resumed.restorePosition(1, resumed.batchesPerEpoch() + 1));
    EXPECT_FALSE(resumed.restorePosition(0, 1));
  }
}
