//===- SemaExpr.cpp - The shape rules of DSL expressions ------------------===//
///
/// \file
/// The one place the shape rules live. Every dimension is a DimPoly, so two
/// dimensions agree only when they are the same expression of the model's
/// symbols: [B,H] + [H,H] is a mismatch even when B = H = 32, and [H] + [256]
/// is one even when H = 256 (a note names the coincidence). Elementwise
/// operands broadcast when one shape is a suffix of the other (a scalar
/// literal included); `@` takes [..., K] x [K, N]; concat sums the last
/// axes; a kept reduction axis (`sum(x)`: [B, 1]) broadcasts against any
/// last axis (SemaRowFunctions.cpp); `slice(a, b, e)` has last axis e - b,
/// and 0 <= b < e <= size must be provable for every binding; a token
/// input is read only as
/// `embed(TABLE, x)`. Each accepted expression's shape is recorded for
/// lowering. Errors return nullopt after reporting ("already reported").
///
//===----------------------------------------------------------------------===//
#include "frontend/SemaImpl.h"

#include <cmath>

#include <fmt/format.h>

namespace rnnc::frontend::detail {

namespace {
bool isSuffix(const SymShape &shortDims, const SymShape &longDims) {
  if (shortDims.size() > longDims.size())
    return false;
  size_t off = longDims.size() - shortDims.size();
  for (size_t i = 0; i < shortDims.size(); ++i)
    if (shortDims[i] != longDims[off + i])
      return false;
  return true;
}
} // namespace

std::optional<SymShape> Sema::record(const ast::Expr &e, SymShape shape) {
  model_->exprShapes[&e] = shape;
  return shape;
}

void Sema::noteCoincidences(SourceLocation at, const SymShape &a,
                            const SymShape &b) {
  std::vector<std::optional<int64_t>> known;
  for (const DimSymbol &s : model_->symbols)
    known.push_back(s.isVocab ? std::nullopt : s.size);
  std::vector<std::string> names = model_->symbolNames();
  size_t n = std::min(a.size(), b.size());
  std::set<std::pair<std::string, std::string>> said;
  for (size_t i = 1; i <= n; ++i) {
    const DimPoly &x = a[a.size() - i], &y = b[b.size() - i];
    auto vx = x.evaluate(known), vy = y.evaluate(known);
    if (x == y || !vx || !vy || *vx != *vy)
      continue;
    std::string sx = x.str(names), sy = y.str(names);
    if (!said.insert({sx, sy}).second)
      continue;
    // Point at a declared symbol when there is one.
    SourceLocation loc = at;
    for (const DimPoly *d : {&x, &y})
      if (auto s = d->singleSymbol(); s && model_->symbols[*s].loc.isValid()) {
        loc = model_->symbols[*s].loc;
        break;
      }
    std::string why = x.constantValue() || y.constantValue()
                          ? (x.constantValue() ? sy : sx) + " = " +
                                std::to_string(*vx)
                          : "both are " + std::to_string(*vx);
    diags_.note(loc, sx + " and " + sy + " are different dimensions even though " +
                         why);
  }
}

std::optional<SymShape> Sema::checkName(const ast::Expr &e) {
  auto it = names_.find(e.text);
  if (it == names_.end()) {
    diags_.error(e.loc, "unknown name '" + e.text + "'");
    return std::nullopt;
  }
  SemaBinding &b = it->second;
  switch (b.kind) {
  case SemaBinding::Dimension:
    diags_.error(e.loc, "'" + e.text + "' is a dimension, not a value");
    return std::nullopt;
  case SemaBinding::Input:
    if (model_->tokenInput) {
      diags_.error(e.loc, "token input '" + e.text +
                              "' can only be used as embed(TABLE, " + e.text + ")");
      return std::nullopt;
    }
    return record(e, {DimPoly::symbol(kBatchSymbol),
                      DimPoly::symbol(model_->inputVocab)});
  default:
    if (!b.shape)
      return std::nullopt; // poisoned: the error was already reported
    return record(e, *b.shape);
  }
}

std::optional<SymShape> Sema::checkBinary(const ast::Expr &e) {
  const ast::Expr &right = *e.operands[1];
  bool transposed = e.op == '@' && right.kind == ast::ExprKind::Call &&
                    right.text == "transpose";
  auto lhs = checkExpr(*e.operands[0]);
  auto rhs = transposed ? checkTransposed(right) : checkExpr(right);
  if (!lhs || !rhs)
    return std::nullopt;
  const SymShape &a = *lhs, &b = *rhs;
  std::string mismatch =
      "shape mismatch: " + shapeStr(a) + " " + e.op + " " + shapeStr(b);
  if (e.op == '@') {
    if (a.size() < 1 || b.size() != 2 || a.back() != b[0]) {
      diags_.error(e.loc, mismatch);
      if (a.size() >= 1 && b.size() == 2)
        noteCoincidences(e.loc, {a.back()}, {b[0]});
      return std::nullopt;
    }
    SymShape dims(a.begin(), a.end() - 1);
    dims.push_back(b[1]);
    return record(e, dims);
  }
  if (isSuffix(b, a))
    return record(e, a);
  if (isSuffix(a, b))
    return record(e, b);
  if (auto rows = rowBroadcastShape(a, b))
    return record(e, *rows);
  diags_.error(e.loc, mismatch);
  noteCoincidences(e.loc, a, b);
  return std::nullopt;
}

std::optional<DimPoly> Sema::evalDimExpr(const ast::Expr &e) {
  switch (e.kind) {
  case ast::ExprKind::Number:
    if (e.number != std::floor(e.number))
      break;
    if (std::fabs(e.number) >= 9.2e18) {
      diags_.error(e.loc, "dimension expression overflows (a dimension is at "
                          "most " + std::to_string(kMaxDimension) + ")");
      return std::nullopt;
    }
    return DimPoly::constant(static_cast<int64_t>(e.number));
  case ast::ExprKind::Name: {
    auto known = names_.find(e.text);
    if (known != names_.end() && known->second.kind == SemaBinding::Dimension &&
        known->second.symbol >= 0)
      return DimPoly::symbol(known->second.symbol);
    if (known == names_.end()) {
      std::string hint = e.text == "B" || e.text == "T"
                             ? " (the batch and time dimensions are implicit)"
                             : "";
      diags_.error(e.loc, "unknown dimension '" + e.text + "'" + hint);
    } else if (known->second.kind != SemaBinding::Dimension) {
      diags_.error(e.loc, "'" + e.text + "' is not a dimension");
    } // else: a dimension whose declaration failed, already reported
    return std::nullopt;
  }
  case ast::ExprKind::Neg:
    if (auto v = evalDimExpr(*e.operands[0])) {
      if (auto r = DimPoly::sub(DimPoly::constant(0), *v))
        return r;
      diags_.error(e.loc, "dimension expression overflows");
    }
    return std::nullopt;
  case ast::ExprKind::Binary: {
    if (e.op != '+' && e.op != '-' && e.op != '*')
      break;
    auto l = evalDimExpr(*e.operands[0]);
    auto r = evalDimExpr(*e.operands[1]);
    if (!l || !r)
      return std::nullopt;
    std::optional<DimPoly> v = e.op == '+'   ? DimPoly::add(*l, *r)
                               : e.op == '-' ? DimPoly::sub(*l, *r)
                                             : DimPoly::mul(*l, *r);
    if (!v)
      diags_.error(e.loc, "dimension expression overflows (a dimension is at "
                          "most " + std::to_string(kMaxDimension) + ")");
    return v;
  }
  default:
    break;
  }
  diags_.error(e.loc, "expected an integer expression of dimensions "
                      "(e.g. 2 * H)");
  return std::nullopt;
}

std::optional<SymShape> Sema::checkSlice(const ast::Expr &e, const SymShape &x) {
  auto begin = evalDimExpr(*e.operands[1]);
  auto end = evalDimExpr(*e.operands[2]);
  if (!begin || !end)
    return std::nullopt;
  std::vector<std::string> names = model_->symbolNames();
  if (x.empty()) {
    diags_.error(e.loc, "slice of a scalar (slice takes the last axis)");
    return std::nullopt;
  }
  // 0 <= begin, begin + 1 <= end, end <= size, for every binding of the
  // vocabulary, B and T (named sizes such as `H = 4` are fixed by the file).
  std::vector<std::optional<int64_t>> fixed = fixedSizes();
  auto b = begin->substitute(fixed), en = end->substitute(fixed),
       size = x.back().substitute(fixed);
  std::optional<DimPoly> gapMinusOne, room;
  if (b && en && size) {
    if (auto gap = DimPoly::sub(*en, *b))
      gapMinusOne = DimPoly::sub(*gap, DimPoly::constant(1));
    room = DimPoly::sub(*size, *en);
  }
  bool proven = b && b->provablyNonNegative() && gapMinusOne &&
                gapMinusOne->provablyNonNegative() && room &&
                room->provablyNonNegative();
  if (!proven) {
    const DimPoly &pb = b ? *b : *begin, &pe = en ? *en : *end,
                  &ps = size ? *size : x.back();
    bool symbolic = !pb.constantValue() || !pe.constantValue() || !ps.constantValue();
    diags_.error(e.loc, "slice [" + pb.str(names) + ", " + pe.str(names) +
                            ") is out of range for a last axis of size " +
                            ps.str(names) + " (" + shapeStr(x) + ")" +
                            (symbolic ? ": 0 <= begin < end <= size must hold "
                                        "for every vocabulary size"
                                      : ""));
    return std::nullopt;
  }
  auto gap = DimPoly::sub(*end, *begin);
  if (!gap) {
    diags_.error(e.loc, "dimension expression overflows");
    return std::nullopt;
  }
  model_->sliceBounds[&e] = {*begin, *end};
  SymShape dims = x;
  dims.back() = *gap;
  return record(e, dims);
}

std::optional<SymShape> Sema::checkEmbed(const ast::Expr &e) {
  const ast::Expr &table = *e.operands[0], &index = *e.operands[1];
  auto inputIt = names_.find(index.text);
  if (index.kind != ast::ExprKind::Name || inputIt == names_.end() ||
      inputIt->second.kind != SemaBinding::Input) {
    diags_.error(index.loc, "the second argument of embed() must be the step's "
                            "token input");
    return std::nullopt;
  }
  if (!model_->tokenInput) {
    diags_.error(index.loc, "embed() needs a token input; '" + index.text +
                                "' is declared onehot");
    return std::nullopt;
  }
  auto tableIt = names_.find(table.text);
  if (table.kind != ast::ExprKind::Name || tableIt == names_.end() ||
      tableIt->second.kind != SemaBinding::Param) {
    diags_.error(table.loc, "the first argument of embed() must be a param "
                            "table of shape [V, E]");
    return std::nullopt;
  }
  if (!tableIt->second.shape)
    return std::nullopt;
  const SymShape &t = *tableIt->second.shape;
  DimPoly vocab = DimPoly::symbol(model_->inputVocab);
  if (t.size() != 2 || t[0] != vocab) {
    diags_.error(table.loc, "shape mismatch: embedding table " + shapeStr(t) +
                                " must have " +
                                model_->symbols[model_->inputVocab].name + " rows");
    if (t.size() == 2)
      noteCoincidences(table.loc, {vocab}, {t[0]});
    return std::nullopt;
  }
  record(table, t);
  return record(e, {DimPoly::symbol(kBatchSymbol), t[1]});
}

std::optional<SymShape> Sema::checkDropout(const ast::Expr &e,
                                           const SymShape &x) {
  if (x.size() < 2 || x[0] != DimPoly::symbol(kBatchSymbol)) {
    diags_.error(e.operands[0]->begin,
                 "dropout needs a value with the batch axis and at least one "
                 "more, got " + shapeStr(x));
    return std::nullopt;
  }
  const ast::Expr &rate = *e.operands[1];
  if (rate.kind != ast::ExprKind::Number || !(rate.number >= 0 && rate.number < 1)) {
    diags_.error(rate.begin, "dropout rate must be a number in [0, 1)" +
                                 std::string(rate.kind == ast::ExprKind::Number
                                                 ? ", got " + fmt::format("{:g}", rate.number)
                                                 : ""));
    return std::nullopt;
  }
  record(rate, {});
  return record(e, x);
}

std::optional<SymShape> Sema::checkCall(const ast::Expr &e) {
  static const std::set<std::string> kUnary = {"tanh", "sigmoid", "relu", "exp",
                                               "log",  "sqrt",    "abs"};
  if (isRowFunction(e.text))
    return checkRowFunction(e);
  size_t arity = e.operands.size();
  bool unary = kUnary.count(e.text) != 0;
  size_t want = unary                ? 1
                : e.text == "embed"  ? 2
                : e.text == "slice"  ? 3
                : e.text == "concat" ? 2
                : e.text == "dropout" ? 2
                                     : 0;
  if (want == 0) {
    diags_.error(e.loc, "unknown function '" + e.text +
                            "' (expected tanh, sigmoid, relu, exp, log, "
                            "sqrt, abs, sum, mean, max, layer_norm, "
                            "concat, slice, embed, transpose or dropout)");
    return std::nullopt;
  }
  bool atLeast = e.text == "concat";
  if (atLeast ? arity < want : arity != want) {
    diags_.error(e.loc, "'" + e.text + "' takes " + (atLeast ? "at least " : "") +
                            std::to_string(want) + " argument" +
                            (want == 1 ? "" : "s") + ", got " +
                            std::to_string(arity));
    return std::nullopt;
  }
  for (size_t i = 0; i < arity; ++i)
    if (!e.argNames[i].empty()) {
      diags_.error(e.argNameLocs[i], "'" + e.text + "' takes no named arguments");
      return std::nullopt;
    }
  if (e.text == "embed")
    return checkEmbed(e);
  auto first = checkExpr(*e.operands[0]);
  if (!first)
    return std::nullopt;
  if (unary)
    return record(e, *first);
  if (e.text == "slice")
    return checkSlice(e, *first);
  if (e.text == "dropout")
    return checkDropout(e, *first);
  // concat: equal leading axes, summed last axis.
  SymShape dims = *first;
  for (size_t i = 1; i < arity; ++i) {
    auto v = checkExpr(*e.operands[i]);
    if (!v)
      return std::nullopt;
    const SymShape &d = *v;
    bool leadingEqual = d.size() == dims.size() && !d.empty() &&
                        std::equal(d.begin(), d.end() - 1, dims.begin());
    if (!leadingEqual) {
      diags_.error(e.operands[i]->begin,
                   "shape mismatch in concat: " + shapeStr(*first) + " and " +
                       shapeStr(d) + " (all but the last axis must agree)");
      if (d.size() == dims.size() && !d.empty())
        noteCoincidences(e.operands[i]->begin, SymShape(dims.begin(), dims.end() - 1),
                         SymShape(d.begin(), d.end() - 1));
      return std::nullopt;
    }
    auto sum = DimPoly::add(dims.back(), d.back());
    if (!sum) {
      diags_.error(e.loc, "dimension expression overflows");
      return std::nullopt;
    }
    dims.back() = *sum;
  }
  return record(e, dims);
}

std::optional<SymShape> Sema::checkExpr(const ast::Expr &e) {
  switch (e.kind) {
  case ast::ExprKind::Number:
    return record(e, {});
  case ast::ExprKind::Name:
    return checkName(e);
  case ast::ExprKind::Neg: {
    auto x = checkExpr(*e.operands[0]);
    return x ? record(e, *x) : std::nullopt;
  }
  case ast::ExprKind::Binary:
    return checkBinary(e);
  case ast::ExprKind::Call:
    return checkCall(e);
  }
  return std::nullopt;
}

} // namespace rnnc::frontend::detail
