//===- KernelsSoftmaxTest.cpp - The loss kernels' own exp -----------------===//
///
/// \file
/// The softmax cross-entropy kernels compute exp(x - max) with their own
/// vector polynomial (runtime/kernels/Kernels.cpp). It must stay accurate over the
/// whole range of exponents a row can have, from 0 down past where float
/// underflows (relative error of each softmax entry within 2e-6 of the
/// double-precision value, absolute within 1e-37 below that), and a NaN
/// logit must still make the loss NaN: the trainer stops on a non-finite
/// loss.
///
//===----------------------------------------------------------------------===//
#include "runtime/kernels/Kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace {

TEST(KernelsSoftmax, AccurateFromZeroToUnderflow) {
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

TEST(KernelsSoftmax, NanLogitGivesNanLoss) {
  constexpr int64_t classes = 37;
  std::vector<float> logits(classes, 0.5f);
  for (int64_t at : {3, 20, 36}) { // in a vector block, and in the tail
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

} // namespace
