//===- Rng.h - A seeded, portable random number source ---------*- C++ -*-===//
///
/// \file
/// Every random choice the runtime makes (parameter init, sampler shuffles,
/// sampled decoding) draws from this one generator so that a seed fixes a
/// whole run. It wraps std::mt19937_64, whose output sequence the C++
/// standard fixes, and derives uniforms, normals and bounded integers itself:
/// the std:: distributions are implementation-defined, so using them would
/// make results differ between standard libraries.
///
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <random>

namespace rnnc::runtime {

class Rng {
public:
  explicit Rng(uint64_t seed = 0) : engine_(seed) {}

  /// The next raw 64-bit output of mt19937_64.
  uint64_t nextU64() { return engine_(); }
  /// Uniform in [0, 1) with 53 random bits.
  double uniform01();
  /// Uniform in [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform01(); }
  /// Normal(mean, stddev) by the Box-Muller transform.
  double normal(double mean, double stddev);
  /// Uniform integer in [0, bound) without modulo bias; bound must be > 0.
  uint64_t below(uint64_t bound);

private:
  std::mt19937_64 engine_;
  double spareNormal_ = 0;
  bool hasSpareNormal_ = false;
};

} // namespace rnnc::runtime
