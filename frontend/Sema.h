//===- Sema.h - Checking a model for every binding --------------*- C++ -*-===//
///
/// \file
/// Sema is its own step and needs no binding: it checks names, the train
/// block, initialisers and every shape of a program, with each dimension a
/// symbolic polynomial (DimPoly) over the model's dimension symbols and the
/// implicit batch B and time T. What it accepts lowers for every binding
/// whose sizes stay within the limits (kMaxDimension, kMaxElements);
/// lowering (IRGen) only evaluates the shapes recorded here. Internal to
/// frontend/ except for the summary the tools read (name, train, inits).
///
//===----------------------------------------------------------------------===//
#pragma once

#include "frontend/AST.h"
#include "frontend/DimPoly.h"
#include "ir/Diagnostics.h"
#include "ir/IR.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace rnnc::frontend {

using SymShape = std::vector<DimPoly>;

/// A dimension symbol: B (id 0), T (id 1), then each model argument.
struct DimSymbol {
  std::string name;
  SourceLocation loc;   ///< Invalid for the implicit B and T.
  bool isVocab = false; ///< Bound only when lowering.
  std::optional<int64_t> size; ///< `H = 256`: 256; B, T: the train block's.
};
constexpr int kBatchSymbol = 0, kTimeSymbol = 1;

struct CheckedVar {
  const ast::VarDecl *decl = nullptr;
  SymShape shape; ///< As declared (a state's batch axis not included).
};

/// A program accepted by sema, with the shape of every step expression.
struct CheckedModel {
  std::string name;
  SourceLocation loc; ///< The model declaration.
  ir::TrainConfig train;
  std::map<std::string, ir::ParamInit> paramInits;
  std::vector<DimSymbol> symbols;
  std::vector<CheckedVar> params, states;
  const ast::StepDecl *step = nullptr;
  int inputVocab = -1; ///< The symbol of `onehot[V]` / `token[V]`.
  bool tokenInput = false;
  /// Every value expression of the step, batch axis included (a scalar
  /// literal: rank 0).
  std::unordered_map<const ast::Expr *, SymShape> exprShapes;
  /// `slice(a, begin, end)`: the bounds.
  std::unordered_map<const ast::Expr *, std::pair<DimPoly, DimPoly>> sliceBounds;

  std::vector<std::string> symbolNames() const;
  /// `[B,H]`, `[B,E+H]`, `[256]`.
  std::string shapeStr(const SymShape &shape) const;
};

/// The functions of SemaRowFunctions.cpp: sum, mean, max, layer_norm,
/// transpose (checked there, lowered by IRGenRowFunctions.cpp).
bool isRowFunction(const std::string &name);

/// Checks `program` for every binding. Null (with diagnostics) on error.
std::unique_ptr<CheckedModel> checkProgram(const ast::Program &program,
                                           DiagnosticEngine &diags);

} // namespace rnnc::frontend
