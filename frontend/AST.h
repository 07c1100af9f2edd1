//===- AST.h - The rnnc DSL syntax tree -------------------------*- C++ -*-===//
///
/// \file
/// The abstract syntax of a model file, built from the ANTLR parse tree by
/// Parser.cpp, checked by Sema.cpp and lowered by IRGen.cpp. Every node carries the
/// `line:col` where it starts so sema can point at it. Nothing here knows
/// about ANTLR. Expressions are one node type with a kind (the DSL has only
/// five expression forms); their depth is bounded by the parser, so walking
/// them recursively is safe.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Diagnostics.h"

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

namespace rnnc::frontend {
struct CheckedModel;
}

namespace rnnc::frontend::ast {

enum class ExprKind { Number, Name, Neg, Binary, Call };

struct Expr {
  ExprKind kind = ExprKind::Number;
  SourceLocation loc;   ///< Where it is (a binary op: its operator).
  SourceLocation begin; ///< Where its text starts.
  double number = 0;      ///< Number: its value.
  std::string text;       ///< Number: spelling; Name/Call: the name.
  char op = 0;            ///< Binary: one of + - * / @.
  std::vector<std::unique_ptr<Expr>> operands; ///< Neg: 1, Binary: 2, Call: args.
  std::vector<std::string> argNames; ///< Call: parallel to operands ("" = positional).
  std::vector<SourceLocation> argNameLocs; ///< Call: where each `name =` starts.
};

/// A dimension in a shape: a name (`H`) or a literal size.
struct DimRef {
  std::string name; ///< Empty for a literal.
  int64_t size = 0; ///< The literal (unused when `name` is set).
  bool literalIsInteger = true;
  SourceLocation loc;
};

/// `[V, H]`, `[E + H, 4 * H]`: each dimension an integer expression.
struct Shape {
  std::vector<std::unique_ptr<Expr>> dims;
  SourceLocation loc;
};

/// `V: vocab` (vocab-bound) or `H = 256` (an integer with a default).
struct ModelArg {
  std::string name;
  SourceLocation loc;
  bool isVocab = false;
  std::string kind; ///< The word after `:` (should be `vocab`).
  SourceLocation kindLoc;
  double defaultValue = 0; ///< For `H = 256`.
  std::string defaultText;
};

/// `param NAME: SHAPE = INIT` and `state NAME: SHAPE = INIT`.
struct VarDecl {
  std::string name;
  SourceLocation loc;
  Shape shape;
  std::unique_ptr<Expr> init; ///< May be null.
};

struct Stmt {
  enum Kind { Let, Assign, Return } kind = Let;
  std::string name; ///< Let / Assign target.
  SourceLocation loc;
  std::unique_ptr<Expr> value;
};

/// `step(x: onehot[V]) -> [V] { ... }`
struct StepDecl {
  SourceLocation loc;
  std::string inputName;
  SourceLocation inputLoc;
  std::string inputKind; ///< `onehot` or `token` (checked by sema).
  SourceLocation inputKindLoc;
  DimRef vocabDim;
  bool hasResultShape = false;
  Shape resultShape;
  std::vector<Stmt> body;
  SourceLocation closeLoc; ///< The closing brace (for "no return").
};

struct Model {
  std::string name;
  SourceLocation loc;
  std::vector<ModelArg> args;
  std::vector<VarDecl> params;
  std::vector<VarDecl> states;
  std::unique_ptr<StepDecl> step;
  SourceLocation closeLoc;
};

struct TrainItem {
  std::string key;
  SourceLocation loc;
  std::unique_ptr<Expr> value;
};

struct TrainBlock {
  SourceLocation loc;
  std::vector<TrainItem> items;
};

struct Program {
  std::unique_ptr<Model> model;
  std::unique_ptr<TrainBlock> train; ///< May be null: defaults apply.
  /// Sema's result (set by parseModel; lowering reads it). It points into
  /// this tree, whose nodes are heap-allocated and never move.
  std::shared_ptr<const CheckedModel> checked;
};

/// Prints the tree as indented S-expressions with `line:col` (for
/// `rnnc emit --stage=ast` and its FileCheck tests).
void printProgram(const Program &program, std::ostream &os);

} // namespace rnnc::frontend::ast
