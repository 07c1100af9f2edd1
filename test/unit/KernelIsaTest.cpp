//===- KernelIsaTest.cpp - Choosing the kernels' instruction set ----------===//
///
/// \file
/// runtime/kernels/KernelIsa.h: every name parses back to its instruction
/// set and a wrong one is refused with the list; a set is refused, naming
/// the missing features, on a CPU without them (made-up CPUs, so this runs
/// anywhere); the best set is the fastest the CPU has; and setKernelIsa
/// switches the kernels only to a set this CPU has.
///
//===----------------------------------------------------------------------===//
#include "runtime/kernels/KernelIsa.h"

#include <gtest/gtest.h>

namespace {

using namespace rnnc::runtime;

TEST(KernelIsa, NamesParseBack) {
  for (KernelIsa isa : kAllKernelIsas) {
    rnnc::Expected<KernelIsa> parsed = parseKernelIsa(kernelIsaName(isa));
    ASSERT_TRUE(parsed) << kernelIsaName(isa);
    EXPECT_EQ(*parsed, isa);
  }
  rnnc::Expected<KernelIsa> wrong = parseKernelIsa("sse9");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().message(),
            "'sse9' is not a kernel instruction set (expected scalar, avx2 or avx512)");
}

TEST(KernelIsa, RefusedOnACpuWithoutItsFeatures) {
  CpuFeatures old, haswell{true, true, false}, zen4{true, true, true};
  EXPECT_TRUE(checkKernelIsa(KernelIsa::Scalar, old));
  rnnc::Expected<void> avx2 = checkKernelIsa(KernelIsa::Avx2, old);
  ASSERT_FALSE(avx2);
  EXPECT_EQ(avx2.error().message(), "avx2 kernels need avx2 and fma, which this CPU lacks");
  EXPECT_TRUE(checkKernelIsa(KernelIsa::Avx2, haswell));
  rnnc::Expected<void> avx512 = checkKernelIsa(KernelIsa::Avx512, haswell);
  ASSERT_FALSE(avx512);
  EXPECT_EQ(avx512.error().message(), "avx512 kernels need avx512f, which this CPU lacks");
  EXPECT_TRUE(checkKernelIsa(KernelIsa::Avx512, zen4));
  // AVX-512 without FMA does not exist, but the check does not assume it.
  EXPECT_FALSE(checkKernelIsa(KernelIsa::Avx512, CpuFeatures{true, false, true}));
}

TEST(KernelIsa, BestIsTheFastestTheCpuHas) {
  EXPECT_EQ(bestKernelIsa(CpuFeatures{}), KernelIsa::Scalar);
  EXPECT_EQ(bestKernelIsa(CpuFeatures{true, false, false}), KernelIsa::Scalar);
  EXPECT_EQ(bestKernelIsa(CpuFeatures{true, true, false}), KernelIsa::Avx2);
  EXPECT_EQ(bestKernelIsa(CpuFeatures{true, true, true}), KernelIsa::Avx512);
}

TEST(KernelIsa, SetOnlyWhatThisCpuHas) {
  KernelIsa before = kernelIsa();
  CpuFeatures host = hostCpuFeatures();
  for (KernelIsa isa : kAllKernelIsas) {
    bool runs = bool(checkKernelIsa(isa, host));
    EXPECT_EQ(bool(setKernelIsa(isa)), runs) << kernelIsaName(isa);
    EXPECT_EQ(kernelIsa(), runs ? isa : KernelIsa::Scalar) << kernelIsaName(isa);
    if (!runs)
      (void)setKernelIsa(KernelIsa::Scalar);
  }
  ASSERT_TRUE(setKernelIsa(before));
}

} // namespace
