//===- SemaRowFunctions.cpp - Shapes of reductions, layer_norm, transpose -===//
///
/// \file
/// The shape rules of the normalisation functions (issue 13):
///   - `sum(x)`, `mean(x)`, `max(x)` reduce the last axis and keep it with
///     size 1: [B, H] gives [B, 1], which broadcasts back against [B, H]
///     (rowBroadcastShape, used by checkBinary);
///   - `layer_norm(x, g, b)`: x [..., n], gain and bias exactly [n];
///   - `transpose(P)`: a 2-D param, only as the right operand of `@`
///     (`h @ transpose(E)`, a product with the transposed table; the IR's
///     matmul_nt), so no transposed tensor is ever stored.
/// sqrt and abs are plain elementwise functions (SemaExpr.cpp).
///
//===----------------------------------------------------------------------===//
#include "frontend/SemaImpl.h"

namespace rnnc::frontend {

bool isRowFunction(const std::string &name) {
  return name == "sum" || name == "mean" || name == "max" || name == "layer_norm" ||
         name == "transpose";
}

} // namespace rnnc::frontend

namespace rnnc::frontend::detail {

std::optional<SymShape> rowBroadcastShape(const SymShape &a, const SymShape &b) {
  if (a.size() != b.size() || a.empty())
    return std::nullopt;
  for (size_t i = 0; i + 1 < a.size(); ++i)
    if (a[i] != b[i])
      return std::nullopt;
  auto one = [](const DimPoly &d) { return d.constantValue() == std::optional<int64_t>(1); };
  if (one(a.back()))
    return b;
  if (one(b.back()))
    return a;
  return std::nullopt;
}

std::optional<SymShape> Sema::checkRowFunction(const ast::Expr &e) {
  size_t want = e.text == "layer_norm" ? 3 : 1;
  if (e.operands.size() != want) {
    diags_.error(e.loc, "'" + e.text + "' takes " + std::to_string(want) + " argument" +
                            (want == 1 ? "" : "s") + ", got " +
                            std::to_string(e.operands.size()));
    return std::nullopt;
  }
  for (size_t i = 0; i < e.operands.size(); ++i)
    if (!e.argNames[i].empty()) {
      diags_.error(e.argNameLocs[i], "'" + e.text + "' takes no named arguments");
      return std::nullopt;
    }
  if (e.text == "transpose") {
    diags_.error(e.loc, "transpose() is only allowed as the right operand of '@', "
                        "as in h @ transpose(E)");
    return std::nullopt;
  }
  auto x = checkExpr(*e.operands[0]);
  if (!x)
    return std::nullopt;
  if (x->empty()) {
    diags_.error(e.loc, "'" + e.text + "' of a scalar (it works on the last axis)");
    return std::nullopt;
  }
  if (e.text != "layer_norm") {
    SymShape kept = *x;
    kept.back() = DimPoly::constant(1);
    return record(e, kept);
  }
  for (size_t i = 1; i < 3; ++i) {
    auto v = checkExpr(*e.operands[i]);
    if (!v)
      return std::nullopt;
    if (v->size() != 1 || (*v)[0] != x->back()) {
      diags_.error(e.operands[i]->begin,
                   std::string("shape mismatch: layer_norm ") +
                       (i == 1 ? "gain" : "bias") + " " + shapeStr(*v) + " must be [" +
                       x->back().str(model_->symbolNames()) + "], the last axis of " +
                       shapeStr(*x));
      if (v->size() == 1)
        noteCoincidences(e.operands[i]->begin, {x->back()}, *v);
      return std::nullopt;
    }
  }
  return record(e, *x);
}

std::optional<SymShape> Sema::checkTransposed(const ast::Expr &e) {
  if (e.operands.size() != 1 || !e.argNames[0].empty()) {
    diags_.error(e.loc, "'transpose' takes 1 argument, a 2-D param");
    return std::nullopt;
  }
  const ast::Expr &p = *e.operands[0];
  auto it = names_.find(p.text);
  if (p.kind != ast::ExprKind::Name || it == names_.end() ||
      it->second.kind != SemaBinding::Param) {
    diags_.error(p.begin, "the argument of transpose() must be a 2-D param");
    return std::nullopt;
  }
  if (!it->second.shape)
    return std::nullopt;
  const SymShape &s = *it->second.shape;
  if (s.size() != 2) {
    diags_.error(p.begin, "the argument of transpose() must be a 2-D param; '" + p.text +
                              "' is " + shapeStr(s));
    return std::nullopt;
  }
  record(p, s);
  return record(e, {s[1], s[0]});
}

} // namespace rnnc::frontend::detail
