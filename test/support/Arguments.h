//===- Arguments.h - Seeded arguments for the tests, and a JIT call -*- C++ -*-===//
///
/// \file
/// The tests' one source of made-up inputs: driver::syntheticArguments (the
/// generator the bench uses too) as ir::Tensor lists for the interpreter,
/// and the same tensors run through a JIT-compiled function via
/// driver::SyntheticCall, results read back as double tensors.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/IR.h"
#include "ir/Interpreter.h"
#include "runtime/codegen/JIT.h"

#include <cstdint>
#include <vector>

namespace rnnc::fixtures {

/// Seeded arguments for `fn`: f32 uniform in [lo, hi] (rounded to float, so
/// the JIT and the interpreter see the same values), i32 (token ids,
/// labels) uniform in [0, tokens).
std::vector<ir::Tensor> randomArguments(const ir::Function &fn, int64_t tokens,
                                        uint64_t seed = 7, double lo = -1.5,
                                        double hi = 1.5);

/// Runs `compiled` (made from `fn`) on `args`; results as double tensors
/// (a test failure if the call cannot run).
std::vector<ir::Tensor> runCompiled(const runtime::CompiledFunction &compiled,
                                    const ir::Function &fn,
                                    const std::vector<ir::Tensor> &args);

/// JIT-compiles `fn` and runs it on `args` (empty and a test failure if it
/// does not compile).
std::vector<ir::Tensor> runJIT(const ir::Function &fn, const std::vector<ir::Tensor> &args);

} // namespace rnnc::fixtures
