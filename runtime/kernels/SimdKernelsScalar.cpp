//===- SimdKernelsScalar.cpp - The SIMD kernels compiled for scalar -------===//
///
/// \file
/// SimdKernelsImpl.h instantiated with ScalarLanes; runtime/kernels/CMakeLists.txt
/// gives this file its instruction set's compiler flags.
///
//===----------------------------------------------------------------------===//
#include "runtime/kernels/SimdKernelsImpl.h"

namespace rnnc::runtime {

const SimdKernels scalarSimdKernels = simdKernelsOf<ScalarLanes>();

} // namespace rnnc::runtime
