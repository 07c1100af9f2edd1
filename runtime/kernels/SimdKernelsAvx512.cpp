//===- SimdKernelsAvx512.cpp - The SIMD kernels compiled for avx512 -------===//
///
/// \file
/// SimdKernelsImpl.h instantiated with Avx512Lanes; runtime/kernels/CMakeLists.txt
/// gives this file its instruction set's compiler flags.
///
//===----------------------------------------------------------------------===//
#include "runtime/kernels/SimdKernelsImpl.h"

namespace rnnc::runtime {

const SimdKernels avx512SimdKernels = simdKernelsOf<Avx512Lanes>();

} // namespace rnnc::runtime
