//===- IRGenExpr.cpp - Lowering DSL expressions, with their shape rules ---===//
///
/// \file
/// One IR op per DSL expression node, checking shapes on the way (the batch
/// axis is explicit in the IR, so `[B,V] @ [H,H]` prints as the user thinks
/// of it). Elementwise operands broadcast when one shape is a suffix of the
/// other (a scalar literal included), as the IR's Ops.def defines; `@` takes
/// [..., K] x [K, N]; concat and slice work on the last axis; a onehot input
/// becomes one `onehot` op at the top of the body, a token input is only
/// read through `embed(TABLE, x)` (a `gather`). Errors return null after
/// reporting; callers treat null as "already reported".
///
//===----------------------------------------------------------------------===//
#include "frontend/IRGen.h"

#include <algorithm>
#include <cmath>

namespace rnnc::frontend::detail {

namespace {
bool isSuffix(const std::vector<Dim> &shortDims, const std::vector<Dim> &longDims) {
  if (shortDims.size() > longDims.size())
    return false;
  size_t off = longDims.size() - shortDims.size();
  for (size_t i = 0; i < shortDims.size(); ++i)
    if (shortDims[i] != longDims[off + i])
      return false;
  return true;
}

} // namespace

Value *IRGen::emit(OpKind kind, std::vector<Value *> operands, TensorType type,
                   SourceLocation loc, ir::AttributeMap attrs) {
  ir::Operation *op =
      body_->create(kind, std::move(operands), {std::move(type)}, std::move(attrs));
  op->loc = loc;
  return op->result();
}

void IRGen::collectNames(const ast::Expr &e, std::set<std::string> &names) {
  if (e.kind == ast::ExprKind::Name)
    names.insert(e.text);
  for (const auto &operand : e.operands)
    collectNames(*operand, names);
}

Value *IRGen::lowerName(const ast::Expr &e) {
  auto it = names_.find(e.text);
  if (it == names_.end()) {
    diags_.error(e.loc, "unknown name '" + e.text + "'");
    return nullptr;
  }
  Binding &b = it->second;
  switch (b.kind) {
  case Binding::Dimension:
    diags_.error(e.loc, "'" + e.text + "' is a dimension, not a value");
    return nullptr;
  case Binding::Input:
    if (tokenInput_) {
      diags_.error(e.loc, "token input '" + e.text +
                              "' can only be used as embed(TABLE, " + e.text + ")");
      return nullptr;
    }
    if (!onehot_) {
      // Made once at the top of the body, before any use.
      auto op = std::make_unique<ir::Operation>(
          OpKind::OneHot, std::vector<Value *>{inputSlice_},
          std::vector<TensorType>{TensorType::f32({batch_, inputVocab_})},
          ir::AttributeMap{{"depth", inputVocab_.size}});
      op->loc = step_->inputLoc;
      onehot_ = body_->insert(0, std::move(op))->result();
    }
    return onehot_;
  default:
    return b.value; // null when poisoned: the error was already reported
  }
}

Value *IRGen::lowerBinary(const ast::Expr &e) {
  Value *lhs = lowerExpr(*e.operands[0]);
  Value *rhs = lowerExpr(*e.operands[1]);
  if (!lhs || !rhs)
    return nullptr;
  const TensorType &a = lhs->type(), &b = rhs->type();
  std::string mismatch = "shape mismatch: " + a.shapeStr() + " " + e.op + " " +
                         b.shapeStr();
  if (e.op == '@') {
    if (a.rank() < 1 || b.rank() != 2 || a.dims().back() != b.dims()[0]) {
      diags_.error(e.loc, mismatch);
      return nullptr;
    }
    std::vector<Dim> dims(a.dims().begin(), a.dims().end() - 1);
    dims.push_back(b.dims()[1]);
    return emit(OpKind::MatMul, {lhs, rhs}, TensorType::f32(dims), e.loc);
  }
  const TensorType *result = nullptr;
  if (isSuffix(b.dims(), a.dims()))
    result = &a;
  else if (isSuffix(a.dims(), b.dims()))
    result = &b;
  if (!result) {
    diags_.error(e.loc, mismatch);
    return nullptr;
  }
  OpKind kind = e.op == '+'   ? OpKind::Add
                : e.op == '-' ? OpKind::Sub
                : e.op == '*' ? OpKind::Mul
                              : OpKind::Div;
  return emit(kind, {lhs, rhs}, *result, e.loc);
}

std::optional<int64_t> IRGen::evalDimExpr(const ast::Expr &e) {
  switch (e.kind) {
  case ast::ExprKind::Number:
    if (e.number == std::floor(e.number) && std::fabs(e.number) < 1e9)
      return static_cast<int64_t>(e.number);
    break;
  case ast::ExprKind::Name: {
    if (auto it = dims_.find(e.text); it != dims_.end())
      return it->second.size;
    auto known = names_.find(e.text);
    if (known == names_.end()) {
      std::string hint = e.text == "B" || e.text == "T"
                             ? " (the batch and time dimensions are implicit)"
                             : "";
      diags_.error(e.loc, "unknown dimension '" + e.text + "'" + hint);
    } else if (known->second.kind != Binding::Dimension) {
      diags_.error(e.loc, "'" + e.text + "' is not a dimension");
    } // else: a dimension whose declaration failed, already reported
    return std::nullopt;
  }
  case ast::ExprKind::Neg:
    if (auto v = evalDimExpr(*e.operands[0]))
      return -*v;
    return std::nullopt;
  case ast::ExprKind::Binary: {
    auto l = evalDimExpr(*e.operands[0]);
    auto r = evalDimExpr(*e.operands[1]);
    if (!l || !r)
      return std::nullopt;
    if (e.op == '+')
      return *l + *r;
    if (e.op == '-')
      return *l - *r;
    if (e.op == '*' && std::llabs(*l) < (1 << 30) && std::llabs(*r) < (1 << 30))
      return *l * *r;
    break;
  }
  default:
    break;
  }
  diags_.error(e.loc, "expected an integer expression of dimensions "
                      "(e.g. 2 * H)");
  return std::nullopt;
}

Value *IRGen::lowerSlice(const ast::Expr &e, Value *x) {
  auto begin = evalDimExpr(*e.operands[1]);
  auto end = evalDimExpr(*e.operands[2]);
  if (!begin || !end)
    return nullptr;
  const TensorType &t = x->type();
  int64_t size = t.rank() ? t.dims().back().size : 0;
  if (t.rank() == 0 || *begin < 0 || *end > size || *begin >= *end) {
    diags_.error(e.loc, "slice [" + std::to_string(*begin) + ", " +
                            std::to_string(*end) +
                            ") is out of range for a last axis of size " +
                            std::to_string(size) + " (" + t.shapeStr() + ")");
    return nullptr;
  }
  std::vector<Dim> dims = t.dims();
  dims.back() = Dim{*end - *begin, ""};
  for (const auto &[name, d] : dims_)
    if (d.size == *end - *begin && *begin % d.size == 0)
      dims.back().name = name; // `slice(g, H, 2*H)` keeps the name H
  return emit(OpKind::Slice, {x}, TensorType::f32(dims), e.loc,
              {{"begin", *begin}, {"end", *end}});
}

Value *IRGen::lowerEmbed(const ast::Expr &e) {
  const ast::Expr &table = *e.operands[0], &index = *e.operands[1];
  auto inputIt = names_.find(index.text);
  if (index.kind != ast::ExprKind::Name || inputIt == names_.end() ||
      inputIt->second.kind != Binding::Input) {
    diags_.error(index.loc, "the second argument of embed() must be the step's "
                            "token input");
    return nullptr;
  }
  if (!tokenInput_) {
    diags_.error(index.loc, "embed() needs a token input; '" + index.text +
                                "' is declared onehot");
    return nullptr;
  }
  auto tableIt = names_.find(table.text);
  if (table.kind != ast::ExprKind::Name || tableIt == names_.end() ||
      tableIt->second.kind != Binding::Param) {
    diags_.error(table.loc, "the first argument of embed() must be a param "
                            "table of shape [V, E]");
    return nullptr;
  }
  Value *t = tableIt->second.value;
  if (!t)
    return nullptr;
  if (t->type().rank() != 2 || t->type().dims()[0] != inputVocab_) {
    diags_.error(table.loc, "shape mismatch: embedding table " +
                                t->type().shapeStr() + " must have " +
                                inputVocab_.name + " rows");
    return nullptr;
  }
  return emit(OpKind::Gather, {t, inputSlice_},
              TensorType::f32({batch_, t->type().dims()[1]}), e.loc);
}

Value *IRGen::lowerCall(const ast::Expr &e) {
  static const std::map<std::string, OpKind> kUnary = {
      {"tanh", OpKind::Tanh}, {"sigmoid", OpKind::Sigmoid},
      {"relu", OpKind::Relu}, {"exp", OpKind::Exp}, {"log", OpKind::Log}};
  size_t arity = e.operands.size();
  auto unary = kUnary.find(e.text);
  size_t want = unary != kUnary.end() ? 1
                : e.text == "embed"   ? 2
                : e.text == "slice"   ? 3
                : e.text == "concat"  ? 2
                                      : 0;
  if (want == 0) {
    diags_.error(e.loc, "unknown function '" + e.text +
                            "' (expected tanh, sigmoid, relu, exp, log, "
                            "concat, slice or embed)");
    return nullptr;
  }
  bool atLeast = e.text == "concat";
  if (atLeast ? arity < want : arity != want) {
    diags_.error(e.loc, "'" + e.text + "' takes " + (atLeast ? "at least " : "") +
                            std::to_string(want) + " argument" +
                            (want == 1 ? "" : "s") + ", got " +
                            std::to_string(arity));
    return nullptr;
  }
  for (size_t i = 0; i < arity; ++i)
    if (!e.argNames[i].empty()) {
      diags_.error(e.argNameLocs[i], "'" + e.text +
                                         "' takes no named arguments");
      return nullptr;
    }
  if (e.text == "embed")
    return lowerEmbed(e);
  Value *first = lowerExpr(*e.operands[0]);
  if (!first)
    return nullptr;
  if (unary != kUnary.end())
    return emit(unary->second, {first}, first->type(), e.loc);
  if (e.text == "slice")
    return lowerSlice(e, first);
  // concat: equal leading axes, summed last axis.
  std::vector<Value *> parts{first};
  std::vector<Dim> dims = first->type().dims();
  for (size_t i = 1; i < arity; ++i) {
    Value *v = lowerExpr(*e.operands[i]);
    if (!v)
      return nullptr;
    const auto &d = v->type().dims();
    bool leadingEqual = d.size() == dims.size() && !d.empty() &&
                        std::equal(d.begin(), d.end() - 1, dims.begin());
    if (!leadingEqual) {
      diags_.error(e.operands[i]->begin,
                   "shape mismatch in concat: " + first->type().shapeStr() +
                       " and " + v->type().shapeStr() +
                       " (all but the last axis must agree)");
      return nullptr;
    }
    dims.back() = Dim{dims.back().size + d.back().size, ""};
    parts.push_back(v);
  }
  return emit(OpKind::Concat, parts, TensorType::f32(dims), e.loc);
}

Value *IRGen::lowerExpr(const ast::Expr &e) {
  switch (e.kind) {
  case ast::ExprKind::Number:
    return emit(OpKind::Constant, {}, TensorType::f32({}), e.loc,
                {{"value", e.number}});
  case ast::ExprKind::Name:
    return lowerName(e);
  case ast::ExprKind::Neg: {
    Value *x = lowerExpr(*e.operands[0]);
    return x ? emit(OpKind::Neg, {x}, x->type(), e.loc) : nullptr;
  }
  case ast::ExprKind::Binary:
    return lowerBinary(e);
  case ast::ExprKind::Call:
    return lowerCall(e);
  }
  return nullptr;
}


} // namespace rnnc::frontend::detail
