//===- SemaImpl.h - The class behind checkProgram (internal) ----*- C++ -*-===//
///
/// \file
/// Shared by Sema.cpp (model, params, states, statements) and SemaExpr.cpp
/// (expressions and their shape rules, written once, symbolically).
///
//===----------------------------------------------------------------------===//
#pragma once

#include "frontend/Sema.h"

#include <set>

namespace rnnc::frontend::detail {

/// What a name in the model refers to.
struct SemaBinding {
  enum Kind { Dimension, Param, State, Let, Input } kind = Let;
  SourceLocation loc;
  std::optional<SymShape> shape; ///< Null if poisoned by an error.
  int index = -1;  ///< Param / state index.
  int symbol = -1; ///< Dimension: its symbol (-1 if its declaration failed).
};

/// The shape of an elementwise op whose operands are equal but for the
/// last axis, where one has size 1 (a kept reduction axis); else nullopt.
std::optional<SymShape> rowBroadcastShape(const SymShape &a, const SymShape &b);

class Sema {
public:
  Sema(const ast::Program &program, DiagnosticEngine &diags)
      : program_(program), diags_(diags), startErrors_(diags.errorCount()) {}
  std::unique_ptr<CheckedModel> run();

private:
  bool declare(const std::string &name, SemaBinding b);
  bool bindModelArgs(const ast::Model &model);
  std::optional<SymShape> resolveShape(const ast::Shape &shape);
  std::optional<DimPoly> evalDimExpr(const ast::Expr &e);
  bool checkDimension(const DimPoly &d, const ast::Expr &e);
  /// Per symbol: the size fixed by the file (`H = 256`), none for the
  /// bound ones (vocab, B, T). Range proofs substitute these.
  std::vector<std::optional<int64_t>> fixedSizes() const;
  bool checkSize(const CheckedVar &var, bool isState);
  void checkStep(const ast::Model &model);
  void checkStatement(const ast::Stmt &stmt, bool &returned);

  std::optional<SymShape> checkExpr(const ast::Expr &e);
  std::optional<SymShape> checkName(const ast::Expr &e);
  std::optional<SymShape> checkBinary(const ast::Expr &e);
  std::optional<SymShape> checkCall(const ast::Expr &e);
  std::optional<SymShape> checkEmbed(const ast::Expr &e);
  std::optional<SymShape> checkSlice(const ast::Expr &e, const SymShape &x);
  /// sum, mean, max, layer_norm, and transpose outside `@` (an error);
  /// transpose as the right operand of `@` (SemaRowFunctions.cpp).
  std::optional<SymShape> checkRowFunction(const ast::Expr &e);
  std::optional<SymShape> checkTransposed(const ast::Expr &e);
  /// dropout(x, p): x has the batch axis, p a literal in [0, 1).
  std::optional<SymShape> checkDropout(const ast::Expr &e, const SymShape &x);
  std::optional<SymShape> record(const ast::Expr &e, SymShape shape);
  /// Notes each pair of different dimensions whose sizes coincide today.
  void noteCoincidences(SourceLocation at, const SymShape &a, const SymShape &b);
  std::string shapeStr(const SymShape &s) const { return model_->shapeStr(s); }

  const ast::Program &program_;
  DiagnosticEngine &diags_;
  unsigned startErrors_;
  bool failed() const { return diags_.errorCount() != startErrors_; }
  std::unique_ptr<CheckedModel> model_;
  std::map<std::string, SemaBinding> names_;
  std::vector<SourceLocation> assignedAt_; ///< Per state; invalid if never.
  std::optional<SymShape> logits_;
  int64_t knownParamElements_ = 0; ///< Of the params not sized by the vocab.
};

} // namespace rnnc::frontend::detail
