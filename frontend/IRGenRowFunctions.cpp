//===- IRGenRowFunctions.cpp - Lowering reductions, layer_norm, transpose -===//
///
/// \file
/// The functions of SemaRowFunctions.cpp as IR:
///   - `sum(x)` is `row_sum`, `max(x)` `row_max`, `mean(x)` `row_sum`
///     times the constant 1/n;
///   - `layer_norm(x, g, b)` is `layer_norm(x) {epsilon = 1e-5}` (one
///     fused kernel forward, one backward) times g plus b, two elementwise
///     ops that fuse with their neighbours;
///   - `a @ transpose(P)` is `matmul_nt(a, P)`;
///   - an elementwise op with a kept reduction axis ([B, 1] against
///     [B, H]) first repeats it with `row_broadcast {size = H}`, so the
///     elementwise ops keep their suffix-only broadcasting.
///
//===----------------------------------------------------------------------===//
#include "frontend/IRGen.h"

namespace rnnc::frontend::detail {

/// PyTorch's nn.LayerNorm default.
constexpr double kLayerNormEpsilon = 1e-5;

Value *IRGen::lowerRowFunction(const ast::Expr &e) {
  std::vector<Value *> args;
  for (const auto &operand : e.operands) {
    Value *v = lowerExpr(*operand);
    if (!v)
      return nullptr;
    args.push_back(v);
  }
  if (e.text == "max")
    return emit(OpKind::RowMax, {args[0]}, e);
  if (e.text == "layer_norm") {
    Value *n = emit(OpKind::LayerNorm, {args[0]}, e, {{"epsilon", kLayerNormEpsilon}});
    Value *scaled = n ? emit(OpKind::Mul, {n, args[1]}, e) : nullptr;
    return scaled ? emit(OpKind::Add, {scaled, args[2]}, e) : nullptr;
  }
  Value *sum = emit(OpKind::RowSum, {args[0]}, e);
  if (!sum || e.text == "sum")
    return sum;
  const ir::TensorType &t = args[0]->type();
  ir::Builder b(*body_);
  b.setLoc(e.loc);
  double width = static_cast<double>(t.dim(t.rank() - 1));
  Value *scale = b.constant(ir::TensorType::f32({}), 1.0 / width);
  return emit(OpKind::Mul, {sum, scale}, e);
}

Value *IRGen::lowerTransposedProduct(const ast::Expr &e) {
  Value *lhs = lowerExpr(*e.operands[0]);
  if (!lhs)
    return nullptr;
  return emit(OpKind::MatMulNT, {lhs, values_.at(e.operands[1]->operands[0]->text)}, e);
}

Value *IRGen::lowerElementwise(OpKind kind, Value *lhs, Value *rhs, const ast::Expr &e) {
  const ir::TensorType &a = lhs->type(), &b = rhs->type();
  bool sameRows = a.rank() == b.rank() && a.rank() > 0;
  for (size_t i = 0; sameRows && i + 1 < a.rank(); ++i)
    sameRows = a.dim(i) == b.dim(i);
  int64_t la = sameRows ? a.dim(a.rank() - 1) : 0, lb = sameRows ? b.dim(b.rank() - 1) : 0;
  if (sameRows && la != lb && (la == 1 || lb == 1)) {
    Value *&narrow = la == 1 ? lhs : rhs;
    const Value *wide = la == 1 ? rhs : lhs;
    ir::Builder builder(*body_);
    builder.setLoc(e.loc);
    narrow = builder.create(OpKind::RowBroadcast, {narrow}, {{"size", std::max(la, lb)}});
    if (!narrow) {
      diags_.error(e.loc, "internal error: sema accepted an ill-typed op: " + builder.error());
      return nullptr;
    }
    narrow->setDimNames(wide->type());
  }
  return emit(kind, {lhs, rhs}, e);
}

} // namespace rnnc::frontend::detail
