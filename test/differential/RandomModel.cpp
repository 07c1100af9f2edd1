//===- RandomModel.cpp - Printing and measuring generated models -----------===//
///
/// \file
/// DSL text for a RandomModel (precedence-aware parentheses, params printed
/// only while referenced) and the per-construct counts the driver sums into
/// its coverage summary.
///
//===----------------------------------------------------------------------===//
#include "test/differential/RandomModel.h"

#include <algorithm>
#include <set>
#include <sstream>

namespace rnnc::difftest {

bool sameDim(const DimSum &a, const DimSum &b) {
  DimSum x = a, y = b;
  std::sort(x.begin(), x.end());
  std::sort(y.begin(), y.end());
  return x == y;
}

std::string printDim(const DimSum &d) {
  if (d.empty())
    return "0";
  std::string s;
  for (size_t i = 0; i < d.size(); ++i)
    s += (i ? " + " : "") + d[i];
  return s;
}

int64_t RandomModel::size(const std::string &dim) const {
  if (dim == "V")
    return vocab;
  for (const auto &[n, s] : dims)
    if (n == dim)
      return s;
  return 0;
}

int64_t RandomModel::size(const DimSum &d) const {
  int64_t total = 0;
  for (const auto &n : d)
    total += size(n);
  return total;
}

const ParamDecl *RandomModel::param(const std::string &name) const {
  for (const auto &p : params)
    if (p.name == name)
      return &p;
  return nullptr;
}

std::string RandomModel::sizesLine() const {
  std::ostringstream s;
  s << "V=" << vocab << " B=" << batch << " T=" << seqLen;
  for (const auto &[n, v] : dims)
    s << ' ' << n << '=' << v;
  return s.str();
}

RandomModel scaledUp(const RandomModel &model, int64_t factor, int64_t batch) {
  RandomModel big = model;
  for (auto &d : big.dims)
    d.second = std::min<int64_t>(d.second * factor, 128);
  big.batch = batch;
  return big;
}

namespace {

int precedence(const Expr &e) {
  switch (e.kind) {
  case Expr::Add:
  case Expr::Sub:
    return 1;
  case Expr::Mul:
  case Expr::Div:
  case Expr::MatMul:
    return 2;
  case Expr::Neg:
    return 3;
  default:
    return 4;
  }
}

std::string printNum(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

void collectRefs(const Expr &e, std::set<std::string> &names) {
  if (e.kind == Expr::Ref || e.kind == Expr::Embed)
    names.insert(e.name);
  for (const Expr &a : e.args)
    collectRefs(a, names);
}

void collectSliceDims(const Expr &e, std::set<std::string> &dims) {
  if (e.kind == Expr::Slice) {
    dims.insert(e.begin.begin(), e.begin.end());
    dims.insert(e.end.begin(), e.end.end());
  }
  for (const Expr &a : e.args)
    collectSliceDims(a, dims);
}

} // namespace

std::string printExpr(const Expr &e) {
  auto child = [&](const Expr &c, int minPrec) {
    std::string s = printExpr(c);
    return precedence(c) < minPrec ? "(" + s + ")" : s;
  };
  switch (e.kind) {
  case Expr::Ref:
    return e.name;
  case Expr::Num:
    return printNum(e.num);
  case Expr::Neg:
    return "-" + child(e.args[0], 4); // -(-a), never --a
  case Expr::Add:
  case Expr::Sub:
  case Expr::Mul:
  case Expr::Div:
  case Expr::MatMul: {
    int p = precedence(e);
    const char *op = e.kind == Expr::Add   ? " + "
                     : e.kind == Expr::Sub ? " - "
                     : e.kind == Expr::Mul ? " * "
                     : e.kind == Expr::Div ? " / "
                                           : " @ ";
    return child(e.args[0], p) + op + child(e.args[1], p + 1);
  }
  case Expr::Call: { // dropout(x, p) has a second argument, the rate
    std::string s = e.name + "(" + printExpr(e.args[0]);
    for (size_t i = 1; i < e.args.size(); ++i)
      s += ", " + printExpr(e.args[i]);
    return s + ")";
  }
  case Expr::Concat: {
    std::string s = "concat(";
    for (size_t i = 0; i < e.args.size(); ++i)
      s += (i ? ", " : "") + printExpr(e.args[i]);
    return s + ")";
  }
  case Expr::Slice:
    return "slice(" + printExpr(e.args[0]) + ", " + printDim(e.begin) + ", " + printDim(e.end) +
           ")";
  case Expr::Embed:
    return "embed(" + e.name + ", x)";
  }
  return "?";
}

std::string printModel(const RandomModel &m) {
  std::set<std::string> used;
  for (const Stmt &s : m.body)
    collectRefs(s.value, used);
  // Dimensions are printed only while a printed shape or bound uses them.
  std::set<std::string> dims;
  auto useDim = [&](const DimSum &d) { dims.insert(d.begin(), d.end()); };
  for (const ParamDecl &p : m.params)
    if (used.count(p.name))
      for (const DimSum &d : p.shape)
        useDim(d);
  for (const StateDecl &s : m.states)
    useDim(s.dim);
  for (const Stmt &s : m.body)
    collectSliceDims(s.value, dims);
  std::ostringstream o;
  o << "model " << m.name << "(V: vocab";
  for (const auto &[n, v] : m.dims)
    if (dims.count(n))
      o << ", " << n << " = " << v;
  o << ") {\n";
  for (const ParamDecl &p : m.params) {
    if (!used.count(p.name))
      continue;
    o << "  param " << p.name << ": [";
    for (size_t i = 0; i < p.shape.size(); ++i)
      o << (i ? ", " : "") << printDim(p.shape[i]);
    // Every initialiser kind the language has (the check draws its own
    // values; this is for the front end).
    // orthogonal needs a matrix, identity a square one (by name).
    static const char *const kInits[] = {"normal(0, 0.1)", "uniform(-0.1, 0.1)", "zeros", "ones",
                                         "xavier", "orthogonal(0.5)", "identity(0.5)"};
    bool square = p.shape.size() == 2 && printDim(p.shape[0]) == printDim(p.shape[1]);
    size_t kinds = p.shape.size() == 2 ? (square ? 7 : 6) : 4;
    size_t pick = 0;
    for (char c : p.name)
      pick = pick * 31 + static_cast<unsigned char>(c);
    o << "] = " << kInits[pick % kinds] << '\n';
  }
  for (const StateDecl &s : m.states)
    o << "  state " << s.name << ": [" << printDim(s.dim) << "] = zeros\n";
  o << "  step(x: " << (m.tokenInput ? "token" : "onehot") << "[V]) -> [V] {\n";
  for (const Stmt &s : m.body) {
    o << "    ";
    if (s.kind == Stmt::Let)
      o << "let " << s.name << " = ";
    else if (s.kind == Stmt::Assign)
      o << s.name << " = ";
    else
      o << "return ";
    o << printExpr(s.value) << '\n';
  }
  o << "  }\n}\n";
  if (m.hasTrainBlock)
    o << "train {\n  loss = cross_entropy\n  optimizer = sgd(lr = 1)\n  batch = " << m.batch
      << "\n  seq_len = " << m.seqLen
      << "\n  sampling = " << (m.consecutive ? "consecutive" : "random") << "\n}\n";
  return o.str();
}

namespace {

void countExpr(const Expr &e, std::map<std::string, int64_t> &c,
               std::map<std::string, int> &subtrees) {
  switch (e.kind) {
  case Expr::Ref:
    return;
  case Expr::Num:
    ++c["construct:scalar-literal"];
    return;
  case Expr::Neg:
    ++c["op:unary-"];
    break;
  case Expr::Add:
    ++c["op:+"];
    break;
  case Expr::Sub:
    ++c["op:-"];
    break;
  case Expr::Mul:
    ++c["op:*"];
    break;
  case Expr::Div:
    ++c["op:/"];
    break;
  case Expr::MatMul:
    ++c["op:@"];
    break;
  case Expr::Call:
    ++c["fn:" + e.name];
    break;
  case Expr::Concat:
    ++c["fn:concat"];
    break;
  case Expr::Slice:
    ++c["fn:slice"];
    if (e.begin.size() + e.end.size() > 1)
      ++c["construct:slice-dim-expr-bounds"];
    break;
  case Expr::Embed:
    ++c["fn:embed"];
    return;
  }
  if (e.kind >= Expr::Add && e.kind <= Expr::Div)
    for (const Expr &a : e.args)
      if (a.kind != Expr::Num && !a.batched)
        ++c["construct:broadcast-suffix"];
  ++subtrees[printExpr(e)];
  for (const Expr &a : e.args)
    countExpr(a, c, subtrees);
}

bool refersTo(const Expr &e, const std::string &name) {
  if (e.kind == Expr::Ref && e.name == name)
    return true;
  for (const Expr &a : e.args)
    if (refersTo(a, name))
      return true;
  return false;
}

} // namespace

void countConstructs(const RandomModel &m, std::map<std::string, int64_t> &c) {
  ++c[m.tokenInput ? "input:token" : "input:onehot"];
  ++c["construct:states=" + std::to_string(m.states.size())];
  if (m.hasTrainBlock)
    ++c[m.consecutive ? "train:sampling=consecutive" : "train:sampling=random"];
  for (const auto &[n, v] : m.dims) {
    if (v == m.batch)
      ++c["size:dim==B"];
    if (v == m.seqLen)
      ++c["size:dim==T"];
    if (v == m.vocab)
      ++c["size:dim==V"];
  }
  std::map<std::string, int> subtrees;
  std::set<std::string> assigned;
  for (const Stmt &s : m.body) {
    if (s.kind == Stmt::Let)
      ++c["construct:let"];
    if (s.kind == Stmt::Assign) {
      ++c["construct:state-assign"];
      for (const auto &other : m.states)
        if (other.name != s.name && refersTo(s.value, other.name))
          ++c[assigned.count(other.name) ? "construct:stacked-layer"
                                         : "construct:state-from-other-state"];
      assigned.insert(s.name);
    }
    countExpr(s.value, c, subtrees);
  }
  for (const auto &[text, n] : subtrees)
    if (n > 1 && text.find('(') != std::string::npos)
      ++c["construct:repeated-subexpr"];
}

} // namespace rnnc::difftest
