//===- ParamInitOrthogonalTest.cpp - orthogonal and identity initialisers -===//
///
/// \file
/// `orthogonal(gain)` gives a matrix whose smaller Gram matrix is gain^2 I
/// (QᵀQ for a square or tall [rows, cols], QQᵀ for a wide one, whose rows
/// are the orthonormal ones, as torch.nn.init.orthogonal_), trailing axes
/// flattened into the columns; the same seed gives the same bits.
/// `identity(scale)` is scale times I on a square matrix. Misuse is an error.
///
//===----------------------------------------------------------------------===//
#include "runtime/train/ParamInit.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

using namespace rnnc::runtime;

namespace {

/// The message of a failure, "" on success.
std::string failureOf(const rnnc::Expected<void> &result) {
  return result ? std::string() : result.error().message();
}

/// The largest |G - gain^2 I| over the smaller Gram matrix of `w` viewed as
/// [rows, cols] (row-major).
double gramError(const std::vector<float> &w, int64_t rows, int64_t cols,
                 double gain) {
  bool tall = rows >= cols;
  int64_t n = tall ? cols : rows, k = tall ? rows : cols;
  auto at = [&](int64_t i, int64_t j) -> double {
    // Element j of vector i: columns when tall, rows when wide.
    return tall ? w[j * cols + i] : w[i * cols + j];
  };
  double worst = 0;
  for (int64_t a = 0; a < n; ++a)
    for (int64_t b = 0; b < n; ++b) {
      double dot = 0;
      for (int64_t j = 0; j < k; ++j)
        dot += at(a, j) * at(b, j);
      worst = std::max(worst, std::fabs(dot - (a == b ? gain * gain : 0.0)));
    }
  return worst;
}

struct OrthoCase {
  std::vector<int64_t> shape;
  double gain;
};

class Orthogonal : public ::testing::TestWithParam<OrthoCase> {};

TEST_P(Orthogonal, SmallerGramIsGainSquaredIdentity) {
  const OrthoCase &c = GetParam();
  int64_t rows = c.shape[0], cols = 1;
  for (size_t i = 1; i < c.shape.size(); ++i)
    cols *= c.shape[i];
  std::vector<float> w(static_cast<size_t>(rows * cols));
  Rng rng(5);
  rnnc::Expected<void> filled = initializeParam(w, c.shape, {"orthogonal", c.gain, 0}, rng);
  ASSERT_TRUE(filled) << failureOf(filled);
  // float32 storage rounds each entry by ~6e-8 relative.
  EXPECT_LT(gramError(w, rows, cols, c.gain), 1e-5 * c.gain * c.gain);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, Orthogonal,
    ::testing::Values(OrthoCase{{16, 16}, 1.0}, OrthoCase{{64, 64}, 1.0},
                      OrthoCase{{40, 12}, 1.0},   // tall: orthonormal columns
                      OrthoCase{{12, 40}, 1.0},   // wide: orthonormal rows
                      OrthoCase{{32, 32}, 2.5},   // gain
                      OrthoCase{{7, 30}, 0.5},    // wide with gain
                      OrthoCase{{3, 4, 5}, 1.0},  // trailing axes flattened: [3, 20]
                      OrthoCase{{1, 1}, 1.0}),
    [](const ::testing::TestParamInfo<OrthoCase> &info) {
      std::string name;
      for (int64_t d : info.param.shape)
        name += (name.empty() ? "" : "x") + std::to_string(d);
      return name + "_gain" + std::to_string(static_cast<int>(info.param.gain * 10));
    });

TEST(OrthogonalInit, SameSeedSameBitsOtherSeedOtherValues) {
  std::vector<float> a(48 * 20), b(a.size()), c(a.size());
  Rng r1(42), r2(42), r3(43);
  ASSERT_TRUE(initializeParam(a, {48, 20}, {"orthogonal", 1, 0}, r1));
  ASSERT_TRUE(initializeParam(b, {48, 20}, {"orthogonal", 1, 0}, r2));
  ASSERT_TRUE(initializeParam(c, {48, 20}, {"orthogonal", 1, 0}, r3));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(OrthogonalInit, IsUniqueQWithPositiveDiagonalOfR) {
  // Q's columns are made unique by sign(diag(R)) > 0, so for a tall matrix
  // QᵀA = R has a positive diagonal. Recompute A from the same seed.
  const int64_t rows = 9, cols = 4;
  std::vector<float> q(rows * cols);
  Rng rng(7), again(7);
  ASSERT_TRUE(initializeParam(q, {rows, cols}, {"orthogonal", 1, 0}, rng));
  std::vector<double> a(rows * cols);
  for (double &v : a)
    v = again.normal(0, 1);
  for (int64_t j = 0; j < cols; ++j) {
    double diag = 0;
    for (int64_t i = 0; i < rows; ++i)
      diag += q[i * cols + j] * a[i * cols + j];
    EXPECT_GT(diag, 0) << "column " << j;
  }
}

TEST(OrthogonalInit, DrawsFromTheSharedRngInOrder) {
  // A parameter after an orthogonal one sees the generator moved on by
  // exactly rows * cols normals, as after normal(0, 1) of the same shape.
  std::vector<float> w(6 * 4), next1(5), next2(5);
  Rng r1(3), r2(3);
  ASSERT_TRUE(initializeParam(w, {6, 4}, {"orthogonal", 1, 0}, r1));
  ASSERT_TRUE(initializeParam(w, {6, 4}, {"normal", 0, 1}, r2));
  ASSERT_TRUE(initializeParam(next1, {5}, {"uniform", 0, 1}, r1));
  ASSERT_TRUE(initializeParam(next2, {5}, {"uniform", 0, 1}, r2));
  EXPECT_EQ(next1, next2);
}

TEST(IdentityInit, ScaleOnTheDiagonalZeroElsewhere) {
  std::vector<float> w(9, 7.0f);
  Rng rng(0);
  ASSERT_TRUE(initializeParam(w, {3, 3}, {"identity", 0.5, 0}, rng));
  EXPECT_EQ(w, (std::vector<float>{0.5f, 0, 0, 0, 0.5f, 0, 0, 0, 0.5f}));
  // No randomness used: the generator is where it was.
  Rng fresh(0);
  EXPECT_EQ(rng.nextU64(), fresh.nextU64());
}

TEST(InitMisuse, IsAnErrorWithAReason) {
  std::vector<float> w(12);
  Rng rng(0);
  EXPECT_EQ(failureOf(initializeParam(w, {12}, {"orthogonal", 1, 0}, rng)),
            "orthogonal initialiser needs at least 2 dimensions, got [12]");
  EXPECT_EQ(failureOf(initializeParam(w, {3, 4}, {"orthogonal", 0, 0}, rng)),
            "orthogonal initialiser needs gain > 0, got 0");
  EXPECT_EQ(failureOf(initializeParam(w, {3, 4}, {"identity", 1, 0}, rng)),
            "identity initialiser needs a square 2-D shape, got [3, 4]");
  EXPECT_EQ(failureOf(initializeParam(w, {12}, {"identity", 1, 0}, rng)),
            "identity initialiser needs a square 2-D shape, got [12]");
  std::vector<float> square(4);
  EXPECT_EQ(failureOf(initializeParam(square, {2, 2}, {"identity", -1, 0}, rng)),
            "identity initialiser needs scale > 0, got -1");
}

} // namespace
