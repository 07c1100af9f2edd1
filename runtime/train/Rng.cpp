//===- Rng.cpp - Uniforms, normals and bounded integers from mt19937_64 ---===//
///
/// \file
/// Hand-written distributions over mt19937_64 so a seed gives the same numbers
/// with every standard library (see Rng.h).
///
//===----------------------------------------------------------------------===//
#include "runtime/train/Rng.h"

#include <cmath>

namespace rnnc::runtime {

double Rng::uniform01() {
  // The top 53 bits fill a double's mantissa exactly.
  return static_cast<double>(nextU64() >> 11) * 0x1.0p-53;
}

double Rng::normal(double mean, double stddev) {
  if (hasSpareNormal_) {
    hasSpareNormal_ = false;
    return mean + stddev * spareNormal_;
  }
  // 1 - uniform01() lies in (0, 1], so the logarithm is finite.
  double u1 = 1.0 - uniform01();
  double u2 = uniform01();
  double radius = std::sqrt(-2.0 * std::log(u1));
  double angle = 2.0 * M_PI * u2;
  spareNormal_ = radius * std::sin(angle);
  hasSpareNormal_ = true;
  return mean + stddev * radius * std::cos(angle);
}

uint64_t Rng::below(uint64_t bound) {
  // Reject the top partial range so every residue is equally likely.
  uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  uint64_t value;
  do {
    value = nextU64();
  } while (value >= limit);
  return value % bound;
}

} // namespace rnnc::runtime
