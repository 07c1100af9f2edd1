//===- Autodiff.h - Reverse-mode differentiation of @forward ----*- C++ -*-===//
///
/// \file
/// The autodiff pass as a function, for callers that build a train step
/// without going through the pass registry (tests, the runtime).
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Error.h"
#include "ir/IR.h"

#include <string>

namespace rnnc::passes {

/// Adds `@train_step` to `module`, built from its `@forward`: arguments are
/// forward's (params, states, `x`) plus the label `y` (role Label, typed like
/// `x`); results are `loss` (mean cross-entropy of the logits against `y`),
/// the final states, then `grad.<param>` for every param in order. An Error
/// if forward is missing or not differentiable, located at the op that
/// cannot be differentiated when that op has a location.
Expected<void> buildTrainStep(ir::Module &module);

} // namespace rnnc::passes
