//===- KernelsThreadingTest.cpp - Threaded kernels give single-thread bits ===//
///
/// \file
/// The softmax cross-entropy kernels split their rows across the kernel
/// threads; rows are independent and the loss sums per-row terms in row
/// order, so the results must be bit-identical for any thread count (the
/// d2l loss curve does not depend on --threads through these kernels). Also
/// checks the loss against a direct double-precision computation, so a
/// chunking bug that skips or repeats rows cannot pass.
///
//===----------------------------------------------------------------------===//
#include "runtime/kernels/Kernels.h"
#include "runtime/kernels/KernelsParallel.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

using namespace rnnc;

namespace {

struct SoftmaxResults {
  float loss = 0;
  std::vector<float> grad;
};

/// d2l sizes (T*B = 1120 rows, V = 1027): large enough to be split.
constexpr int64_t kRows = 1120, kClasses = 1027;

std::vector<float> makeLogits() {
  std::vector<float> logits(static_cast<size_t>(kRows * kClasses));
  for (size_t i = 0; i < logits.size(); ++i)
    logits[i] = static_cast<float>((i * 7919) % 1009) / 101.0f - 5.0f;
  return logits;
}

std::vector<int32_t> makeLabels() {
  std::vector<int32_t> labels(static_cast<size_t>(kRows));
  for (size_t i = 0; i < labels.size(); ++i)
    labels[i] = static_cast<int32_t>((i * 31) % kClasses);
  labels[5] = -1; // out of range: skipped by both kernels
  return labels;
}

/// The gradient goes to `gradBuffer` (then copied out), the same address in
/// every run, as the generated code's arena gives.
SoftmaxResults runWithThreads(int threads, const std::vector<float> &logits,
                              const std::vector<int32_t> &labels,
                              std::vector<float> &gradBuffer, bool fused = false) {
  int before = runtime::kernelThreads();
  runtime::setKernelThreads(threads);
  SoftmaxResults r;
  gradBuffer.assign(logits.size(), -7.0f);
  float dloss = 1.5f;
  if (fused) {
    rnnc_cross_entropy_with_grad(logits.data(), labels.data(), &dloss, &r.loss,
                                 gradBuffer.data(), kRows, kClasses);
  } else {
    rnnc_cross_entropy(logits.data(), labels.data(), &r.loss, kRows, kClasses);
    rnnc_cross_entropy_grad(logits.data(), labels.data(), &dloss, gradBuffer.data(),
                            kRows, kClasses);
  }
  r.grad = gradBuffer;
  runtime::setKernelThreads(before);
  return r;
}

} // namespace

TEST(KernelsThreading, CrossEntropyIsBitIdenticalAcrossThreadCounts) {
  auto logits = makeLogits();
  auto labels = makeLabels();
  std::vector<float> gradBuffer;
  for (bool fused : {false, true}) {
    SoftmaxResults single = runWithThreads(1, logits, labels, gradBuffer, fused);
    for (int threads : {2, 3}) {
      SoftmaxResults threaded = runWithThreads(threads, logits, labels, gradBuffer, fused);
      EXPECT_EQ(threaded.loss, single.loss) << threads << " threads, fused " << fused;
      ASSERT_EQ(threaded.grad, single.grad) << threads << " threads, fused " << fused;
    }
  }
}

// The one-pass loss-and-gradient kernel the code generator uses for a
// train step gives what the two separate kernels give.
TEST(KernelsThreading, FusedCrossEntropyMatchesSeparateKernels) {
  auto logits = makeLogits();
  auto labels = makeLabels();
  std::vector<float> gradBuffer;
  SoftmaxResults separate = runWithThreads(2, logits, labels, gradBuffer, false);
  SoftmaxResults fused = runWithThreads(2, logits, labels, gradBuffer, true);
  EXPECT_NEAR(fused.loss, separate.loss, 1e-6 * std::abs(separate.loss));
  ASSERT_EQ(fused.grad, separate.grad);
}

TEST(KernelsThreading, CrossEntropyMatchesDirectComputation) {
  auto logits = makeLogits();
  auto labels = makeLabels();
  std::vector<float> gradBuffer;
  SoftmaxResults threaded = runWithThreads(2, logits, labels, gradBuffer);
  double total = 0;
  for (int64_t i = 0; i < kRows; ++i) {
    const float *row = logits.data() + i * kClasses;
    double sum = 0;
    for (int64_t j = 0; j < kClasses; ++j)
      sum += std::exp(static_cast<double>(row[j]));
    double lse = std::log(sum);
    if (labels[static_cast<size_t>(i)] >= 0)
      total += lse - row[labels[static_cast<size_t>(i)]];
    // Every row of the gradient is written: softmax * scale, minus scale at the label.
    double scale = 1.5 / static_cast<double>(kRows);
    for (int64_t j = 0; j < kClasses; j += 97) {
      double want = scale * std::exp(row[j] - lse);
      if (j == labels[static_cast<size_t>(i)])
        want -= scale;
      ASSERT_NEAR(threaded.grad[static_cast<size_t>(i * kClasses + j)], want, 1e-7)
          << "row " << i << " column " << j;
    }
  }
  EXPECT_NEAR(threaded.loss, total / static_cast<double>(kRows), 1e-4);
}
