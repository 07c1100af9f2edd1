//===- Passes.h - Constructors of every rnnc pass ---------------*- C++ -*-===//
#pragma once

#include "passes/Pass.h"

namespace rnnc::passes {
// One line per pass, matching PassRegistry.def.
std::unique_ptr<Pass> createAutodiffPass();
std::unique_ptr<Pass> createSimplifyPass();
std::unique_ptr<Pass> createDeadCodeEliminationPass();
std::unique_ptr<Pass> createCommonSubexpressionsPass();
std::unique_ptr<Pass> createHoistScanPass();
std::unique_ptr<Pass> createMergeMatmulsPass();
std::unique_ptr<Pass> createFuseElementwisePass();
} // namespace rnnc::passes
