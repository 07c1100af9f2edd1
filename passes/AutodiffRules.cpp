//===- AutodiffRules.cpp - Per-op adjoints for the autodiff pass ----------===//
///
/// \file
/// The adjoint of every op of ir/Ops.def that can appear in a forward graph,
/// side by side, llm.c style. For y = op(a, b) with incoming adjoint dy each
/// rule adds into da and db; broadcasting operands get dy summed over the
/// leading axes they were broadcast along. Rules refer to forward values
/// (operands, the result) through the ForwardMap, which lets a scan's
/// reverse body read values saved by the forward scan.
///
/// Tested by test/unit/GradCheckOpsTest.cpp (finite differences per op).
///
//===----------------------------------------------------------------------===//
#include "passes/AutodiffRules.h"

#include <algorithm>

namespace rnnc::passes::autodiff {

using namespace ir;

//===----------------------------------------------------------------------===//
// Activity
//===----------------------------------------------------------------------===//

std::set<const Value *> activeValues(const Block &block,
                                     const std::set<const Value *> &activeArgs) {
  std::set<const Value *> active = activeArgs;
  for (const auto &op : block.operations()) {
    bool anyActive = false;
    for (const Value *v : op->operands())
      anyActive |= active.count(v) != 0;
    if (!anyActive)
      continue;
    for (const Value *r : op->results())
      if (r->type().elementType() == ElementType::F32)
        active.insert(r);
  }
  return active;
}

std::string missingAdjointRule(const Operation &op) {
  switch (op.kind()) {
  case OpKind::CrossEntropyGrad:
  case OpKind::RowMaxGrad:
  case OpKind::LayerNormGrad:
  case OpKind::Scan:
  case OpKind::Yield:
  case OpKind::Return:
    return std::string("no adjoint rule for '") + op.name() + "'";
  case OpKind::ReduceSum: {
    // Only leading axes can be broadcast back with suffix broadcasting.
    std::vector<int64_t> axes = op.intListAttr("axes");
    std::sort(axes.begin(), axes.end());
    for (size_t i = 0; i < axes.size(); ++i)
      if (axes[i] != static_cast<int64_t>(i))
        return "reduce_sum over non-leading axes is not supported";
    return "";
  }
  default:
    return "";
  }
}

//===----------------------------------------------------------------------===//
// BlockAdjoints
//===----------------------------------------------------------------------===//

void BlockAdjoints::addInto(const Value *v, Value *adj) {
  if (!adj || !isActive(v))
    return;
  Value *&slot = adjoints_[v];
  slot = slot ? b_.add(slot, adj) : adj;
}

Value *BlockAdjoints::sumToShapeOf(Value *x, const Value *like) {
  size_t rank = like->type().rank();
  size_t extra = x->type().rank() - std::min(x->type().rank(), rank);
  if (extra == 0)
    return x;
  std::vector<int64_t> axes;
  for (size_t i = 0; i < extra; ++i)
    axes.push_back(static_cast<int64_t>(i));
  return b_.reduceSum(x, axes);
}

Value *BlockAdjoints::adjoint(const Value *v) const {
  auto it = adjoints_.find(v);
  return it == adjoints_.end() ? nullptr : it->second;
}

Value *BlockAdjoints::adjointOrZeros(const Value *v) {
  if (Value *a = adjoint(v))
    return a;
  return b_.constant(v->type(), 0.0);
}

bool BlockAdjoints::backprop(const Block &block, const ScanRule &scanRule,
                             std::string &error) {
  const auto &ops = block.operations();
  for (size_t i = ops.size(); i-- > 0;) {
    const Operation &op = *ops[i];
    if (isTerminator(op.kind()) || op.kind() == OpKind::Constant)
      continue;
    bool anyAdjoint = false;
    for (const Value *r : op.results())
      anyAdjoint |= adjoint(r) != nullptr;
    if (!anyAdjoint)
      continue;
    bool ok = op.kind() == OpKind::Scan ? scanRule(op)
                                        : emitOpAdjoint(op, adjoint(op.result()), error);
    if (!ok) {
      if (error.empty())
        error = std::string("cannot differentiate '") + op.name() + "'";
      failedOp_ = &op;
      return false;
    }
  }
  return true;
}

bool BlockAdjoints::emitOpAdjoint(const Operation &op, Value *dy,
                                  std::string &error) {
  const Value *a = op.numOperands() > 0 ? op.operand(0) : nullptr;
  const Value *b = op.numOperands() > 1 ? op.operand(1) : nullptr;
  auto fa = [&] { return fwd_(a); };
  auto fb = [&] { return fwd_(b); };
  auto fy = [&] { return fwd_(op.result()); };
  auto one = [&] { return b_.constant(TensorType::f32({}), 1.0); };
  auto sumTo = [&](Value *x, const Value *like) { return sumToShapeOf(x, like); };

  switch (op.kind()) {
  // --- elementwise unary ------------------------------------------------
  // Each rule names its values in the order it makes them (the order of
  // the printed IR); C++ leaves the order of call arguments open.
  case OpKind::Neg:
    addInto(a, b_.neg(dy));
    return true;
  case OpKind::Tanh: { // dy * (1 - y*y)
    Value *c1 = one(), *y = fy();
    addInto(a, b_.mul(dy, b_.sub(c1, b_.mul(y, y))));
    return true;
  }
  case OpKind::Sigmoid: { // dy * y * (1 - y)
    Value *c1 = one(), *y = fy();
    Value *oneMinusY = b_.sub(c1, y);
    addInto(a, b_.mul(b_.mul(dy, y), oneMinusY));
    return true;
  }
  case OpKind::Relu: // dy * step(x)
    addInto(a, b_.mul(dy, b_.create(OpKind::Step, {fa()})));
    return true;
  case OpKind::Exp: // dy * y
    addInto(a, b_.mul(dy, fy()));
    return true;
  case OpKind::Log: // dy / x
    addInto(a, b_.div(dy, fa()));
    return true;
  case OpKind::Step: // zero almost everywhere
    return true;
  case OpKind::Sqrt: { // dy * 0.5 / y
    Value *half = b_.constant(TensorType::f32({}), 0.5);
    addInto(a, b_.div(b_.mul(dy, half), fy()));
    return true;
  }
  case OpKind::Abs: // dy * sign(x): 0 at x = 0
    addInto(a, b_.mul(dy, b_.create(OpKind::Sign, {fa()})));
    return true;
  case OpKind::Sign: // zero almost everywhere
    return true;

  // --- elementwise binary, broadcasting ---------------------------------
  case OpKind::Add:
    addInto(a, sumTo(dy, a));
    addInto(b, sumTo(dy, b));
    return true;
  case OpKind::Sub:
    addInto(a, sumTo(dy, a));
    if (isActive(b))
      addInto(b, sumTo(b_.neg(dy), b));
    return true;
  case OpKind::Mul:
    if (isActive(a))
      addInto(a, sumTo(b_.mul(dy, fb()), a));
    if (isActive(b))
      addInto(b, sumTo(b_.mul(dy, fa()), b));
    return true;
  case OpKind::Div: // y = a / b: da = dy / b, db = -dy * y / b
    if (isActive(a))
      addInto(a, sumTo(b_.div(dy, fb()), a));
    if (isActive(b)) {
      Value *dyY = b_.mul(dy, fy());
      Value *q = b_.div(dyY, fb());
      addInto(b, sumTo(b_.neg(q), b));
    }
    return true;

  // --- matrix products --------------------------------------------------
  case OpKind::MatMul: // y = a·b: da = dy·bᵀ, db = aᵀ·dy
    if (isActive(a))
      addInto(a, b_.matmulNT(dy, fb()));
    if (isActive(b))
      addInto(b, b_.matmulTN(fa(), dy));
    return true;
  case OpKind::MatMulNT: // y = a·bᵀ: da = dy·b, db = dyᵀ·a
    if (isActive(a))
      addInto(a, b_.matmul(dy, fb()));
    if (isActive(b))
      addInto(b, b_.matmulTN(dy, fa()));
    return true;
  case OpKind::MatMulTN: // y = aᵀ·b: da = b·dyᵀ, db = a·dy
    if (isActive(a))
      addInto(a, b_.matmulNT(fb(), dy));
    if (isActive(b))
      addInto(b, b_.matmul(fa(), dy));
    return true;

  // --- shape and indexing -----------------------------------------------
  case OpKind::OneHot: // integer input: nothing to propagate
    return true;
  case OpKind::Gather: // rows of the table: scatter the adjoint back
    addInto(a, b_.scatterAdd(fb(), dy, a->type().dim(0)));
    return true;
  case OpKind::ScatterAdd: // y[idx[i]] += src[i]: dsrc[i] = dy[idx[i]]
    addInto(b, b_.gather(dy, fa()));
    return true;
  case OpKind::Concat: {
    int64_t offset = 0;
    for (const Value *part : op.operands()) {
      int64_t width = part->type().dims().back().size;
      if (isActive(part))
        addInto(part, b_.slice(dy, offset, offset + width));
      offset += width;
    }
    return true;
  }
  case OpKind::Slice:
    addInto(a, b_.pad(dy, op.intAttr("begin"), a->type().dims().back().size));
    return true;
  case OpKind::Pad: {
    int64_t begin = op.intAttr("begin");
    addInto(a, b_.slice(dy, begin, begin + a->type().dims().back().size));
    return true;
  }
  case OpKind::ReduceSum: {
    if (std::string why = missingAdjointRule(op); !why.empty()) {
      error = why;
      return false;
    }
    addInto(a, b_.add(b_.constant(a->type(), 0.0), dy));
    return true;
  }

  // --- row ops (the last axis is a row) ---------------------------------
  case OpKind::RowSum: // every element of the row gets the row's adjoint
    addInto(a, b_.create(OpKind::RowBroadcast, {dy},
                         {{"size", a->type().dims().back().size}}));
    return true;
  case OpKind::RowMax: // all to the first maximum (ties: lowest index)
    addInto(a, b_.create(OpKind::RowMaxGrad, {fa(), dy}));
    return true;
  case OpKind::RowBroadcast:
    addInto(a, b_.create(OpKind::RowSum, {dy}));
    return true;
  case OpKind::LayerNorm: // one fused kernel
    addInto(a, b_.create(OpKind::LayerNormGrad, {fa(), dy},
                         {{"epsilon", op.realAttr("epsilon")}}));
    return true;
  // --- regularisation ---------------------------------------------------
  case OpKind::Dropout: // y = mask·scale·x: dx = mask·scale·dy, the same mask
    addInto(a, b_.create(OpKind::Dropout, {dy, fb()}, op.attrs()));
    return true;

  // --- loss -------------------------------------------------------------
  case OpKind::CrossEntropy: {
    Value *logits = fa(), *labels = fb();
    addInto(a, b_.crossEntropyGrad(logits, labels, dy));
    return true;
  }

  default:
    error = std::string("no adjoint rule for '") + op.name() + "'";
    return false;
  }
}

} // namespace rnnc::passes::autodiff
