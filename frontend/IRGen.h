//===- IRGen.h - Sema + lowering of a model (internal) ----------*- C++ -*-===//
///
/// \file
/// The class behind lowerToIR, shared by IRGen.cpp (model, step, statements)
/// and IRGenExpr.cpp (expressions and their shape rules). Internal to
/// frontend/: nothing here is part of the public API.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "frontend/Frontend.h"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace rnnc::frontend::detail {

using ir::Dim;
using ir::OpKind;
using ir::TensorType;
using ir::Value;

/// What a name in the step refers to.
struct Binding {
  enum Kind { Dimension, Param, State, Let, Input } kind = Let;
  SourceLocation loc;     ///< Where it was declared.
  Value *value = nullptr; ///< Current value; null if poisoned by an error.
  int index = -1;         ///< Param / state index.
};


/// Checks and lowers one program; see IRGen.cpp for the algorithm.
class IRGen {
public:
  IRGen(const ast::Program &program, const ModelBindings &bindings,
        DiagnosticEngine &diags)
      : program_(program), bindings_(bindings), diags_(diags),
        startErrors_(diags.errorCount()) {}

  std::unique_ptr<ir::Module> run();

private:
  bool declare(const std::string &name, Binding b);
  bool bindModelArgs(const ast::Model &model);
  std::optional<std::vector<Dim>> resolveShape(const ast::Shape &shape);
  void lowerStep(const ast::Model &model, ir::Function &fn);
  void collectNames(const ast::Expr &e, std::set<std::string> &names);

  Value *lowerExpr(const ast::Expr &e);
  Value *lowerName(const ast::Expr &e);
  Value *lowerBinary(const ast::Expr &e);
  Value *lowerCall(const ast::Expr &e);
  Value *lowerEmbed(const ast::Expr &e);
  Value *lowerSlice(const ast::Expr &e, Value *x);
  std::optional<int64_t> evalDimExpr(const ast::Expr &e);
  Value *emit(OpKind kind, std::vector<Value *> operands, TensorType type,
              SourceLocation loc, ir::AttributeMap attrs = {});
  void lowerStatement(const ast::Stmt &stmt, bool &returned);

  const ast::Program &program_;
  const ModelBindings &bindings_;
  DiagnosticEngine &diags_;
  unsigned startErrors_;
  bool failed() const { return diags_.errorCount() != startErrors_; }
  std::unique_ptr<ir::Module> module_;

  std::map<std::string, Binding> names_;
  std::map<std::string, Dim> dims_;
  std::set<std::string> vocabDims_;
  Dim batch_, seqLen_;

  // Step lowering state.
  ir::Block *body_ = nullptr;
  const ast::StepDecl *step_ = nullptr;
  bool tokenInput_ = false;
  Value *inputSlice_ = nullptr; ///< i32[B] token ids of this step.
  Value *onehot_ = nullptr;     ///< f32[B,V], made at first use.
  Dim inputVocab_;
  std::vector<const ast::VarDecl *> states_;
  std::vector<SourceLocation> assignedAt_; ///< Per state; invalid if never.
  Value *logits_ = nullptr;
};


} // namespace rnnc::frontend::detail
