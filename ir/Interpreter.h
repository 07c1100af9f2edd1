//===- Interpreter.h - Reference interpreter of the rnnc IR -----*- C++ -*-===//
///
/// \file
/// Evaluates any Function of the IR in double precision: the semantic oracle
/// that passes and generated code are compared against. Every op in Ops.def
/// is supported, `scan` included (forward and reverse). The interpreter also
/// checks that each computed shape equals the op's declared result type, so a
/// pass that builds ill-typed IR is caught here rather than in codegen.
///
/// Values are dense row-major tensors of doubles; i32 values (token ids) are
/// stored exactly as doubles. Errors (bad arguments, out-of-range token ids,
/// shape mismatches) are returned as an Error (ir/Error.h) with a one-line
/// message, never as UB or an exception.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Error.h"
#include "ir/IR.h"

#include <cstdint>
#include <string>
#include <vector>

namespace rnnc::ir {

/// A dense row-major tensor of doubles.
struct Tensor {
  std::vector<int64_t> shape;
  std::vector<double> data;

  Tensor() = default;
  Tensor(std::vector<int64_t> s, std::vector<double> d)
      : shape(std::move(s)), data(std::move(d)) {}

  /// A tensor of `shape` filled with `value`.
  static Tensor filled(std::vector<int64_t> shape, double value = 0.0);
  /// A rank-0 tensor.
  static Tensor scalar(double value) { return Tensor({}, {value}); }

  int64_t numElements() const;
  size_t rank() const { return shape.size(); }
  /// Element at a multi-index (row-major).
  double &at(const std::vector<int64_t> &index);
  double at(const std::vector<int64_t> &index) const;
  /// Human-readable shape, `[2,3]`.
  std::string shapeStr() const;
};

/// Runs `fn` on `args` (one per function argument, shapes matching the
/// argument types). Returns the values of the `return` operands, or an
/// Error whose message names the function (`in @f: ...`).
Expected<std::vector<Tensor>> interpret(const Function &fn, const std::vector<Tensor> &args);

/// Runs one block (a function body or a scan body) on `args`; returns the
/// terminator's operands. Exposed for tests of single scan bodies.
Expected<std::vector<Tensor>> interpretBlock(const Block &block, const std::vector<Tensor> &args);

} // namespace rnnc::ir
