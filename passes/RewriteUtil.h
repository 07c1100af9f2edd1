//===- RewriteUtil.h - Shared helpers of the optimising passes --*- C++ -*-===//
///
/// \file
/// What the passes share: visiting every block of a module without
/// recursion, rebuilding a scan with different operands, body arguments,
/// yields and results (an Operation cannot grow or lose results in place),
/// and dead-code removal as a plain function so other passes can clean up
/// after themselves. Ops are made with ir/Builder.h.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/IR.h"

#include <map>
#include <vector>

namespace rnnc::passes {

/// Every block of `module`: function bodies, then nested scan bodies
/// (found with an explicit worklist), outer blocks before inner ones.
std::vector<ir::Block *> allBlocks(ir::Module &module);

/// The value of a `constant` op's splat if `v` is one, else false.
bool splatConstant(const ir::Value *v, double &value);

/// How a scan is rebuilt. Operands are given by segment; for every new body
/// argument, `argReplaces` names the old body value it takes the place of
/// (an old argument or any old body value: its uses move to the new
/// argument), or null for an argument that starts unused. `yields` are the
/// new yield operands (old body values: carried, then per-step outputs) and
/// `resultReplaces` the old scan result each new result takes over (or null).
struct ScanRebuild {
  std::vector<ir::Value *> carried, sequences, invariants;
  std::vector<ir::Value *> argReplaces;
  std::vector<ir::Value *> yields;
  std::vector<ir::Value *> resultReplaces;
};

/// Replaces `scan` (in place, same position) by a scan built per `plan` and
/// returns it, or returns null and changes nothing if the plan leaves a used
/// old argument or result without a replacement or does not type-check.
ir::Operation *rebuildScan(ir::Operation *scan, const ScanRebuild &plan);

/// Removes ops whose results are unused, per-step scan outputs nobody reads
/// (and their yield operands), and scan sequence/invariant operands whose
/// body argument is unused; repeats until nothing changes. Returns whether
/// anything was removed. (passes/DeadCodeElimination.cpp)
bool removeDeadCode(ir::Module &module);

} // namespace rnnc::passes
