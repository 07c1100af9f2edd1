//===- KernelsPackedTest.cpp - Products against a weight packed once ------===//
///
/// \file
/// rnnc_pack_panels + rnnc_matmul_packed (runtime/kernels/KernelsPacked.cpp), the
/// per-step products of a scan: a[m,k] times b[k,n], or times b[n,k]ᵀ when
/// packed transposed, must match a double-precision reference to within
/// 1e-5 of the sum of |a||b| (float rounding), for row counts that use every
/// row block (8, 6, 4, 2, 1), widths that leave a partial panel or an odd
/// panel out of the AVX-512 kernel's pairs, and an empty depth; and the bits
/// must be the same with 1 and 2 threads. So on every instruction set the
/// CPU has (runtime/kernels/KernelIsa.h; the others are skipped, saying so),
/// and AVX2 and AVX-512, which compute each element with the same fused
/// multiply-adds in the same order, must give the same bits.
///
//===----------------------------------------------------------------------===//
#include "runtime/kernels/Kernels.h"
#include "runtime/kernels/KernelsParallel.h"
#include "KernelTestSupport.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

namespace {

using rnnc::kernel_test::ScopedKernelIsa;
using rnnc::kernel_test::Shape;
using rnnc::kernel_test::values;
using rnnc::runtime::KernelIsa;

/// out = a * (packed b) on `threads` kernel threads; the panels live in a
/// 64-byte aligned buffer, as in the arena.
std::vector<float> packedProduct(const std::vector<float> &a, const std::vector<float> &b,
                                 Shape s, bool transposed, int threads) {
  int before = rnnc::runtime::kernelThreads();
  rnnc::runtime::setKernelThreads(threads);
  size_t bytes = static_cast<size_t>(rnnc::runtime::packedPanelFloats(s.k, s.n)) * 4;
  std::unique_ptr<float, decltype(&std::free)> packed(
      static_cast<float *>(std::aligned_alloc(64, (bytes + 63) / 64 * 64 + 64)), &std::free);
  std::vector<float> out(static_cast<size_t>(s.m * s.n), -1.0f);
  rnnc_pack_panels(b.data(), packed.get(), s.k, s.n, transposed);
  rnnc_matmul_packed(a.data(), packed.get(), out.data(), s.m, s.k, s.n);
  rnnc::runtime::setKernelThreads(before);
  return out;
}

class KernelsPacked
    : public ::testing::TestWithParam<std::tuple<Shape, bool, KernelIsa>> {};

TEST_P(KernelsPacked, MatchesReferenceWithTheSameBitsOnAnyThreadCount) {
  auto [s, transposed, isa] = GetParam();
  ScopedKernelIsa scope(isa);
  RNNC_SKIP_UNLESS_SUPPORTED(scope);
  auto a = values(s.m * s.k, 1), b = values(s.k * s.n, 2);
  auto one = packedProduct(a, b, s, transposed, 1);
  for (int64_t i = 0; i < s.m; ++i)
    for (int64_t j = 0; j < s.n; ++j) {
      double sum = 0, magnitude = 0;
      for (int64_t q = 0; q < s.k; ++q) {
        float bv = transposed ? b[static_cast<size_t>(j * s.k + q)]
                              : b[static_cast<size_t>(q * s.n + j)];
        double term = static_cast<double>(a[static_cast<size_t>(i * s.k + q)]) * bv;
        sum += term;
        magnitude += std::abs(term);
      }
      ASSERT_NEAR(one[static_cast<size_t>(i * s.n + j)], sum, 1e-5 * magnitude + 1e-6)
          << "at (" << i << ", " << j << ")";
    }
  EXPECT_EQ(packedProduct(a, b, s, transposed, 2), one);
}

const Shape kShapes[] = {
    {32, 256, 256},  // d2l RNN step
    {32, 1024, 256}, // LSTM backward step
    {32, 256, 1027}, // a partial last panel
    {13, 40, 300},   // row blocks 6, 6, 1 (8, 4, 1); 19 panels, one unpaired
    {7, 5, 3},       // 6, 1; one partial panel
    {3, 9, 17},      // 2, 1; a partial panel paired with a full one
    {4, 0, 20}};     // empty depth: zeros

INSTANTIATE_TEST_SUITE_P(Shapes, KernelsPacked,
                         ::testing::Combine(::testing::ValuesIn(kShapes), ::testing::Bool(),
                                            ::testing::ValuesIn(rnnc::runtime::kAllKernelIsas)));

// The layout itself, padding included: panel p holds columns 16p..16p+15 of
// b (rows of b when transposed) as k rows of 16, zeros past n.
TEST(KernelsPackedLayout, PanelsHoldTheColumnsZeroPadded) {
  for (Shape s : kShapes)
    for (bool transposed : {false, true}) {
      auto b = values(s.k * s.n, 5);
      std::vector<float> packed(static_cast<size_t>(rnnc::runtime::packedPanelFloats(s.k, s.n)), -1.0f);
      rnnc_pack_panels(b.data(), packed.data(), s.k, s.n, transposed);
      for (size_t at = 0; at < packed.size(); ++at) {
        int64_t panel = static_cast<int64_t>(at) / (16 * s.k), q = static_cast<int64_t>(at) / 16 % s.k;
        int64_t col = panel * 16 + static_cast<int64_t>(at) % 16;
        float expected = col >= s.n     ? 0.0f
                         : transposed ? b[static_cast<size_t>(col * s.k + q)]
                                      : b[static_cast<size_t>(q * s.n + col)];
        ASSERT_EQ(packed[at], expected) << "panel " << panel << " row " << q << " column " << col
                                        << " of " << s.k << "x" << s.n << (transposed ? " transposed" : "");
      }
    }
}

TEST(KernelsPackedIsa, Avx2AndAvx512GiveTheSameBits) {
  for (Shape s : kShapes) {
    auto a = values(s.m * s.k, 3), b = values(s.k * s.n, 4);
    std::vector<float> avx2, avx512;
    {
      ScopedKernelIsa scope(KernelIsa::Avx2);
      RNNC_SKIP_UNLESS_SUPPORTED(scope);
      avx2 = packedProduct(a, b, s, false, 1);
    }
    {
      ScopedKernelIsa scope(KernelIsa::Avx512);
      RNNC_SKIP_UNLESS_SUPPORTED(scope);
      avx512 = packedProduct(a, b, s, false, 2);
    }
    EXPECT_EQ(avx2, avx512) << "at " << s.m << "x" << s.k << "x" << s.n;
  }
}

} // namespace
