//===- SemaStep.cpp - Checking the step and its statements ----------------===//
///
/// \file
/// The step of a model: its input (onehot or token over a vocab symbol),
/// its statements in order (a `let` binds a shape, a state assignment must
/// keep the state's declared shape and happen once, `return` gives logits
/// [B, V]) and what must hold at its end (every state assigned, one return).
///
//===----------------------------------------------------------------------===//
#include "frontend/SemaImpl.h"

namespace rnnc::frontend::detail {

void Sema::checkStatement(const ast::Stmt &stmt, bool &returned) {
  if (returned) {
    diags_.error(stmt.loc, "statement after return");
    return;
  }
  std::optional<SymShape> value = checkExpr(*stmt.value);
  switch (stmt.kind) {
  case ast::Stmt::Let: {
    SemaBinding b;
    b.kind = SemaBinding::Let;
    b.loc = stmt.loc;
    b.shape = value;
    declare(stmt.name, b);
    return;
  }
  case ast::Stmt::Return: {
    returned = true;
    if (!value)
      return;
    SymShape want{DimPoly::symbol(kBatchSymbol),
                  DimPoly::symbol(model_->inputVocab)};
    if (*value != want) {
      diags_.error(stmt.value->begin, "the step must return logits of shape " +
                                          shapeStr(want) + ", got " +
                                          shapeStr(*value));
      noteCoincidences(stmt.value->begin, want, *value);
      return;
    }
    logits_ = value;
    return;
  }
  case ast::Stmt::Assign:
    break;
  }
  auto it = names_.find(stmt.name);
  if (it == names_.end()) {
    diags_.error(stmt.loc, "unknown name '" + stmt.name + "'");
    return;
  }
  SemaBinding &b = it->second;
  switch (b.kind) {
  case SemaBinding::Param:
    diags_.error(stmt.loc, "cannot assign to param '" + stmt.name +
                               "' (params change only by training)");
    return;
  case SemaBinding::Let:
    diags_.error(stmt.loc, "cannot assign to let value '" + stmt.name +
                               "' (let values are immutable)");
    return;
  case SemaBinding::Input:
    diags_.error(stmt.loc, "cannot assign to the input '" + stmt.name + "'");
    return;
  case SemaBinding::Dimension:
    diags_.error(stmt.loc, "cannot assign to dimension '" + stmt.name + "'");
    return;
  case SemaBinding::State:
    break;
  }
  SourceLocation &first = assignedAt_[b.index];
  if (first.isValid()) {
    diags_.error(stmt.loc, "state '" + stmt.name + "' is assigned twice in the step");
    diags_.note(first, "first assigned here");
    return;
  }
  first = stmt.loc;
  if (!value) {
    b.shape = std::nullopt;
    return;
  }
  // The old value's shape is the declared one even when poisoned.
  SymShape want = model_->states[b.index].shape;
  want.insert(want.begin(), DimPoly::symbol(kBatchSymbol));
  if (*value != want) {
    diags_.error(stmt.value->begin, "shape mismatch: cannot assign " +
                                        shapeStr(*value) + " to state '" +
                                        stmt.name + "' of shape " + shapeStr(want));
    noteCoincidences(stmt.value->begin, want, *value);
    b.shape = std::nullopt;
    return;
  }
  b.shape = value;
}

void Sema::checkStep(const ast::Model &model) {
  const ast::StepDecl &step = *model.step;
  model_->step = &step;
  if (step.inputKind != "onehot" && step.inputKind != "token") {
    diags_.error(step.inputKindLoc, "unknown input kind '" + step.inputKind +
                                        "', expected onehot or token");
    return;
  }
  model_->tokenInput = step.inputKind == "token";
  const ast::DimRef &vd = step.vocabDim;
  auto vocabIt = names_.find(vd.name);
  bool isVocab = !vd.name.empty() && vocabIt != names_.end() &&
                 vocabIt->second.kind == SemaBinding::Dimension &&
                 vocabIt->second.symbol >= 0 &&
                 model_->symbols[vocabIt->second.symbol].isVocab;
  if (!isVocab) {
    if (vd.name.empty() || vocabIt != names_.end()) {
      if (vd.name.empty() || vocabIt->second.kind == SemaBinding::Dimension)
        diags_.error(vd.loc, "the input dimension must be a vocab dimension "
                             "(declared as 'NAME: vocab' in the model)");
      else
        diags_.error(vd.loc, "unknown dimension '" + vd.name + "'");
    } else {
      diags_.error(vd.loc, "unknown dimension '" + vd.name + "'");
    }
    return;
  }
  model_->inputVocab = vocabIt->second.symbol;
  if (step.hasResultShape) {
    auto shape = resolveShape(step.resultShape);
    if (!shape)
      return;
    if (shape->size() != 1 || (*shape)[0] != DimPoly::symbol(model_->inputVocab)) {
      diags_.error(step.resultShape.loc,
                   "the step's result must be [" + vd.name +
                       "] (logits over the vocabulary), got " + shapeStr(*shape));
      return;
    }
  }
  SemaBinding input;
  input.kind = SemaBinding::Input;
  input.loc = step.inputLoc;
  if (!declare(step.inputName, input))
    return;
  for (const CheckedVar &s : model_->states) {
    SymShape shape = s.shape;
    shape.insert(shape.begin(), DimPoly::symbol(kBatchSymbol));
    names_[s.decl->name].shape = shape;
  }

  bool returned = false;
  for (const ast::Stmt &s : step.body)
    checkStatement(s, returned);
  if (!returned)
    diags_.error(step.closeLoc, "the step has no return statement "
                                "(it must return the logits)");
  for (size_t i = 0; i < model_->states.size(); ++i)
    if (!assignedAt_[i].isValid())
      diags_.error(model_->states[i].decl->loc,
                   "state '" + model_->states[i].decl->name +
                       "' is never assigned in the step");
}

} // namespace rnnc::frontend::detail
