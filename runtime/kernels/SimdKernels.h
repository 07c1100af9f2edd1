//===- SimdKernels.h - The kernels compiled once per instruction set -*- C++ -*-===//
///
/// \file
/// The inner loops that are written with vector intrinsics: the packed
/// per-step product's panels, the softmax's sum of exponentials and the
/// products of a few rows. The same
/// source (SimdKernelsImpl.h) is compiled three times, each time with its
/// own compiler flags (SimdKernelsScalar.cpp, SimdKernelsAvx2.cpp,
/// SimdKernelsAvx512.cpp); simdKernels() hands out the table of the
/// instruction set chosen in KernelIsa.h. Everything else in the library is
/// built for baseline x86-64.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "runtime/kernels/KernelIsa.h"

#include <cstdint>

namespace rnnc::runtime {

/// Columns per panel of a packed weight (rnnc_pack_panels): the same for
/// every instruction set, so a plan's buffer sizes and an object's packed
/// weights do not depend on the CPU.
constexpr int64_t kPanelWidth = 16;

struct SimdKernels {
  /// Panels [p0, p1) of out[m,n] = a[m,k] times the panels at `packed`.
  void (*packedPanels)(const float *a, const float *packed, float *out, int64_t m,
                       int64_t k, int64_t n, int64_t p0, int64_t p1);
  /// Sum over j < n of exp(row[j] - shift), each term also written to out[j]
  /// unless `out` is null; shift is at least every row[j].
  float (*sumExpShifted)(const float *row, int64_t n, float shift, float *out);
  /// out[m,n] = a[m,k] times b[k,n] for a few rows m (generation's single
  /// row), or out += that when `accumulate`; row strides lda, ldb, ldc.
  void (*rowProduct)(const float *a, int64_t lda, const float *b, int64_t ldb,
                     float *out, int64_t ldc, int64_t m, int64_t k, int64_t n,
                     bool accumulate);
};

extern const SimdKernels scalarSimdKernels;
extern const SimdKernels avx2SimdKernels;
extern const SimdKernels avx512SimdKernels;

/// The table of `isa` (which the caller has checked the CPU supports).
const SimdKernels &simdKernelsFor(KernelIsa isa);

/// The table of kernelIsa().
inline const SimdKernels &simdKernels() { return simdKernelsFor(kernelIsa()); }

} // namespace rnnc::runtime
