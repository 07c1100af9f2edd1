//===- RandomModel.h - A generated model as a tree that prints as DSL -*- C++ -*-===//
///
/// \file
/// The structured form of a model written by the differential tester: its
/// dimensions (names with sizes), its states, its input kind, the step body
/// as statement trees, and the train-block options. The generator builds it
/// (ModelGenerator.h), the reducer shrinks it (Reducer.h) and `printModel`
/// turns it into DSL text that `frontend::parseModel` must accept.
///
/// Every value in a step body is `[B, d]` (batched), `[d]` (a bias param) or
/// a scalar literal, where `d` is a DimSum: a sum of dimension names such as
/// `E + H`, compared as a multiset so `[E + H]` equals `[H + E]`. Shapes are
/// always written with names, never with a literal that happens to be equal,
/// so the model stays valid under a symbolic shape checker. Params are
/// created on demand by the generator and printed only while something
/// references them.
///
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace rnnc::difftest {

/// A last-axis size written as a sum of dimension names (`E + H`).
using DimSum = std::vector<std::string>;

/// True if `a` and `b` hold the same names (as multisets).
bool sameDim(const DimSum &a, const DimSum &b);
/// `E + H`, or `0` when empty.
std::string printDim(const DimSum &d);

struct Expr {
  enum Kind { Ref, Num, Neg, Add, Sub, Mul, Div, MatMul, Call, Concat, Slice, Embed };
  Kind kind = Num;
  std::string name; ///< Ref: a value or param; Call: the function; Embed: the table
  double num = 0;   ///< Num
  std::vector<Expr> args;
  DimSum dim;          ///< last axis of the result (empty for a scalar)
  bool batched = true; ///< [B, dim] rather than [dim]
  DimSum begin, end;   ///< Slice bounds
};

struct Stmt {
  enum Kind { Let, Assign, Return };
  Kind kind = Let;
  std::string name; ///< the let or the state assigned
  Expr value;
};

struct ParamDecl {
  std::string name;
  std::vector<DimSum> shape;
};

struct StateDecl {
  std::string name;
  DimSum dim;
};

/// A whole model; `dims` excludes V (bound to the vocabulary).
struct RandomModel {
  std::string name = "Gen";
  std::vector<std::pair<std::string, int64_t>> dims;
  int64_t vocab = 5, batch = 2, seqLen = 3;
  std::vector<ParamDecl> params;
  std::vector<StateDecl> states;
  bool tokenInput = false;
  std::vector<Stmt> body; ///< lets and assignments, then one Return
  bool hasTrainBlock = false;
  bool consecutive = false;

  /// Size of a dimension name (V included).
  int64_t size(const std::string &dim) const;
  int64_t size(const DimSum &d) const;
  const ParamDecl *param(const std::string &name) const;
  /// One-line summary of the sizes: `V=5 B=2 T=3 H=4 G=2`.
  std::string sizesLine() const;
};

/// The same model with every dimension times `factor` (at most 128) and
/// batch `batch`: large enough for the kernels to split products across
/// threads (runtime/kernels/KernelsParallel.h), for the JIT-only threads check.
RandomModel scaledUp(const RandomModel &model, int64_t factor = 16, int64_t batch = 32);

/// The model as DSL text (params that nothing references are left out).
std::string printModel(const RandomModel &model);
/// An expression as DSL text, parenthesised by precedence.
std::string printExpr(const Expr &e);

/// Adds one count per operator, function and construct the model uses
/// (`op:+`, `fn:tanh`, `construct:concat`, `construct:repeated-subexpr`...).
void countConstructs(const RandomModel &model, std::map<std::string, int64_t> &counts);

/// Number of statements in the step body (the return included).
inline size_t bodyLines(const RandomModel &m) { return m.body.size(); }

} // namespace rnnc::difftest
