//===- OptimizerTest.cpp - Clipping, SGD, Adam, init and the RNG ----------===//
///
/// \file
/// Hand-computed expectations: clipping the vector (3, 4, 12) of norm 13,
/// one SGD step, two Adam steps (values worked out on paper / in a desk
/// calculator from the Kingma & Ba formulas), initialiser statistics and the
/// seeded generator's determinism.
///
//===----------------------------------------------------------------------===//
#include "runtime/train/Optimizer.h"
#include "runtime/train/ParamInit.h"
#include "runtime/train/Rng.h"

#include <cmath>
#include <gtest/gtest.h>
#include <limits>

using namespace rnnc::runtime;
using rnnc::Expected;

namespace {

/// The message of a failure, "" on success.
template <typename T> std::string failureOf(const Expected<T> &result) {
  return result ? std::string() : result.error().message();
}

} // namespace

TEST(Clipping, ScalesByThetaOverNormWhenAbove) {
  std::vector<float> a = {3, 4}, b = {12};
  EXPECT_DOUBLE_EQ(globalL2Norm({a, b}), 13.0);
  double norm = clipByGlobalNorm({a, b}, 6.5);
  EXPECT_DOUBLE_EQ(norm, 13.0);
  EXPECT_FLOAT_EQ(a[0], 1.5f);
  EXPECT_FLOAT_EQ(a[1], 2.0f);
  EXPECT_FLOAT_EQ(b[0], 6.0f);
  EXPECT_NEAR(globalL2Norm({a, b}), 6.5, 1e-6);
}

TEST(Clipping, LeavesSmallGradientsAlone) {
  std::vector<float> a = {3, 4};
  EXPECT_DOUBLE_EQ(clipByGlobalNorm({a}, 5.0), 5.0); // not strictly above
  EXPECT_EQ(a, (std::vector<float>{3, 4}));
  EXPECT_DOUBLE_EQ(clipByGlobalNorm({a}, 0), 5.0); // theta 0: disabled
  EXPECT_EQ(a, (std::vector<float>{3, 4}));
}

TEST(Sgd, SubtractsLearningRateTimesGradient) {
  std::vector<float> p = {1, 2}, q = {-1};
  std::vector<float> gp = {0.5f, -0.25f}, gq = {2};
  SgdOptimizer sgd(0.1);
  ASSERT_EQ(failureOf(sgd.step({p, q}, {gp, gq})), "");
  EXPECT_FLOAT_EQ(p[0], 0.95f);
  EXPECT_FLOAT_EQ(p[1], 2.025f);
  EXPECT_FLOAT_EQ(q[0], -1.2f);
  EXPECT_EQ(sgd.stepCount(), 1);
}

TEST(Sgd, MismatchedListsAreErrors) {
  std::vector<float> p = {1, 2}, g = {1};
  SgdOptimizer sgd(0.1);
  EXPECT_EQ(failureOf(sgd.step({p}, {g})), "parameter 0 has 2 elements but its gradient 1");
  EXPECT_EQ(failureOf(sgd.step({p}, {})), "optimizer got 1 parameters but 0 gradients");
  EXPECT_EQ(p, (std::vector<float>{1, 2}));
}

TEST(Adam, TwoStepsByHand) {
  // lr 0.1, betas 0.9/0.999, eps 1e-8, p = 1.
  // Step 1, g = 0.5: m = 0.05, v = 0.00025, m^ = 0.5, v^ = 0.25,
  //   p = 1 - 0.1 * 0.5 / (0.5 + 1e-8) = 0.900000002.
  // Step 2, g = -1: m = -0.055, v = 0.00124975, m^ = -0.055/0.19,
  //   v^ = 0.00124975/0.001999, p = 0.93661035424.
  std::vector<float> p = {1.0f};
  AdamOptimizer adam(0.1, 0.9, 0.999, 1e-8);
  std::vector<float> g = {0.5f};
  ASSERT_TRUE(adam.step({p}, {g}));
  EXPECT_NEAR(p[0], 0.900000002, 1e-6);
  EXPECT_NEAR(adam.firstMoment(0)[0], 0.05, 1e-12);
  EXPECT_NEAR(adam.secondMoment(0)[0], 0.00025, 1e-12);
  g[0] = -1.0f;
  ASSERT_TRUE(adam.step({p}, {g}));
  EXPECT_NEAR(adam.firstMoment(0)[0], -0.055, 1e-12);
  EXPECT_NEAR(adam.secondMoment(0)[0], 0.00124975, 1e-12);
  EXPECT_NEAR(p[0], 0.9366103542, 1e-6);
  EXPECT_EQ(adam.stepCount(), 2);
}

TEST(Adam, KeepsStatePerParameter) {
  std::vector<float> a = {0}, b = {0};
  std::vector<float> ga = {1}, gb = {-1};
  AdamOptimizer adam(0.01, 0.9, 0.999, 0);
  ASSERT_TRUE(adam.step({a, b}, {ga, gb}));
  // The first bias-corrected step moves each parameter by exactly lr.
  EXPECT_FLOAT_EQ(a[0], -0.01f);
  EXPECT_FLOAT_EQ(b[0], 0.01f);
  std::vector<float> c = {0, 0};
  EXPECT_EQ(failureOf(adam.step({a, c}, {ga, c})),
            "adam: the parameter list changed between steps");
}

TEST(Optimizer, FactoryValidatesConfig) {
  OptimizerConfig config;
  config.kind = "adam";
  config.lr = 0.001;
  Expected<std::unique_ptr<Optimizer>> adam = makeOptimizer(config);
  ASSERT_TRUE(adam) << failureOf(adam);
  EXPECT_NE(dynamic_cast<AdamOptimizer *>(adam->get()), nullptr);
  config.kind = "sgd";
  config.lr = 100;
  Expected<std::unique_ptr<Optimizer>> sgd = makeOptimizer(config);
  ASSERT_TRUE(sgd);
  EXPECT_DOUBLE_EQ((*sgd)->learningRate(), 100);
  config.lr = 0;
  EXPECT_EQ(failureOf(makeOptimizer(config)), "learning rate must be positive, got 0");
  config.lr = 1;
  config.kind = "rmsprop";
  EXPECT_EQ(failureOf(makeOptimizer(config)),
            "unknown optimizer 'rmsprop' (expected sgd or adam)");
  config.kind = "adam";
  config.beta1 = 1;
  EXPECT_FALSE(makeOptimizer(config));
}

TEST(Rng, SameSeedSameNumbers) {
  Rng a(42), b(42), c(43);
  for (int i = 0; i < 10; ++i) {
    double x = a.uniform01();
    EXPECT_EQ(x, b.uniform01());
    EXPECT_GE(x, 0.0);
    EXPECT_LT(x, 1.0);
  }
  EXPECT_NE(Rng(42).nextU64(), c.nextU64());
  // mt19937_64's 10000th output is fixed by the C++ standard.
  Rng standard(5489);
  uint64_t value = 0;
  for (int i = 0; i < 10000; ++i)
    value = standard.nextU64();
  EXPECT_EQ(value, 9981545732273789042ull);
}

TEST(Rng, BelowIsInRangeAndCoversIt) {
  Rng rng(1);
  std::vector<int> seen(5, 0);
  for (int i = 0; i < 1000; ++i) {
    uint64_t v = rng.below(5);
    ASSERT_LT(v, 5u);
    ++seen[v];
  }
  for (int count : seen)
    EXPECT_GT(count, 150);
}

TEST(ParamInit, NormalHasRequestedMeanAndStd) {
  std::vector<float> values(20000);
  Rng rng(3);
  rnnc::ir::ParamInit init{"normal", 0.5, 0.01};
  ASSERT_EQ(failureOf(initializeParam(values, {100, 200}, init, rng)), "");
  double sum = 0, sumSq = 0;
  for (float v : values) {
    sum += v;
    sumSq += double(v) * v;
  }
  double mean = sum / values.size();
  double stddev = std::sqrt(sumSq / values.size() - mean * mean);
  EXPECT_NEAR(mean, 0.5, 0.0005);
  EXPECT_NEAR(stddev, 0.01, 0.0005);
}

TEST(ParamInit, UniformXavierZerosOnes) {
  Rng rng(9);
  std::vector<float> values(15);
  ASSERT_TRUE(initializeParam(values, {3, 5}, {"uniform", -2, -1}, rng));
  for (float v : values) {
    EXPECT_GE(v, -2.0f);
    EXPECT_LT(v, -1.0f);
  }
  EXPECT_NEAR(xavierUniformBound({3, 5}), std::sqrt(6.0 / 8.0), 1e-12);
  EXPECT_NEAR(xavierUniformBound({4}), std::sqrt(6.0 / 8.0), 1e-12);
  ASSERT_TRUE(initializeParam(values, {3, 5}, {"xavier", 0, 0}, rng));
  float largest = 0;
  for (float v : values)
    largest = std::max(largest, std::fabs(v));
  EXPECT_LE(largest, 0.8660255f);
  EXPECT_GT(largest, 0.0f);
  ASSERT_TRUE(initializeParam(values, {3, 5}, {"ones", 0, 0}, rng));
  EXPECT_EQ(values, std::vector<float>(15, 1.0f));
  ASSERT_TRUE(initializeParam(values, {3, 5}, {"zeros", 0, 0}, rng));
  EXPECT_EQ(values, std::vector<float>(15, 0.0f));
}

TEST(ParamInit, SeedFixesValuesAndErrorsAreReported) {
  std::vector<float> a(6), b(6);
  Rng r1(11), r2(11);
  ASSERT_TRUE(initializeParam(a, {2, 3}, {"normal", 0, 1}, r1));
  ASSERT_TRUE(initializeParam(b, {2, 3}, {"normal", 0, 1}, r2));
  EXPECT_EQ(a, b);
  EXPECT_EQ(failureOf(initializeParam(a, {2, 3}, {"he", 0, 1}, r1)),
            "unknown initialiser 'he'");
  EXPECT_EQ(failureOf(initializeParam(a, {4, 3}, {"zeros", 0, 0}, r1)),
            "parameter buffer has 6 elements; its shape needs 12");
  EXPECT_FALSE(initializeParam(a, {2, 3}, {"uniform", 1, 0}, r1));
}

TEST(Adam, RestoredStateContinuesLikeAnUninterruptedRun) {
  std::vector<float> g1 = {0.5f}, g2 = {-1.0f};
  std::vector<float> straight = {1.0f};
  AdamOptimizer uninterrupted(0.1, 0.9, 0.999, 1e-8);
  ASSERT_TRUE(uninterrupted.step({straight}, {g1}));
  ASSERT_TRUE(uninterrupted.step({straight}, {g2}));

  std::vector<float> resumed = {1.0f};
  AdamOptimizer first(0.1, 0.9, 0.999, 1e-8);
  ASSERT_TRUE(first.step({resumed}, {g1}));
  AdamOptimizer second(0.1, 0.9, 0.999, 1e-8);
  ASSERT_EQ(failureOf(second.restoreState(first.stepCount(), {first.firstMoment(0)},
                                          {first.secondMoment(0)})),
            "");
  ASSERT_TRUE(second.step({resumed}, {g2}));
  EXPECT_EQ(resumed, straight);
  EXPECT_FALSE(second.restoreState(1, {{0.0}}, {}));
}

TEST(Optimizer, ClipAndUpdateLeavesParametersAloneOnANonFiniteLossOrGradient) {
  std::vector<std::vector<float>> params = {{1.0f, 2.0f}, {3.0f}};
  const auto before = params;
  SgdOptimizer sgd(0.5);
  for (float bad : {std::numeric_limits<float>::quiet_NaN(),
                    std::numeric_limits<float>::infinity()}) {
    std::vector<std::vector<float>> grads = {{0.1f, bad}, {0.2f}};
    Expected<double> norm = clipAndUpdate(1.0f, params, grads, 0.01, sgd);
    ASSERT_TRUE(norm) << failureOf(norm);
    EXPECT_FALSE(std::isfinite(*norm));
    EXPECT_EQ(params, before);
    // Finite gradients, but the loss is not.
    std::vector<std::vector<float>> fine = {{0.1f, 0.3f}, {0.2f}};
    norm = clipAndUpdate(bad, params, fine, 0.01, sgd);
    ASSERT_TRUE(norm) << failureOf(norm);
    EXPECT_FALSE(std::isfinite(*norm));
    EXPECT_EQ(params, before);
  }
  std::vector<std::vector<float>> grads = {{3.0f, 0.0f}, {4.0f}};
  Expected<double> norm = clipAndUpdate(1.0f, params, grads, 1.0, sgd);
  ASSERT_TRUE(norm) << failureOf(norm);
  EXPECT_DOUBLE_EQ(*norm, 5.0);
  EXPECT_FLOAT_EQ(params[0][0], 1.0f - 0.5f * 3.0f / 5.0f); // clipped to norm 1
  EXPECT_FLOAT_EQ(params[1][0], 3.0f - 0.5f * 4.0f / 5.0f);
  // The scale is applied as the update reads the gradients.
  EXPECT_EQ(grads, (std::vector<std::vector<float>>{{3.0f, 0.0f}, {4.0f}}));
}

TEST(Optimizer, ScaledStepEqualsAStepOnScaledGradients) {
  std::vector<float> g = {0.5f, -2.0f, 3.0f}, scaled = g;
  for (float &x : scaled)
    x *= 0.25f;
  for (const char *kind : {"sgd", "adam"}) {
    Expected<std::unique_ptr<Optimizer>> a = makeOptimizer({kind, 0.1});
    Expected<std::unique_ptr<Optimizer>> b = makeOptimizer({kind, 0.1});
    ASSERT_TRUE(a && b);
    std::vector<float> pa = {1.0f, 2.0f, 3.0f}, pb = pa;
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE((*a)->step({pa}, {g}, 0.25f));
      ASSERT_TRUE((*b)->step({pb}, {scaled}));
    }
    EXPECT_EQ(pa, pb) << kind;
  }
}
