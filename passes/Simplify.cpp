//===- Simplify.cpp - One-hot products, identities, constant folding -----===//
///
/// \file
/// The `simplify` pass. In every block (function bodies and scan bodies),
/// until nothing changes:
///  1. matmul(onehot(idx){depth = V}, W[V, N])  -> gather(W, idx): a row
///     lookup instead of a V-deep product of mostly zeros.
///  2. matmul_tn(onehot(idx){depth = V}, dY)    -> scatter_add(idx, dY)
///     {rows = V}: its adjoint, touching only the rows that were looked up.
///  3. Identities with a splat constant c: x + 0, 0 + x, x - 0, x * 1, 1 * x,
///     x / 1 -> x (only where the result type equals x's, so broadcasting
///     never changes a shape); x * 0, 0 * x -> splat 0; neg(neg(x)) -> x.
///  4. An elementwise op whose operands are all splat constants becomes one
///     splat constant (folded in double, like the interpreter).
///  5. reduce_sum(reduce_sum(x){A}){B} -> one reduce_sum(x) over A and the
///     axes of x that B names (when the inner sum has no other use).
/// Replaced ops are erased; operands that become dead (the one-hot) are left
/// to `dce`.
/// Tests: test/lit/passes/simplify-*.rnnir, test/unit/PassExamplesTest.cpp.
///
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"
#include "passes/RewriteUtil.h"

#include "ir/Builder.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>

namespace rnnc::passes {

using namespace ir;

namespace {

/// Replaces `at` by `v` if their types agree (broadcasting never changes a
/// shape); false otherwise.
bool replaceWithValue(Operation *at, Value *v) {
  if (v->type() != at->result()->type())
    return false;
  at->result()->replaceAllUsesWith(v);
  at->parentBlock()->erase(at);
  return true;
}

/// Builds `kind(operands)` before `at` and replaces `at` with it, keeping
/// its dimension names; false (and nothing built) if the new op is
/// ill-typed or of another type.
bool replaceWith(Operation *at, OpKind kind, std::vector<Value *> operands,
                 AttributeMap attrs = {}) {
  Builder b = Builder::before(at);
  b.setLoc(at->loc);
  Value *made = b.create(kind, std::move(operands), std::move(attrs));
  if (!made)
    return false;
  if (made->type() != at->result()->type()) {
    b.block().erase(made->definingOp());
    return false;
  }
  made->setDimNames(at->result()->type());
  return replaceWithValue(at, made);
}

bool replaceWithSplat(Operation *at, double value) {
  Builder b = Builder::before(at);
  b.setLoc(at->loc);
  return replaceWithValue(at, b.constant(at->result()->type(), value));
}

const Operation *oneHotOperand(const Operation *op, unsigned i) {
  const Operation *def = op->operand(i)->definingOp();
  return def && def->kind() == OpKind::OneHot ? def : nullptr;
}

bool isSplat(const Value *v, double c) {
  double value;
  return splatConstant(v, value) && value == c;
}

std::optional<double> fold(OpKind kind, double a, double b) {
  switch (kind) {
  case OpKind::Neg: return -a;
  case OpKind::Tanh: return std::tanh(a);
  case OpKind::Sigmoid: return 1.0 / (1.0 + std::exp(-a));
  case OpKind::Relu: return a > 0 ? a : 0.0;
  case OpKind::Exp: return std::exp(a);
  case OpKind::Log: return std::log(a);
  case OpKind::Step: return a > 0 ? 1.0 : 0.0;
  case OpKind::Add: return a + b;
  case OpKind::Sub: return a - b;
  case OpKind::Mul: return a * b;
  case OpKind::Div: return a / b;
  default: return std::nullopt;
  }
}

/// Tries every rule on `op`; true if it was replaced.
bool simplifyOp(Operation *op) {
  OpKind k = op->kind();
  if (op->numResults() != 1 || op->result()->type().elementType() != ElementType::F32)
    return false;
  if (k == OpKind::MatMul) {
    const Operation *hot = oneHotOperand(op, 0);
    const TensorType &w = op->operand(1)->type();
    if (hot && w.rank() == 2 && w.dim(0) == hot->intAttr("depth"))
      return replaceWith(op, OpKind::Gather, {op->operand(1), hot->operand(0)});
  }
  if (k == OpKind::MatMulTN) {
    const Operation *hot = oneHotOperand(op, 0);
    const TensorType &dy = op->operand(1)->type();
    const TensorType &idx = hot ? hot->operand(0)->type() : dy;
    if (hot && dy.rank() == idx.rank() + 1 &&
        std::equal(idx.dims().begin(), idx.dims().end(), dy.dims().begin()))
      return replaceWith(op, OpKind::ScatterAdd, {hot->operand(0), op->operand(1)},
                         {{"rows", hot->intAttr("depth")}});
  }
  if (k == OpKind::ReduceSum) {
    const Operation *inner = op->operand(0)->definingOp();
    if (inner && inner->kind() == OpKind::ReduceSum && op->operand(0)->users().size() == 1) {
      std::vector<int64_t> innerAxes = inner->intListAttr("axes"), kept, axes = innerAxes;
      for (int64_t i = 0; i < static_cast<int64_t>(inner->operand(0)->type().rank()); ++i)
        if (std::find(innerAxes.begin(), innerAxes.end(), i) == innerAxes.end())
          kept.push_back(i);
      for (int64_t a : op->intListAttr("axes"))
        if (a >= 0 && a < static_cast<int64_t>(kept.size()))
          axes.push_back(kept[static_cast<size_t>(a)]);
      std::sort(axes.begin(), axes.end());
      return replaceWith(op, OpKind::ReduceSum, {inner->operand(0)}, {{"axes", axes}});
    }
  }
  if (!isElementwise(k))
    return false;
  // Folding: all operands splat constants.
  double a = 0, b = 0;
  bool constA = splatConstant(op->operand(0), a);
  bool constB = op->numOperands() > 1 && splatConstant(op->operand(1), b);
  if (constA && (op->numOperands() == 1 || constB))
    if (auto v = fold(k, a, b); v && std::isfinite(*v))
      return replaceWithSplat(op, *v);
  if (k == OpKind::Neg) {
    const Operation *inner = op->operand(0)->definingOp();
    return inner && inner->kind() == OpKind::Neg &&
           replaceWithValue(op, inner->operand(0));
  }
  if (op->numOperands() != 2)
    return false;
  Value *x = op->operand(0), *y = op->operand(1);
  switch (k) {
  case OpKind::Add:
    return (isSplat(y, 0) && replaceWithValue(op, x)) ||
           (isSplat(x, 0) && replaceWithValue(op, y));
  case OpKind::Sub:
    return isSplat(y, 0) && replaceWithValue(op, x);
  case OpKind::Mul:
    if ((isSplat(y, 1) && replaceWithValue(op, x)) ||
        (isSplat(x, 1) && replaceWithValue(op, y)))
      return true;
    return (isSplat(x, 0) || isSplat(y, 0)) && replaceWithSplat(op, 0.0);
  case OpKind::Div:
    return isSplat(y, 1) && replaceWithValue(op, x);
  default:
    return false;
  }
}

class SimplifyPass : public Pass {
public:
  const char *name() const override { return "simplify"; }
  Expected<void> run(Module &module, DiagnosticEngine &) override {
    for (Block *block : allBlocks(module)) {
      bool changed = true;
      for (int round = 0; changed && round < 100; ++round) {
        changed = false;
        for (size_t i = 0; i < block->operations().size(); ++i)
          if (simplifyOp(block->operations()[i].get()))
            changed = true;
      }
    }
    return {};
  }
};

} // namespace

std::unique_ptr<Pass> createSimplifyPass() { return std::make_unique<SimplifyPass>(); }

} // namespace rnnc::passes
