//===- KernelsRowProductTest.cpp - Products of a few rows -----------------===//
///
/// \file
/// Products of at most three rows (generation's single row) go to the row
/// kernel compiled per instruction set (runtime/kernels/SimdKernelsImpl.h).
/// Through rnnc_matmul and rnnc_matmul_bias, on every set the CPU has (the
/// others skipped, saying so): within 1e-5 of the sum of |a||b| of a
/// double-precision reference, for widths that use the 4-vector blocks, a
/// single vector and single columns (1027, 100, 17, 5, 1), with the bias
/// added; and AVX2 and AVX-512 give the same bits.
///
//===----------------------------------------------------------------------===//
#include "runtime/kernels/Kernels.h"
#include "KernelTestSupport.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace {

using rnnc::kernel_test::ScopedKernelIsa;
using rnnc::kernel_test::Shape;
using rnnc::kernel_test::values;
using rnnc::runtime::KernelIsa;

const Shape kShapes[] = {{1, 256, 1027}, {1, 1027, 100}, {3, 64, 17},
                         {2, 7, 5},      {1, 40, 1},     {1, 0, 9}};

/// a[m,k] * b[k,n] (+ bias) with the kernels of the current set.
std::vector<float> product(Shape s, bool bias) {
  auto a = values(s.m * s.k, 11), b = values(s.k * s.n, 12), c = values(s.n, 13);
  std::vector<float> out(static_cast<size_t>(s.m * s.n), -7.0f);
  if (bias)
    rnnc_matmul_bias(a.data(), b.data(), c.data(), out.data(), s.m, s.k, s.n);
  else
    rnnc_matmul(a.data(), b.data(), out.data(), s.m, s.k, s.n);
  return out;
}

class KernelsRowProduct : public ::testing::TestWithParam<KernelIsa> {};

TEST_P(KernelsRowProduct, MatchesReference) {
  ScopedKernelIsa scope(GetParam());
  RNNC_SKIP_UNLESS_SUPPORTED(scope);
  for (Shape s : kShapes)
    for (bool bias : {false, true}) {
      auto a = values(s.m * s.k, 11), b = values(s.k * s.n, 12), c = values(s.n, 13);
      std::vector<float> got = product(s, bias);
      for (int64_t i = 0; i < s.m; ++i)
        for (int64_t j = 0; j < s.n; ++j) {
          double sum = bias ? c[static_cast<size_t>(j)] : 0.0, magnitude = std::abs(sum);
          for (int64_t q = 0; q < s.k; ++q) {
            double term = static_cast<double>(a[static_cast<size_t>(i * s.k + q)]) *
                          b[static_cast<size_t>(q * s.n + j)];
            sum += term;
            magnitude += std::abs(term);
          }
          ASSERT_NEAR(got[static_cast<size_t>(i * s.n + j)], sum, 1e-5 * magnitude + 1e-6)
              << s.m << "x" << s.k << "x" << s.n << (bias ? " with bias" : "") << " at ("
              << i << ", " << j << ")";
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Isas, KernelsRowProduct,
                         ::testing::ValuesIn(rnnc::runtime::kAllKernelIsas),
                         rnnc::kernel_test::isaTestName);

TEST(KernelsRowProductIsa, Avx2AndAvx512GiveTheSameBits) {
  for (Shape s : kShapes)
    for (bool bias : {false, true}) {
      std::vector<float> avx2, avx512;
      {
        ScopedKernelIsa scope(KernelIsa::Avx2);
        RNNC_SKIP_UNLESS_SUPPORTED(scope);
        avx2 = product(s, bias);
      }
      {
        ScopedKernelIsa scope(KernelIsa::Avx512);
        RNNC_SKIP_UNLESS_SUPPORTED(scope);
        avx512 = product(s, bias);
      }
      EXPECT_EQ(avx2, avx512) << s.m << "x" << s.k << "x" << s.n << (bias ? " with bias" : "");
    }
}

} // namespace
