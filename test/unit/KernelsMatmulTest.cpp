//===- KernelsMatmulTest.cpp - The product kernels against a reference ---===//
///
/// \file
/// The product kernels (runtime/kernels/Kernels.cpp) call OpenBLAS for products with
/// many rows and Eigen's GEMM, packing into buffers kept per thread, for the
/// rest; the kernel threads take column chunks. Each kernel, with 1 and 2
/// threads, must match a double-precision reference to within 1e-5 of the
/// sum of |a||b| over the product's depth (float rounding), including tiny
/// products, single rows and columns, the accumulating form of matmul_tn and
/// the product that starts from bias rows; and it must give the same bits
/// when called again (a fixed thread count gives bit-identical training).
/// Column sums keep their bits for any thread count. OpenBLAS's own worker
/// threads, which it starts when it loads, are stopped: besides the main
/// thread only the kernel threads (named rnnc-kernel) remain.
///
//===----------------------------------------------------------------------===//
#include "runtime/kernels/Kernels.h"
#include "runtime/kernels/KernelsParallel.h"
#include "KernelTestSupport.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

namespace {

using rnnc::kernel_test::Shape;
using rnnc::kernel_test::values;

/// Element (i, j) of a row-major matrix, or of its transpose.
float at(const std::vector<float> &x, int64_t cols, bool transposed, int64_t i, int64_t j) {
  return transposed ? x[static_cast<size_t>(j * cols + i)] : x[static_cast<size_t>(i * cols + j)];
}

/// Checks out[m,n] = start + op(a)[m,k] * op(b)[k,n] in double precision,
/// where a is stored [m,k] (or [k,m] when transA) and b [k,n] (or [n,k]);
/// on every column of about 64 rows, to keep the reference quick.
void expectProduct(const std::vector<float> &out, const std::vector<float> &start,
                   const std::vector<float> &a, bool transA,
                   const std::vector<float> &b, bool transB, Shape s) {
  int64_t rowStep = s.m > 64 ? s.m / 64 + 1 : 1;
  for (int64_t i = 0; i < s.m; i += rowStep)
    for (int64_t j = 0; j < s.n; ++j) {
      double sum = start.empty() ? 0.0 : start[static_cast<size_t>(i * s.n + j)];
      double magnitude = std::abs(sum);
      for (int64_t p = 0; p < s.k; ++p) {
        double term = static_cast<double>(at(a, transA ? s.m : s.k, transA, i, p)) *
                      at(b, transB ? s.k : s.n, transB, p, j);
        sum += term;
        magnitude += std::abs(term);
      }
      ASSERT_NEAR(out[static_cast<size_t>(i * s.n + j)], sum, 1e-5 * magnitude + 1e-6)
          << "at (" << i << ", " << j << ")";
    }
}

/// Runs `kernel` into a copy of `start` twice; both results must be bitwise
/// equal. Returns the first.
std::vector<float> runTwice(const std::vector<float> &start,
                            const std::function<void(float *)> &kernel) {
  std::vector<float> first = start, second = start;
  kernel(first.data());
  kernel(second.data());
  EXPECT_EQ(first, second) << "a second call gave other bits";
  return first;
}

class KernelsMatmul : public ::testing::TestWithParam<std::tuple<Shape, int>> {
protected:
  void SetUp() override {
    before_ = rnnc::runtime::kernelThreads();
    rnnc::runtime::setKernelThreads(std::get<1>(GetParam()));
  }
  void TearDown() override { rnnc::runtime::setKernelThreads(before_); }
  int before_ = 1;
};

TEST_P(KernelsMatmul, Matmul) {
  Shape s = std::get<0>(GetParam());
  auto a = values(s.m * s.k, 1), b = values(s.k * s.n, 2);
  std::vector<float> junk(static_cast<size_t>(s.m * s.n), -1);
  auto out = runTwice(junk, [&](float *o) { rnnc_matmul(a.data(), b.data(), o, s.m, s.k, s.n); });
  expectProduct(out, {}, a, false, b, false, s);
}

TEST_P(KernelsMatmul, MatmulNT) {
  Shape s = std::get<0>(GetParam());
  // out[m, n] = a[m, k] * b[n, k]^T
  auto a = values(s.m * s.k, 3), b = values(s.n * s.k, 4);
  std::vector<float> junk(static_cast<size_t>(s.m * s.n), -1);
  auto out = runTwice(junk, [&](float *o) { rnnc_matmul_nt(a.data(), b.data(), o, s.m, s.k, s.n); });
  expectProduct(out, {}, a, false, b, true, s);
}

TEST_P(KernelsMatmul, MatmulTNAssignsAndAccumulates) {
  Shape s = std::get<0>(GetParam());
  // out[k, n] (+)= a[m, k]^T * b[m, n]: a product of shape {k, m, n}.
  auto a = values(s.m * s.k, 5), b = values(s.m * s.n, 6);
  auto start = values(s.k * s.n, 7);
  for (int64_t accumulate : {0, 1}) {
    auto out = runTwice(start, [&](float *o) {
      rnnc_matmul_tn(a.data(), b.data(), o, s.m, s.k, s.n, accumulate);
    });
    expectProduct(out, accumulate ? start : std::vector<float>{}, a, true, b, false,
                  Shape{s.k, s.m, s.n});
  }
}

// matmul_bias starts each output row from the bias and accumulates the
// product onto it.
TEST_P(KernelsMatmul, MatmulBias) {
  Shape s = std::get<0>(GetParam());
  auto a = values(s.m * s.k, 8), b = values(s.k * s.n, 9), bias = values(s.n, 10);
  std::vector<float> junk(static_cast<size_t>(s.m * s.n), -1), biasRows;
  for (int64_t r = 0; r < s.m; ++r)
    biasRows.insert(biasRows.end(), bias.begin(), bias.end());
  auto out = runTwice(junk, [&](float *o) {
    rnnc_matmul_bias(a.data(), b.data(), bias.data(), o, s.m, s.k, s.n);
  });
  expectProduct(out, biasRows, a, false, b, false, s);
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

TEST(KernelsThreads, OnlyTheKernelThreadsRunBesideTheMainThread) {
  rnnc::runtime::setKernelThreads(2);
  auto a = values(256 * 256, 1);
  std::vector<float> out(256 * 256);
  rnnc_matmul(a.data(), a.data(), out.data(), 256, 256, 256); // OpenBLAS's path
  int others = 0;
  for (const auto &task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    std::getline(comm, name);
    others += name != "rnnc-kernel";
  }
  rnnc::runtime::setKernelThreads(1);
  EXPECT_EQ(others, 1) << "threads other than the kernel threads, main included";
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, KernelsMatmul,
    ::testing::Combine(::testing::Values(Shape{1120, 256, 1027}, // d2l output projection
                                         Shape{32, 256, 256},    // per-step product
                                         Shape{16, 16, 16},      // the smallest for OpenBLAS
                                         Shape{256, 1120, 96},   // weight gradient
                                         Shape{3, 4, 5},         // coefficient loop
                                         Shape{1, 64, 300},      // a single row (GEMV)
                                         Shape{300, 64, 1}),     // a single column
                       ::testing::Values(1, 2)));

} // namespace
