//===- KernelsMatmulTest.cpp - Products keep Eigen's bits, reuse buffers --===//
///
/// \file
/// The product kernels call Eigen's GEMM directly with packing blocks kept
/// per thread (runtime/Kernels.cpp) instead of through `noalias() = a * b`,
/// which allocates them per call. The arithmetic must not change: each
/// kernel's output must be bit-identical to the Eigen expression it
/// replaced, evaluated on the same column chunks the kernel threads take
/// (one chunk with 1 thread, two halves with 2), including tiny products
/// and single rows, which still go through Eigen's expression, and the
/// accumulating form of matmul_tn. The same for the product that starts from
/// bias rows and for the column sums of reduce_sum.
///
//===----------------------------------------------------------------------===//
#include "runtime/Kernels.h"
#include "runtime/KernelsParallel.h"

#include <Eigen/Core>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMap = Eigen::Map<const RowMatrix>;
using StridedMap = Eigen::Map<RowMatrix, 0, Eigen::OuterStride<>>;
using ConstStridedMap = Eigen::Map<const RowMatrix, 0, Eigen::OuterStride<>>;

std::vector<float> values(int64_t count, uint32_t seed) {
  std::vector<float> v(static_cast<size_t>(count));
  uint32_t s = seed * 2654435761u + 1;
  for (float &x : v) {
    s = s * 1664525u + 1013904223u;
    x = static_cast<float>(static_cast<int32_t>(s >> 8) % 20011) / 7919.0f;
  }
  return v;
}

/// The column chunks parallelChunks gives `threads` threads (the kernels'
/// products are large enough to split in every case below that splits).
std::vector<std::pair<int64_t, int64_t>> chunks(int64_t count, int threads, double flops) {
  int64_t parts = std::min<int64_t>(threads, count / 8);
  if (parts <= 1 || flops < (1 << 20))
    return {{0, count}};
  std::vector<std::pair<int64_t, int64_t>> out;
  for (int64_t p = 0; p < parts; ++p)
    out.push_back({count * p / parts, count * (p + 1) / parts});
  return out;
}

struct Shape {
  int64_t m, k, n;
};

class KernelsMatmul : public ::testing::TestWithParam<std::tuple<Shape, int>> {
protected:
  void SetUp() override {
    before_ = rnnc::runtime::kernelThreads();
    rnnc::runtime::setKernelThreads(std::get<1>(GetParam()));
  }
  void TearDown() override { rnnc::runtime::setKernelThreads(before_); }
  int before_ = 1;
};

TEST_P(KernelsMatmul, MatmulKeepsEigenBits) {
  auto [s, threads] = GetParam();
  auto a = values(s.m * s.k, 1), b = values(s.k * s.n, 2);
  std::vector<float> out(static_cast<size_t>(s.m * s.n), -1), want = out;
  rnnc_matmul(a.data(), b.data(), out.data(), s.m, s.k, s.n);
  for (auto [c0, c1] : chunks(s.n, threads, 2.0 * s.m * s.k * s.n))
    StridedMap(want.data() + c0, s.m, c1 - c0, Eigen::OuterStride<>(s.n)).noalias() =
        ConstMap(a.data(), s.m, s.k) *
        ConstStridedMap(b.data() + c0, s.k, c1 - c0, Eigen::OuterStride<>(s.n));
  ASSERT_EQ(out, want);
}

TEST_P(KernelsMatmul, MatmulNTKeepsEigenBits) {
  auto [s, threads] = GetParam();
  // out[m, n] = a[m, k] * b[n, k]^T
  auto a = values(s.m * s.k, 3), b = values(s.n * s.k, 4);
  std::vector<float> out(static_cast<size_t>(s.m * s.n), -1), want = out;
  rnnc_matmul_nt(a.data(), b.data(), out.data(), s.m, s.k, s.n);
  for (auto [r0, r1] : chunks(s.n, threads, 2.0 * s.m * s.k * s.n))
    StridedMap(want.data() + r0, s.m, r1 - r0, Eigen::OuterStride<>(s.n)).noalias() =
        ConstMap(a.data(), s.m, s.k) * ConstMap(b.data() + r0 * s.k, r1 - r0, s.k).transpose();
  ASSERT_EQ(out, want);
}

TEST_P(KernelsMatmul, MatmulTNKeepsEigenBitsAndAccumulates) {
  auto [s, threads] = GetParam();
  // out[k, n] (+)= a[m, k]^T * b[m, n]
  auto a = values(s.m * s.k, 5), b = values(s.m * s.n, 6);
  for (int64_t accumulate : {0, 1}) {
    std::vector<float> out = values(s.k * s.n, 7), want = out;
    rnnc_matmul_tn(a.data(), b.data(), out.data(), s.m, s.k, s.n, accumulate);
    for (auto [c0, c1] : chunks(s.n, threads, 2.0 * s.m * s.k * s.n)) {
      StridedMap block(want.data() + c0, s.k, c1 - c0, Eigen::OuterStride<>(s.n));
      ConstStridedMap rhs(b.data() + c0, s.m, c1 - c0, Eigen::OuterStride<>(s.n));
      if (accumulate)
        block.noalias() += ConstMap(a.data(), s.m, s.k).transpose() * rhs;
      else
        block.noalias() = ConstMap(a.data(), s.m, s.k).transpose() * rhs;
    }
    ASSERT_EQ(out, want) << "accumulate " << accumulate;
  }
}

// matmul_bias starts each output row from the bias and accumulates the
// product onto it: what `+=` gives on bias rows, per thread chunk.
TEST_P(KernelsMatmul, MatmulBiasAccumulatesOntoBiasRows) {
  auto [s, threads] = GetParam();
  auto a = values(s.m * s.k, 8), b = values(s.k * s.n, 9), bias = values(s.n, 10);
  std::vector<float> out(static_cast<size_t>(s.m * s.n), -1), want = out;
  rnnc_matmul_bias(a.data(), b.data(), bias.data(), out.data(), s.m, s.k, s.n);
  for (int64_t r = 0; r < s.m; ++r)
    std::copy(bias.begin(), bias.end(), want.begin() + r * s.n);
  for (auto [c0, c1] : chunks(s.n, threads, 2.0 * s.m * s.k * s.n))
    StridedMap(want.data() + c0, s.m, c1 - c0, Eigen::OuterStride<>(s.n)).noalias() +=
        ConstMap(a.data(), s.m, s.k) *
        ConstStridedMap(b.data() + c0, s.k, c1 - c0, Eigen::OuterStride<>(s.n));
  ASSERT_EQ(out, want);
  // And it is the product plus the bias, to rounding.
  std::vector<float> product(out.size());
  rnnc_matmul(a.data(), b.data(), product.data(), s.m, s.k, s.n);
  for (int64_t i = 0; i < s.m * s.n; i += 7)
    ASSERT_NEAR(out[static_cast<size_t>(i)],
                product[static_cast<size_t>(i)] + bias[static_cast<size_t>(i % s.n)],
                1e-4f * (1 + std::abs(product[static_cast<size_t>(i)])));
}

// Column sums (bias gradients) split their columns across the threads; each
// column is still summed in row order, so the bits do not change.
TEST_P(KernelsMatmul, ColumnSumsKeepTheirBits) {
  auto [s, threads] = GetParam();
  auto src = values(s.m * s.n, 11);
  std::vector<float> sums(static_cast<size_t>(s.n), -1);
  const int64_t shape[] = {s.m, s.n}, reduced[] = {1, 0};
  rnnc_reduce_sum(src.data(), sums.data(), shape, reduced, 2);
  std::vector<float> want(static_cast<size_t>(s.n), 0.0f);
  for (int64_t r = 0; r < s.m; ++r)
    for (int64_t c = 0; c < s.n; ++c)
      want[static_cast<size_t>(c)] += src[static_cast<size_t>(r * s.n + c)];
  ASSERT_EQ(sums, want);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, KernelsMatmul,
    ::testing::Combine(::testing::Values(Shape{1120, 256, 1027}, // d2l output projection
                                         Shape{32, 256, 256},    // per-step product
                                         Shape{256, 1120, 96},   // weight gradient
                                         Shape{3, 4, 5},         // coefficient loop
                                         Shape{1, 64, 300},      // a single row (GEMV)
                                         Shape{300, 64, 1}),     // a single column
                       ::testing::Values(1, 2)));

} // namespace
