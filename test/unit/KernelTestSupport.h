//===- KernelTestSupport.h - Inputs for the kernel tests ------*- C++ -*-===//
///
/// \file
/// What the product kernel tests share: a product's shape and deterministic
/// made-up values (a linear congruential sequence in about [-2.5, 2.5], so a
/// failure reproduces exactly), and running the kernels with one instruction
/// set for a while.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "runtime/kernels/KernelIsa.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace rnnc::kernel_test {

/// out[m,n] = a[m,k] · b[k,n]
struct Shape {
  int64_t m, k, n;
};

inline std::vector<float> values(int64_t count, uint32_t seed) {
  std::vector<float> v(static_cast<size_t>(count));
  uint32_t s = seed * 2654435761u + 1;
  for (float &x : v) {
    s = s * 1664525u + 1013904223u;
    x = static_cast<float>(static_cast<int32_t>(s >> 8) % 20011) / 7919.0f;
  }
  return v;
}

/// The kernels run with `isa` while this lives (then with what ran before);
/// when this CPU lacks it, `supported()` is false and `why()` says so.
class ScopedKernelIsa {
public:
  explicit ScopedKernelIsa(runtime::KernelIsa isa) : before_(runtime::kernelIsa()) {
    Expected<void> set = runtime::setKernelIsa(isa);
    if (!set)
      why_ = set.error().message();
  }
  ~ScopedKernelIsa() { (void)runtime::setKernelIsa(before_); }
  bool supported() const { return why_.empty(); }
  const std::string &why() const { return why_; }

private:
  runtime::KernelIsa before_;
  std::string why_;
};

/// Skips the calling test (with the reason) when `scope`'s instruction set
/// cannot run here.
#define RNNC_SKIP_UNLESS_SUPPORTED(scope)                                      \
  if (!(scope).supported())                                                    \
  GTEST_SKIP() << (scope).why()

/// A test name's suffix for each instruction set.
inline std::string isaTestName(const ::testing::TestParamInfo<runtime::KernelIsa> &info) {
  return runtime::kernelIsaName(info.param);
}

} // namespace rnnc::kernel_test
