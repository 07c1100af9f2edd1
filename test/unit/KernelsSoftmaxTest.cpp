//===- KernelsSoftmaxTest.cpp - The loss kernels' own exp -----------------===//
///
/// \file
/// The softmax cross-entropy kernels compute exp(x - max) with their own
/// vector polynomial (runtime/kernels/SimdKernelsImpl.h; libm's expf on the
/// scalar path). On every instruction set the CPU has (the others are
/// skipped, saying so) it must stay accurate over the whole range of
/// exponents a row can have, from 0 down past where float underflows
/// (relative error of each softmax entry within 2e-6 of the double-precision
/// value, absolute within 1e-37 below that), and a NaN logit must still make
/// the loss NaN: the trainer stops on a non-finite loss. AVX2 and AVX-512
/// sum the same terms in the same order: the same bits.
///
//===----------------------------------------------------------------------===//
#include "runtime/kernels/Kernels.h"
#include "KernelTestSupport.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace {

using rnnc::kernel_test::ScopedKernelIsa;
using rnnc::runtime::KernelIsa;

class KernelsSoftmax : public ::testing::TestWithParam<KernelIsa> {};

TEST_P(KernelsSoftmax, AccurateFromZeroToUnderflow) {
  ScopedKernelIsa scope(GetParam());
  RNNC_SKIP_UNLESS_SUPPORTED(scope);
  // One row whose exponents run from 0 down to -130 (odd length: a vector
  // body and a scalar tail), label 0.
  constexpr int64_t classes = 523;
  std::vector<float> logits(classes);
  for (int64_t j = 0; j < classes; ++j)
    logits[static_cast<size_t>(j)] = 3.0f - 130.0f * static_cast<float>(j) / (classes - 1);
  int32_t label = 0;
  float dloss = 1, loss = 0;
  std::vector<float> grad(classes);
  rnnc_cross_entropy_with_grad(logits.data(), &label, &dloss, &loss, grad.data(), 1, classes);
  double sum = 0;
  for (float x : logits)
    sum += std::exp(static_cast<double>(x) - 3.0);
  for (int64_t j = 1; j < classes; ++j) {
    double want = std::exp(static_cast<double>(logits[static_cast<size_t>(j)]) - 3.0) / sum;
    double got = grad[static_cast<size_t>(j)];
    if (want > 1e-37)
      ASSERT_NEAR(got, want, 2e-6 * want) << "column " << j;
    else
      ASSERT_NEAR(got, want, 1e-37) << "column " << j;
  }
  EXPECT_NEAR(loss, std::log(sum), 1e-6);
}

TEST_P(KernelsSoftmax, NanLogitGivesNanLoss) {
  ScopedKernelIsa scope(GetParam());
  RNNC_SKIP_UNLESS_SUPPORTED(scope);
  // 45 = 16 + 16 + 8 + 5: NaN in a 16-lane block, an 8-lane block, the tail.
  constexpr int64_t classes = 45;
  std::vector<float> logits(classes, 0.5f);
  for (int64_t at : {3, 20, 35, 44}) {
    std::vector<float> bad = logits;
    bad[static_cast<size_t>(at)] = std::numeric_limits<float>::quiet_NaN();
    int32_t label = 1;
    float dloss = 1, loss = 0, lossOnly = 0;
    std::vector<float> grad(classes);
    rnnc_cross_entropy_with_grad(bad.data(), &label, &dloss, &loss, grad.data(), 1, classes);
    rnnc_cross_entropy(bad.data(), &label, &lossOnly, 1, classes);
    EXPECT_TRUE(std::isnan(loss)) << "NaN at column " << at;
    EXPECT_TRUE(std::isnan(lossOnly)) << "NaN at column " << at;
  }
}

INSTANTIATE_TEST_SUITE_P(Isas, KernelsSoftmax,
                         ::testing::ValuesIn(rnnc::runtime::kAllKernelIsas),
                         rnnc::kernel_test::isaTestName);

/// Loss and gradient of made-up rows with `isa` (empty when it cannot run).
std::vector<float> lossAndGrad(KernelIsa isa, int64_t rows, int64_t classes) {
  ScopedKernelIsa scope(isa);
  if (!scope.supported())
    return {};
  std::vector<float> logits = rnnc::kernel_test::values(rows * classes, 5);
  std::vector<int32_t> labels(static_cast<size_t>(rows));
  for (int64_t i = 0; i < rows; ++i)
    labels[static_cast<size_t>(i)] = static_cast<int32_t>((i * 37) % classes);
  float dloss = 1;
  std::vector<float> out(static_cast<size_t>(rows * classes + 1));
  rnnc_cross_entropy_with_grad(logits.data(), labels.data(), &dloss, &out[0],
                               &out[1], rows, classes);
  return out;
}

TEST(KernelsSoftmaxIsa, Avx2AndAvx512GiveTheSameBitsScalarIsClose) {
  for (int64_t classes : {1027, 45, 7}) {
    std::vector<float> scalar = lossAndGrad(KernelIsa::Scalar, 9, classes);
    std::vector<float> avx2 = lossAndGrad(KernelIsa::Avx2, 9, classes);
    std::vector<float> avx512 = lossAndGrad(KernelIsa::Avx512, 9, classes);
    if (avx2.empty() || avx512.empty())
      GTEST_SKIP() << "this CPU lacks avx2 or avx512";
    EXPECT_EQ(avx2, avx512) << classes << " classes";
    // The scalar path uses libm's exp (the polynomial is within 2 ulp of
    // it) and sums a row in one running sum, not in 8 lanes: a row of 1027
    // terms in another order differs by about sqrt(1027) ulp, so relative
    // 1e-5 for every entry.
    for (size_t i = 0; i < scalar.size(); ++i)
      ASSERT_NEAR(scalar[i], avx2[i], 1e-5f * std::abs(avx2[i]) + 1e-12f)
          << classes << " classes, entry " << i;
  }
}

} // namespace
