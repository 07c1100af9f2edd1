//===- AutodiffRules.h - Per-op adjoints for the autodiff pass --*- C++ -*-===//
///
/// \file
/// Internal to the autodiff pass (passes/Autodiff.cpp). BlockAdjoints walks
/// one block's ops in reverse and emits each op's adjoint with an
/// ir::Builder, adding into the adjoint of every operand (so a value used
/// several times gets the sum). `scan` is left to a callback because its
/// adjoint needs the whole-function context.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Builder.h"

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace rnnc::passes::autodiff {

/// The float values of `block` that depend on one of `activeArgs`: the only
/// values whose adjoints are worth computing.
std::set<const ir::Value *>
activeValues(const ir::Block &block, const std::set<const ir::Value *> &activeArgs);

/// Why `op` (not a scan) has no adjoint rule, or "" if it has one; lets the
/// pass refuse a graph before it starts building anything.
std::string missingAdjointRule(const ir::Operation &op);

/// Reverse-mode adjoints over one block.
class BlockAdjoints {
public:
  /// Maps a value of the forward block to the value holding it where the
  /// adjoint code is emitted (a clone, or a saved per-step value).
  using ForwardMap = std::function<ir::Value *(const ir::Value *)>;
  /// Emits the adjoint of a scan op; returns false on failure.
  using ScanRule = std::function<bool(const ir::Operation &)>;

  BlockAdjoints(ir::Builder &builder, ForwardMap forward,
                std::set<const ir::Value *> active)
      : b_(builder), fwd_(std::move(forward)), active_(std::move(active)) {}

  bool isActive(const ir::Value *v) const { return active_.count(v) != 0; }
  /// Adds `adj` into the adjoint of forward value `v` (ignored if inactive).
  void addInto(const ir::Value *v, ir::Value *adj);
  /// The adjoint of `v`, or null if nothing flowed into it.
  ir::Value *adjoint(const ir::Value *v) const;
  /// The adjoint of `v`, or zeros of its type.
  ir::Value *adjointOrZeros(const ir::Value *v);

  /// Walks `block`'s ops (terminator excluded) last to first, emitting the
  /// adjoint of each op that received one. Fails with `error` on an op that
  /// has no adjoint rule.
  bool backprop(const ir::Block &block, const ScanRule &scanRule,
                std::string &error);
  /// The op the last failed backprop stopped on (null before any failure).
  const ir::Operation *failedOp() const { return failedOp_; }

  ir::Builder &builder() { return b_; }
  ir::Value *forward(const ir::Value *v) { return fwd_(v); }

private:
  bool emitOpAdjoint(const ir::Operation &op, ir::Value *dy, std::string &error);
  /// `x` summed over its leading axes down to the shape of `like` (the
  /// adjoint of suffix broadcasting); `x` itself if the shapes agree.
  ir::Value *sumToShapeOf(ir::Value *x, const ir::Value *like);

  ir::Builder &b_;
  ForwardMap fwd_;
  std::set<const ir::Value *> active_;
  const ir::Operation *failedOp_ = nullptr;
  std::map<const ir::Value *, ir::Value *> adjoints_;
};

} // namespace rnnc::passes::autodiff
