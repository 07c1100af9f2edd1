//===- Pipeline.h - Runs a list of passes with verification -----*- C++ -*-===//
///
/// \file
/// Runs named passes in order over a module, verifying the IR after each one
/// so that a broken pass is caught at the pass that broke it, and optionally
/// printing the IR after each (`rnnc opt --print-after-all`).
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Diagnostics.h"
#include "ir/Error.h"
#include "ir/IR.h"

#include <iosfwd>
#include <string>
#include <vector>

namespace rnnc::passes {

/// The header printed before the IR after pass `name`.
std::string printAfterHeader(const std::string &name);

/// Runs `names` in order. Stops at the first unknown pass, failing pass or
/// verifier error (all reported to `diag`) with Error::diagnosed(). If
/// `printAfterEach` is non-null, writes printAfterHeader(pass) and the module
/// to it after every pass.
Expected<void> runPasses(ir::Module &module,
                         const std::vector<std::string> &names,
                         DiagnosticEngine &diag, std::ostream *printAfterEach);

/// The optimising passes that are safe after autodiff, in order: one-hot
/// products to gathers, time batching out of the scans, then clean-up, and
/// last elementwise fusion (one kernel per cell update and epilogue).
std::vector<std::string> defaultTrainPipeline();
/// The pipeline of the one-step generation function.
std::vector<std::string> defaultGeneratePipeline();

} // namespace rnnc::passes
