//===- IRGen.h - Lowering a checked model to IR (internal) ------*- C++ -*-===//
///
/// \file
/// The class behind lowerToIR, shared by IRGen.cpp (model, step, statements)
/// and IRGenExpr.cpp (one IR op per expression). It lowers what Sema
/// accepted: ir::Builder types every op, and each dimension takes its name
/// from the symbolic shape Sema recorded, evaluated with the bindings' sizes,
/// so no shape rule is written here; the only errors left are sizes above
/// the limits. Internal to frontend/.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "frontend/Frontend.h"
#include "frontend/Sema.h"
#include "ir/Builder.h"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace rnnc::frontend::detail {

using ir::Dim;
using ir::OpKind;
using ir::TensorType;
using ir::Value;

class IRGen {
public:
  IRGen(const CheckedModel &model, const ModelBindings &bindings,
        DiagnosticEngine &diags)
      : model_(model), bindings_(bindings), diags_(diags),
        startErrors_(diags.errorCount()) {}

  std::unique_ptr<ir::Module> run();

private:
  bool bindSizes();
  /// The concrete type of a symbolic shape; reports a size above the limits
  /// at `loc` (then `failed()`).
  TensorType typeOf(const SymShape &shape, SourceLocation loc);
  Dim dimOf(const DimPoly &d, SourceLocation loc);
  bool checkElements(const TensorType &type, const std::string &what,
                     SourceLocation loc);
  void lowerStep(ir::Function &fn);
  void collectNames(const ast::Expr &e, std::set<std::string> &names);
  /// Whether `e` holds a `dropout` call with a rate above 0.
  static bool hasActiveDropout(const ast::Expr &e);
  Value *lowerDropout(const ast::Expr &e);

  Value *lowerExpr(const ast::Expr &e);
  Value *lowerName(const ast::Expr &e);
  Value *lowerCall(const ast::Expr &e);
  /// sum, mean, max, layer_norm; `a @ transpose(P)`; an elementwise op
  /// whose operand has a kept reduction axis (IRGenRowFunctions.cpp).
  Value *lowerRowFunction(const ast::Expr &e);
  Value *lowerTransposedProduct(const ast::Expr &e);
  Value *lowerElementwise(OpKind kind, Value *lhs, Value *rhs, const ast::Expr &e);
  /// The op for `e`, typed by ir::Builder.
  Value *emit(OpKind kind, std::vector<Value *> operands, const ast::Expr &e,
              ir::AttributeMap attrs = {});
  /// `v` with the dimension names of Sema's shape for `e`.
  Value *nameDims(Value *v, const ast::Expr &e);
  void lowerStatement(const ast::Stmt &stmt);

  const CheckedModel &model_;
  const ModelBindings &bindings_;
  DiagnosticEngine &diags_;
  unsigned startErrors_;
  bool failed() const { return diags_.errorCount() != startErrors_; }
  std::unique_ptr<ir::Module> module_;
  std::vector<std::optional<int64_t>> sizes_; ///< Per symbol.

  ir::Block *body_ = nullptr;
  std::map<std::string, Value *> values_; ///< Current value of each name.
  Value *inputSlice_ = nullptr; ///< i32[B] token ids of this step.
  Value *onehot_ = nullptr;     ///< f32[B,V], made at first use.
  Value *logits_ = nullptr;
  Value *dropoutKey_ = nullptr; ///< i32[5] key of this step, when training.
  int64_t dropoutSalt_ = 0;     ///< Dropout calls lowered so far.
};

} // namespace rnnc::frontend::detail
