//===- IRGenExpr.cpp - Lowering DSL expressions, one IR op each -----------===//
///
/// \file
/// One IR op per DSL expression node, made by ir::Builder (which infers its
/// type); its dimensions take their names from Sema's recorded shape at the
/// bound sizes (the batch axis is explicit in the IR). A onehot input
/// becomes one `onehot` op at the top of the body, made at first use; a
/// token input is read only through `embed(TABLE, x)` (a `gather`); a slice
/// takes its bounds from Sema, evaluated. Nothing here can fail except a
/// size above the limits, reported by typeOf (Sema and ShapeInference agree
/// on every shape, or it is an internal error).
///
//===----------------------------------------------------------------------===//
#include "frontend/IRGen.h"

#include <cassert>

namespace rnnc::frontend::detail {

Value *IRGen::emit(OpKind kind, std::vector<Value *> operands,
                   const ast::Expr &e, ir::AttributeMap attrs) {
  ir::Builder b(*body_);
  b.setLoc(e.loc);
  Value *v = b.create(kind, std::move(operands), std::move(attrs));
  if (!v) {
    diags_.error(e.loc, "internal error: sema accepted an ill-typed op: " + b.error());
    return nullptr;
  }
  return nameDims(v, e);
}

Value *IRGen::nameDims(Value *v, const ast::Expr &e) {
  auto shape = model_.exprShapes.find(&e);
  assert(shape != model_.exprShapes.end() && "sema records every expression");
  TensorType named = typeOf(shape->second, e.loc);
  if (!failed())
    v->setDimNames(named);
  return v;
}

void IRGen::collectNames(const ast::Expr &e, std::set<std::string> &names) {
  if (e.kind == ast::ExprKind::Name)
    names.insert(e.text);
  for (const auto &operand : e.operands)
    collectNames(*operand, names);
}

bool IRGen::hasActiveDropout(const ast::Expr &e) {
  if (e.kind == ast::ExprKind::Call && e.text == "dropout" &&
      e.operands[1]->number > 0)
    return true;
  for (const auto &operand : e.operands)
    if (hasActiveDropout(*operand))
      return true;
  return false;
}

Value *IRGen::lowerDropout(const ast::Expr &e) {
  Value *x = lowerExpr(*e.operands[0]);
  double p = e.operands[1]->number; // a literal in [0, 1) (Sema)
  ++dropoutSalt_;
  if (!x || !dropoutKey_ || p == 0)
    return x; // not training, or p = 0: the identity
  return emit(OpKind::Dropout, {x, dropoutKey_}, e,
              {{"p", p}, {"salt", dropoutSalt_}});
}

Value *IRGen::lowerName(const ast::Expr &e) {
  if (e.text != model_.step->inputName || model_.tokenInput ||
      values_.count(e.text))
    return values_.at(e.text);
  if (!onehot_) {
    // Made once at the top of the body, before any use.
    Dim vocab = dimOf(DimPoly::symbol(model_.inputVocab), model_.step->inputLoc);
    ir::Builder top(*body_, 0);
    top.setLoc(model_.step->inputLoc);
    onehot_ = top.create(OpKind::OneHot, {inputSlice_}, {{"depth", vocab.size}});
    onehot_->setDimNames(TensorType::f32({inputSlice_->type().dims()[0], vocab}));
  }
  return onehot_;
}

Value *IRGen::lowerCall(const ast::Expr &e) {
  static const std::map<std::string, OpKind> kUnary = {
      {"tanh", OpKind::Tanh}, {"sigmoid", OpKind::Sigmoid},
      {"relu", OpKind::Relu}, {"exp", OpKind::Exp}, {"log", OpKind::Log},
      {"sqrt", OpKind::Sqrt}, {"abs", OpKind::Abs}};
  if (isRowFunction(e.text))
    return lowerRowFunction(e);
  if (e.text == "embed")
    return emit(OpKind::Gather, {values_.at(e.operands[0]->text), inputSlice_}, e);
  if (e.text == "dropout")
    return lowerDropout(e);
  std::vector<Value *> args;
  for (const auto &operand : e.operands) {
    if (e.text == "slice" && !args.empty())
      break; // the bounds are dimensions, not values
    Value *v = lowerExpr(*operand);
    if (!v)
      return nullptr;
    args.push_back(v);
  }
  if (auto unary = kUnary.find(e.text); unary != kUnary.end())
    return emit(unary->second, args, e);
  if (e.text == "slice") {
    const auto &[begin, end] = model_.sliceBounds.at(&e);
    auto b = begin.evaluate(sizes_), en = end.evaluate(sizes_);
    if (!b || !en) {
      diags_.error(e.loc, "slice bounds overflow with these sizes");
      return nullptr;
    }
    return emit(OpKind::Slice, args, e, {{"begin", *b}, {"end", *en}});
  }
  return emit(OpKind::Concat, args, e);
}

Value *IRGen::lowerExpr(const ast::Expr &e) {
  switch (e.kind) {
  case ast::ExprKind::Number: {
    ir::Builder b(*body_);
    b.setLoc(e.loc);
    return b.constant(typeOf(model_.exprShapes.at(&e), e.loc), e.number);
  }
  case ast::ExprKind::Name:
    return lowerName(e);
  case ast::ExprKind::Neg: {
    Value *x = lowerExpr(*e.operands[0]);
    return x ? emit(OpKind::Neg, {x}, e) : nullptr;
  }
  case ast::ExprKind::Binary: {
    if (e.op == '@' && e.operands[1]->kind == ast::ExprKind::Call &&
        e.operands[1]->text == "transpose")
      return lowerTransposedProduct(e);
    Value *lhs = lowerExpr(*e.operands[0]);
    Value *rhs = lowerExpr(*e.operands[1]);
    if (!lhs || !rhs)
      return nullptr;
    OpKind kind = e.op == '@'   ? OpKind::MatMul
                  : e.op == '+' ? OpKind::Add
                  : e.op == '-' ? OpKind::Sub
                  : e.op == '*' ? OpKind::Mul
                                : OpKind::Div;
    return kind == OpKind::MatMul ? emit(kind, {lhs, rhs}, e)
                                  : lowerElementwise(kind, lhs, rhs, e);
  }
  case ast::ExprKind::Call:
    return lowerCall(e);
  }
  return nullptr;
}

} // namespace rnnc::frontend::detail
