//===- SyntheticCall.h - Seeded arguments and a compiled call's buffers -*- C++ -*-===//
///
/// \file
/// Made-up, reproducible inputs for a function, in the two forms its users
/// need, the second built from the first:
///
///   syntheticArguments  ir::Tensor lists (what the interpreter takes): f32
///                       uniform in [lo, hi], rounded to float so the JIT
///                       and the interpreter see the same values; i32 (token
///                       ids, labels) uniform in [0, tokens)
///   SyntheticCall       the flat 32-bit buffers and pointer arrays
///                       CompiledFunction::run takes, allocated once
///
/// It lives beside the driver rather than under test/ because the bench
/// (bench/jit_train_step) uses it too, and the bench must not depend on the
/// tests; the tests' fixtures (test/support/) build on it.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/IR.h"
#include "ir/Interpreter.h"
#include "runtime/codegen/JIT.h"

#include <cstdint>
#include <vector>

namespace rnnc::driver {

/// Seeded arguments for `fn` (see the file comment).
std::vector<ir::Tensor> syntheticArguments(const ir::Function &fn, int64_t tokens,
                                           uint64_t seed, double lo, double hi);

/// The buffers of one call of a compiled `fn`, in IR argument order.
struct SyntheticCall {
  std::vector<std::vector<uint32_t>> args, results;
  std::vector<void *> argPtrs, resultPtrs;

  /// Arguments from `values` (f32 stored as float, i32 as int32); zeroed
  /// result buffers.
  SyntheticCall(const ir::Function &fn, const std::vector<ir::Tensor> &values);
  /// Arguments from syntheticArguments(fn, tokens, seed, lo, hi).
  SyntheticCall(const ir::Function &fn, int64_t tokens, uint64_t seed, double lo,
                double hi)
      : SyntheticCall(fn, syntheticArguments(fn, tokens, seed, lo, hi)) {}

  /// Fills every result buffer with the 32-bit word `word` (e.g. a NaN no
  /// kernel computes, so a result left unwritten shows).
  void fillResults(uint32_t word);
  bool run(const runtime::CompiledFunction &fn) const {
    return fn.run(argPtrs.data(), resultPtrs.data());
  }
  /// Result 0 (a train step's loss) as a float.
  float firstResult() const;
  /// Every result as a double tensor, typed as `fn`'s results.
  std::vector<ir::Tensor> resultTensors(const ir::Function &fn) const;
};

} // namespace rnnc::driver
