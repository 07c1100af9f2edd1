//===- LoopPlanner.h - Loops, fusion kernels and kernel names -*- C++ -*-===//
///
/// \file
/// Private to runtime/plan: the decisions of planLowering about how an op's
/// code runs (LoopPlanner.cpp), called by LoweringPlanner.cpp.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "runtime/plan/LoweringPlan.h"

namespace rnnc::runtime {

/// An elementwise op's loop nest.
LoopNest elementwiseLoop(const ir::Operation &op);

/// A fusion's plan and (in `*nest`) its loop nest; `plan` holds the
/// decisions about the ops before it (its slice views).
FusionPlan planFusionLoop(const ir::Operation &fusion, const LoweringPlan &plan,
                          LoopNest *nest);

/// The kernel `op`'s code calls, from its kind and the decisions made
/// about it (OpPlan::kernel).
const char *kernelFor(const ir::Operation &op, const LoweringPlan &plan);

} // namespace rnnc::runtime
