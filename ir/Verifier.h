//===- Verifier.h - Structural and type checks of the IR --------*- C++ -*-===//
///
/// \file
/// Checks the invariants every pass may assume and must preserve:
///   1. operand and result counts match ir/Ops.def; only scan has a body;
///   2. each result type equals the inferred one (ir/ShapeInference.h), which
///      also checks required attributes and the scan signature (segments,
///      carried types, stacked outputs);
///   3. scan body arguments are the carried types, sequence slices and
///      invariants, in that order;
///   4. dominance: an operand is an argument of the op's own block or the
///      result of an earlier op in it (scan bodies are isolated from above);
///      use lists agree with operands;
///   5. a scan body ends in `yield`, a function body in `return` with one
///      operand per result name; terminators appear nowhere else;
///   6. function names are unique, argument names are unique and non-empty.
/// Blocks are visited with an explicit worklist.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Diagnostics.h"
#include "ir/Error.h"
#include "ir/IR.h"

#include <optional>
#include <string>
#include <vector>

namespace rnnc::ir {

struct VerifierError {
  SourceLocation loc; ///< The offending op's location (may be invalid).
  std::string message;
};

/// Every problem in `f` (capped at a few dozen), in program order.
std::vector<VerifierError> collectVerifierErrors(const Function &f);

/// Success if `f` is well-formed, else its first problem.
Expected<void> verifyFunction(const Function &f);

/// Reports every problem in the module to `diag` (then Error::diagnosed()).
Expected<void> verifyModule(const Module &m, DiagnosticEngine &diag);

} // namespace rnnc::ir
