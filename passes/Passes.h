//===- Passes.h - Constructors of every rnnc pass ---------------*- C++ -*-===//
#pragma once

#include "passes/Pass.h"

namespace rnnc::passes {
// One line per pass, matching PassRegistry.def.
std::unique_ptr<Pass> createAutodiffPass();
} // namespace rnnc::passes
