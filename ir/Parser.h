//===- Parser.h - Reads the IR text form back -------------------*- C++ -*-===//
///
/// \file
/// A hand-written recursive-descent parser for the text ir/Printer.h writes,
/// so pass tests can start from IR (`rnnc opt -x ir`). It checks what the
/// text alone can contradict: unknown ops, undefined or redefined values,
/// values used across a scan body's isolation boundary, declared result types
/// against the inferred ones (ir/ShapeInference.h), scan body signatures,
/// attribute names and values (an op takes only its own attributes; reals
/// are finite), sizes within ir/Type.h's limits. Structural checks the IR can violate without the text
/// (dominance after a pass, ...) stay in the verifier. Scan bodies nest at
/// most kMaxScanNesting deep, so recursion is bounded.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Diagnostics.h"
#include "ir/IR.h"

#include <memory>

namespace rnnc::ir {

constexpr unsigned kMaxScanNesting = 64;

/// Parses one module. On error reports `file:line:col: error: ...` with a
/// caret to `diag` and returns null (the first error stops the parse).
/// Operation locations point into `buffer`.
std::unique_ptr<Module>
parseModuleText(std::shared_ptr<const SourceBuffer> buffer,
                DiagnosticEngine &diag);

} // namespace rnnc::ir
