//===- KernelTestSupport.h - Inputs for the kernel tests ------*- C++ -*-===//
///
/// \file
/// What the product kernel tests share: a product's shape and deterministic
/// made-up values (a linear congruential sequence in about [-2.5, 2.5], so a
/// failure reproduces exactly).
///
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
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

} // namespace rnnc::kernel_test
