//===- SimdKernelsAvx2.cpp - The SIMD kernels compiled for avx2 -----------===//
///
/// \file
/// SimdKernelsImpl.h instantiated with Avx2Lanes; runtime/kernels/CMakeLists.txt
/// gives this file its instruction set's compiler flags.
///
//===----------------------------------------------------------------------===//
#include "runtime/kernels/SimdKernelsImpl.h"

namespace rnnc::runtime {

const SimdKernels avx2SimdKernels = simdKernelsOf<Avx2Lanes>();

} // namespace rnnc::runtime
