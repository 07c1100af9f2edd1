//===- IRGen.cpp - Sema and lowering of a model to the `@forward` IR ------===//
///
/// \file
/// Checks a model and lowers it, in one walk, so the shape rules exist once
/// (parseModel runs this with a placeholder vocabulary as its sema).
///   1. bind dimensions: `V: vocab` from the bindings, `H = 256` from the
///      file, B and T from the train block (or the bindings);
///   2. params become `@forward` arguments (role param), states arguments of
///      type [B, ...] (role state), then the token input `x: i32[T,B]`;
///   3. one `scan` op: carried = the states, sequence = x, invariants = the
///      params the step uses (declaration order); its body lowers the step's
///      statements, giving each state name its newest value;
///   4. the body yields the new states and the logits; `@forward` returns
///      the stacked logits [T,B,V] and the final states.
/// Tests: test/lit/frontend, test/lit/diagnostics, test/unit/FrontendLoweringTest.cpp.
///
//===----------------------------------------------------------------------===//
#include "frontend/IRGen.h"
#include "frontend/TrainSema.h"

#include <cmath>

namespace rnnc::frontend {
namespace detail {

bool IRGen::declare(const std::string &name, Binding b) {
  auto [it, fresh] = names_.emplace(name, b);
  if (fresh)
    return true;
  diags_.error(b.loc, "redefinition of '" + name + "'");
  diags_.note(it->second.loc, "previous definition is here");
  return false;
}

bool IRGen::bindModelArgs(const ast::Model &model) {
  bool ok = true;
  for (const ast::ModelArg &arg : model.args) {
    Binding b;
    b.kind = Binding::Dimension;
    b.loc = arg.loc;
    if (!declare(arg.name, b)) {
      ok = false;
      continue;
    }
    if (arg.isVocab) {
      if (arg.kind != "vocab") {
        diags_.error(arg.kindLoc, "unknown dimension kind '" + arg.kind +
                                      "', expected 'vocab' (or '= SIZE')");
        ok = false;
        continue;
      }
      if (!bindings_.vocab) {
        diags_.error(arg.loc, "no size for vocab dimension '" + arg.name +
                                  "': bind it (e.g. --vocab N)");
        ok = false;
        continue;
      }
      dims_[arg.name] = Dim{*bindings_.vocab, arg.name};
      vocabDims_.insert(arg.name);
      continue;
    }
    double v = arg.defaultValue;
    if (v < 1 || v != std::floor(v) || v > 1e9) {
      diags_.error(arg.kindLoc, "dimension '" + arg.name +
                                    "' must be a positive integer, got " +
                                    arg.defaultText);
      ok = false;
      continue;
    }
    dims_[arg.name] = Dim{static_cast<int64_t>(v), arg.name};
  }
  return ok;
}

std::optional<std::vector<Dim>> IRGen::resolveShape(const ast::Shape &shape) {
  std::vector<Dim> dims;
  bool ok = true;
  for (const auto &d : shape.dims) {
    std::optional<int64_t> size = evalDimExpr(*d);
    if (!size) {
      ok = false;
      continue;
    }
    if (*size < 1 || *size > (int64_t{1} << 31)) {
      diags_.error(d->begin, "a dimension size must be a positive integer, got " +
                               std::to_string(*size));
      ok = false;
      continue;
    }
    std::string name = d->kind == ast::ExprKind::Name ? d->text : "";
    dims.push_back(Dim{*size, name});
  }
  if (!ok)
    return std::nullopt;
  return dims;
}


void IRGen::lowerStatement(const ast::Stmt &stmt, bool &returned) {
  if (returned) {
    diags_.error(stmt.loc, "statement after return");
    return;
  }
  Value *value = lowerExpr(*stmt.value);
  switch (stmt.kind) {
  case ast::Stmt::Let: {
    Binding b;
    b.kind = Binding::Let;
    b.loc = stmt.loc;
    b.value = value;
    if (declare(stmt.name, b) && value && value->name().empty() &&
        value->definingOp())
      value->setName(stmt.name);
    return;
  }
  case ast::Stmt::Return: {
    returned = true;
    if (!value)
      return;
    TensorType want = TensorType::f32({batch_, inputVocab_});
    if (value->type() != want) {
      diags_.error(stmt.value->begin, "the step must return logits of shape " +
                                        want.shapeStr() + ", got " +
                                        value->type().shapeStr());
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
  Binding &b = it->second;
  switch (b.kind) {
  case Binding::Param:
    diags_.error(stmt.loc, "cannot assign to param '" + stmt.name +
                               "' (params change only by training)");
    return;
  case Binding::Let:
    diags_.error(stmt.loc, "cannot assign to let value '" + stmt.name +
                               "' (let values are immutable)");
    return;
  case Binding::Input:
    diags_.error(stmt.loc, "cannot assign to the input '" + stmt.name + "'");
    return;
  case Binding::Dimension:
    diags_.error(stmt.loc, "cannot assign to dimension '" + stmt.name + "'");
    return;
  case Binding::State:
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
    b.value = nullptr;
    return;
  }
  // The old value's type is the declared one even when poisoned.
  TensorType want = body_->argument(b.index)->type();
  if (value->type() != want) {
    diags_.error(stmt.value->begin, "shape mismatch: cannot assign " +
                                      value->type().shapeStr() + " to state '" +
                                      stmt.name + "' of shape " + want.shapeStr());
    b.value = nullptr;
    return;
  }
  b.value = value;
}

void IRGen::lowerStep(const ast::Model &model, ir::Function &fn) {
  const ast::StepDecl &step = *model.step;
  step_ = &step;
  if (step.inputKind != "onehot" && step.inputKind != "token") {
    diags_.error(step.inputKindLoc, "unknown input kind '" + step.inputKind +
                                        "', expected onehot or token");
    return;
  }
  tokenInput_ = step.inputKind == "token";
  const ast::DimRef &vd = step.vocabDim;
  if (vd.name.empty() || !vocabDims_.count(vd.name)) {
    if (vd.name.empty() || dims_.count(vd.name))
      diags_.error(vd.loc, "the input dimension must be a vocab dimension "
                           "(declared as 'NAME: vocab' in the model)");
    else if (!names_.count(vd.name))
      diags_.error(vd.loc, "unknown dimension '" + vd.name + "'");
    return;
  }
  inputVocab_ = dims_[vd.name];
  if (step.hasResultShape) {
    auto shape = resolveShape(step.resultShape);
    if (!shape)
      return;
    if (shape->size() != 1 || (*shape)[0] != inputVocab_) {
      diags_.error(step.resultShape.loc,
                   "the step's result must be [" + vd.name +
                       "] (logits over the vocabulary), got " +
                       TensorType::f32(*shape).shapeStr());
      return;
    }
  }
  Binding input;
  input.kind = Binding::Input;
  input.loc = step.inputLoc;
  if (!declare(step.inputName, input))
    return;
  Value *x = fn.addArgument(ir::ArgRole::Input, step.inputName,
                            TensorType::i32({seqLen_, batch_}));

  // The params the step reads become scan invariants, in declaration order.
  std::set<std::string> used;
  for (const ast::Stmt &s : step.body)
    collectNames(*s.value, used);
  std::vector<Value *> operands;
  for (const ast::VarDecl *s : states_)
    operands.push_back(fn.argumentNamed(s->name));
  operands.push_back(x);
  std::vector<const ast::VarDecl *> invariants;
  for (const ast::VarDecl &p : model.params)
    if (used.count(p.name) && fn.argumentNamed(p.name)) {
      invariants.push_back(&p);
      operands.push_back(fn.argumentNamed(p.name));
    }
  std::vector<TensorType> resultTypes;
  for (const ast::VarDecl *s : states_)
    resultTypes.push_back(fn.argumentNamed(s->name)->type());
  resultTypes.push_back(TensorType::f32({seqLen_, batch_, inputVocab_}));
  ir::Operation *scan = fn.body().create(
      OpKind::Scan, operands, resultTypes,
      {{"carried", static_cast<int64_t>(states_.size())},
       {"sequences", int64_t{1}},
       {"reverse", int64_t{0}}});
  scan->loc = step.loc;
  body_ = scan->addRegion();
  for (size_t i = 0; i < states_.size(); ++i) {
    Binding &b = names_[states_[i]->name];
    b.value = body_->addArgument(resultTypes[i], states_[i]->name);
  }
  inputSlice_ = body_->addArgument(TensorType::i32({batch_}), step.inputName);
  for (const ast::VarDecl *p : invariants)
    names_[p->name].value = body_->addArgument(
        fn.argumentNamed(p->name)->type(), p->name);

  bool returned = false;
  for (const ast::Stmt &s : step.body)
    lowerStatement(s, returned);
  if (!returned)
    diags_.error(step.closeLoc, "the step has no return statement "
                                "(it must return the logits)");
  for (size_t i = 0; i < states_.size(); ++i)
    if (!assignedAt_[i].isValid())
      diags_.error(states_[i]->loc, "state '" + states_[i]->name +
                                        "' is never assigned in the step");
  if (failed())
    return;

  std::vector<Value *> yielded;
  for (const ast::VarDecl *s : states_)
    yielded.push_back(names_[s->name].value);
  yielded.push_back(logits_);
  body_->create(OpKind::Yield, yielded, {});

  std::vector<Value *> returnedValues{scan->result(states_.size())};
  fn.resultNames = {"logits"};
  scan->result(states_.size())->setName("logits");
  for (size_t i = 0; i < states_.size(); ++i) {
    returnedValues.push_back(scan->result(i));
    scan->result(i)->setName(states_[i]->name);
    fn.resultNames.push_back(states_[i]->name);
  }
  fn.body().create(OpKind::Return, returnedValues, {});
}

std::unique_ptr<ir::Module> IRGen::run() {
  if (!program_.model) {
    diags_.error({1, 1}, "no model declaration: expected 'model NAME(...) { ... }'");
    return nullptr;
  }
  const ast::Model &model = *program_.model;
  module_ = std::make_unique<ir::Module>();
  module_->name = model.name;

  bool ok = checkTrainBlock(program_.train.get(), module_->train, diags_);
  if (bindings_.batch)
    module_->train.batch = *bindings_.batch;
  if (bindings_.seqLen)
    module_->train.seqLen = *bindings_.seqLen;
  batch_ = Dim{module_->train.batch, "B"};
  seqLen_ = Dim{module_->train.seqLen, "T"};
  ok &= bindModelArgs(model);

  ir::Function *fn = module_->addFunction("forward");
  for (size_t i = 0; i < model.params.size(); ++i) {
    const ast::VarDecl &p = model.params[i];
    Binding b;
    b.kind = Binding::Param;
    b.loc = p.loc;
    b.index = static_cast<int>(i);
    bool declared = declare(p.name, b);
    auto dims = resolveShape(p.shape);
    ir::ParamInit init;
    bool initOk = checkParamInit(p, init, diags_);
    if (!declared || !dims || !initOk) {
      ok = false;
      continue;
    }
    module_->paramInits[p.name] = init;
    fn->addArgument(ir::ArgRole::Param, p.name, TensorType::f32(*dims));
  }
  for (const ast::VarDecl &s : model.states) {
    Binding b;
    b.kind = Binding::State;
    b.loc = s.loc;
    b.index = static_cast<int>(states_.size());
    bool declared = declare(s.name, b);
    auto dims = resolveShape(s.shape);
    bool initOk = checkStateInit(s, diags_);
    if (!declared || !dims || !initOk) {
      ok = false;
      continue;
    }
    dims->insert(dims->begin(), batch_);
    fn->addArgument(ir::ArgRole::State, s.name, TensorType::f32(*dims));
    states_.push_back(&s);
    assignedAt_.push_back({});
  }
  if (!model.step) {
    diags_.error(model.loc, "model '" + model.name + "' has no step");
    return nullptr;
  }
  if (!ok)
    return nullptr; // the step's errors would mostly be echoes
  lowerStep(model, *fn);
  if (failed())
    return nullptr;
  return std::move(module_);
}


} // namespace detail

std::unique_ptr<ir::Module> lowerToIR(const ast::Program &program,
                                      const ModelBindings &bindings,
                                      DiagnosticEngine &diags) {
  if (bindings.vocab && *bindings.vocab < 1) {
    diags.error({}, "the vocabulary size must be positive");
    return nullptr;
  }
  if ((bindings.batch && *bindings.batch < 1) ||
      (bindings.seqLen && *bindings.seqLen < 1)) {
    diags.error({}, "batch and sequence length must be positive");
    return nullptr;
  }
  unsigned before = diags.errorCount();
  auto module = detail::IRGen(program, bindings, diags).run();
  if (diags.errorCount() != before)
    return nullptr;
  return module;
}

} // namespace rnnc::frontend
