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
/// Tests: test/lit/frontend, test/lit/diagnostics, test/unit/FrontendTest.cpp.
///
//===----------------------------------------------------------------------===//
#include "frontend/Frontend.h"
#include "frontend/TrainSema.h"

#include <cmath>
#include <functional>
#include <map>
#include <set>

namespace rnnc::frontend {

namespace {

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

bool isSuffix(const std::vector<Dim> &shortDims, const std::vector<Dim> &longDims) {
  if (shortDims.size() > longDims.size())
    return false;
  size_t off = longDims.size() - shortDims.size();
  for (size_t i = 0; i < shortDims.size(); ++i)
    if (shortDims[i] != longDims[off + i])
      return false;
  return true;
}

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

Value *IRGen::emit(OpKind kind, std::vector<Value *> operands, TensorType type,
                   SourceLocation loc, ir::AttributeMap attrs) {
  ir::Operation *op =
      body_->create(kind, std::move(operands), {std::move(type)}, std::move(attrs));
  op->loc = loc;
  return op->result();
}

void IRGen::collectNames(const ast::Expr &e, std::set<std::string> &names) {
  if (e.kind == ast::ExprKind::Name)
    names.insert(e.text);
  for (const auto &operand : e.operands)
    collectNames(*operand, names);
}

Value *IRGen::lowerName(const ast::Expr &e) {
  auto it = names_.find(e.text);
  if (it == names_.end()) {
    diags_.error(e.loc, "unknown name '" + e.text + "'");
    return nullptr;
  }
  Binding &b = it->second;
  switch (b.kind) {
  case Binding::Dimension:
    diags_.error(e.loc, "'" + e.text + "' is a dimension, not a value");
    return nullptr;
  case Binding::Input:
    if (tokenInput_) {
      diags_.error(e.loc, "token input '" + e.text +
                              "' can only be used as embed(TABLE, " + e.text + ")");
      return nullptr;
    }
    if (!onehot_) {
      // Made once at the top of the body, before any use.
      auto op = std::make_unique<ir::Operation>(
          OpKind::OneHot, std::vector<Value *>{inputSlice_},
          std::vector<TensorType>{TensorType::f32({batch_, inputVocab_})},
          ir::AttributeMap{{"depth", inputVocab_.size}});
      op->loc = step_->inputLoc;
      onehot_ = body_->insert(0, std::move(op))->result();
    }
    return onehot_;
  default:
    return b.value; // null when poisoned: the error was already reported
  }
}

Value *IRGen::lowerBinary(const ast::Expr &e) {
  Value *lhs = lowerExpr(*e.operands[0]);
  Value *rhs = lowerExpr(*e.operands[1]);
  if (!lhs || !rhs)
    return nullptr;
  const TensorType &a = lhs->type(), &b = rhs->type();
  std::string mismatch = "shape mismatch: " + a.shapeStr() + " " + e.op + " " +
                         b.shapeStr();
  if (e.op == '@') {
    if (a.rank() < 1 || b.rank() != 2 || a.dims().back() != b.dims()[0]) {
      diags_.error(e.loc, mismatch);
      return nullptr;
    }
    std::vector<Dim> dims(a.dims().begin(), a.dims().end() - 1);
    dims.push_back(b.dims()[1]);
    return emit(OpKind::MatMul, {lhs, rhs}, TensorType::f32(dims), e.loc);
  }
  const TensorType *result = nullptr;
  if (isSuffix(b.dims(), a.dims()))
    result = &a;
  else if (isSuffix(a.dims(), b.dims()))
    result = &b;
  if (!result) {
    diags_.error(e.loc, mismatch);
    return nullptr;
  }
  OpKind kind = e.op == '+'   ? OpKind::Add
                : e.op == '-' ? OpKind::Sub
                : e.op == '*' ? OpKind::Mul
                              : OpKind::Div;
  return emit(kind, {lhs, rhs}, *result, e.loc);
}

std::optional<int64_t> IRGen::evalDimExpr(const ast::Expr &e) {
  switch (e.kind) {
  case ast::ExprKind::Number:
    if (e.number == std::floor(e.number) && std::fabs(e.number) < 1e9)
      return static_cast<int64_t>(e.number);
    break;
  case ast::ExprKind::Name: {
    if (auto it = dims_.find(e.text); it != dims_.end())
      return it->second.size;
    auto known = names_.find(e.text);
    if (known == names_.end()) {
      std::string hint = e.text == "B" || e.text == "T"
                             ? " (the batch and time dimensions are implicit)"
                             : "";
      diags_.error(e.loc, "unknown dimension '" + e.text + "'" + hint);
    } else if (known->second.kind != Binding::Dimension) {
      diags_.error(e.loc, "'" + e.text + "' is not a dimension");
    } // else: a dimension whose declaration failed, already reported
    return std::nullopt;
  }
  case ast::ExprKind::Neg:
    if (auto v = evalDimExpr(*e.operands[0]))
      return -*v;
    return std::nullopt;
  case ast::ExprKind::Binary: {
    auto l = evalDimExpr(*e.operands[0]);
    auto r = evalDimExpr(*e.operands[1]);
    if (!l || !r)
      return std::nullopt;
    if (e.op == '+')
      return *l + *r;
    if (e.op == '-')
      return *l - *r;
    if (e.op == '*' && std::llabs(*l) < (1 << 30) && std::llabs(*r) < (1 << 30))
      return *l * *r;
    break;
  }
  default:
    break;
  }
  diags_.error(e.loc, "expected an integer expression of dimensions "
                      "(e.g. 2 * H)");
  return std::nullopt;
}

Value *IRGen::lowerSlice(const ast::Expr &e, Value *x) {
  auto begin = evalDimExpr(*e.operands[1]);
  auto end = evalDimExpr(*e.operands[2]);
  if (!begin || !end)
    return nullptr;
  const TensorType &t = x->type();
  int64_t size = t.rank() ? t.dims().back().size : 0;
  if (t.rank() == 0 || *begin < 0 || *end > size || *begin >= *end) {
    diags_.error(e.loc, "slice [" + std::to_string(*begin) + ", " +
                            std::to_string(*end) +
                            ") is out of range for a last axis of size " +
                            std::to_string(size) + " (" + t.shapeStr() + ")");
    return nullptr;
  }
  std::vector<Dim> dims = t.dims();
  dims.back() = Dim{*end - *begin, ""};
  for (const auto &[name, d] : dims_)
    if (d.size == *end - *begin && *begin % d.size == 0)
      dims.back().name = name; // `slice(g, H, 2*H)` keeps the name H
  return emit(OpKind::Slice, {x}, TensorType::f32(dims), e.loc,
              {{"begin", *begin}, {"end", *end}});
}

Value *IRGen::lowerEmbed(const ast::Expr &e) {
  const ast::Expr &table = *e.operands[0], &index = *e.operands[1];
  auto inputIt = names_.find(index.text);
  if (index.kind != ast::ExprKind::Name || inputIt == names_.end() ||
      inputIt->second.kind != Binding::Input) {
    diags_.error(index.loc, "the second argument of embed() must be the step's "
                            "token input");
    return nullptr;
  }
  if (!tokenInput_) {
    diags_.error(index.loc, "embed() needs a token input; '" + index.text +
                                "' is declared onehot");
    return nullptr;
  }
  auto tableIt = names_.find(table.text);
  if (table.kind != ast::ExprKind::Name || tableIt == names_.end() ||
      tableIt->second.kind != Binding::Param) {
    diags_.error(table.loc, "the first argument of embed() must be a param "
                            "table of shape [V, E]");
    return nullptr;
  }
  Value *t = tableIt->second.value;
  if (!t)
    return nullptr;
  if (t->type().rank() != 2 || t->type().dims()[0] != inputVocab_) {
    diags_.error(table.loc, "shape mismatch: embedding table " +
                                t->type().shapeStr() + " must have " +
                                inputVocab_.name + " rows");
    return nullptr;
  }
  return emit(OpKind::Gather, {t, inputSlice_},
              TensorType::f32({batch_, t->type().dims()[1]}), e.loc);
}

Value *IRGen::lowerCall(const ast::Expr &e) {
  static const std::map<std::string, OpKind> kUnary = {
      {"tanh", OpKind::Tanh}, {"sigmoid", OpKind::Sigmoid},
      {"relu", OpKind::Relu}, {"exp", OpKind::Exp}, {"log", OpKind::Log}};
  size_t arity = e.operands.size();
  auto unary = kUnary.find(e.text);
  size_t want = unary != kUnary.end() ? 1
                : e.text == "embed"   ? 2
                : e.text == "slice"   ? 3
                : e.text == "concat"  ? 2
                                      : 0;
  if (want == 0) {
    diags_.error(e.loc, "unknown function '" + e.text +
                            "' (expected tanh, sigmoid, relu, exp, log, "
                            "concat, slice or embed)");
    return nullptr;
  }
  bool atLeast = e.text == "concat";
  if (atLeast ? arity < want : arity != want) {
    diags_.error(e.loc, "'" + e.text + "' takes " + (atLeast ? "at least " : "") +
                            std::to_string(want) + " argument" +
                            (want == 1 ? "" : "s") + ", got " +
                            std::to_string(arity));
    return nullptr;
  }
  for (size_t i = 0; i < arity; ++i)
    if (!e.argNames[i].empty()) {
      diags_.error(e.argNameLocs[i], "'" + e.text +
                                         "' takes no named arguments");
      return nullptr;
    }
  if (e.text == "embed")
    return lowerEmbed(e);
  Value *first = lowerExpr(*e.operands[0]);
  if (!first)
    return nullptr;
  if (unary != kUnary.end())
    return emit(unary->second, {first}, first->type(), e.loc);
  if (e.text == "slice")
    return lowerSlice(e, first);
  // concat: equal leading axes, summed last axis.
  std::vector<Value *> parts{first};
  std::vector<Dim> dims = first->type().dims();
  for (size_t i = 1; i < arity; ++i) {
    Value *v = lowerExpr(*e.operands[i]);
    if (!v)
      return nullptr;
    const auto &d = v->type().dims();
    bool leadingEqual = d.size() == dims.size() && !d.empty() &&
                        std::equal(d.begin(), d.end() - 1, dims.begin());
    if (!leadingEqual) {
      diags_.error(e.operands[i]->begin,
                   "shape mismatch in concat: " + first->type().shapeStr() +
                       " and " + v->type().shapeStr() +
                       " (all but the last axis must agree)");
      return nullptr;
    }
    dims.back() = Dim{dims.back().size + d.back().size, ""};
    parts.push_back(v);
  }
  return emit(OpKind::Concat, parts, TensorType::f32(dims), e.loc);
}

Value *IRGen::lowerExpr(const ast::Expr &e) {
  switch (e.kind) {
  case ast::ExprKind::Number:
    return emit(OpKind::Constant, {}, TensorType::f32({}), e.loc,
                {{"value", e.number}});
  case ast::ExprKind::Name:
    return lowerName(e);
  case ast::ExprKind::Neg: {
    Value *x = lowerExpr(*e.operands[0]);
    return x ? emit(OpKind::Neg, {x}, x->type(), e.loc) : nullptr;
  }
  case ast::ExprKind::Binary:
    return lowerBinary(e);
  case ast::ExprKind::Call:
    return lowerCall(e);
  }
  return nullptr;
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

} // namespace

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
  auto module = IRGen(program, bindings, diags).run();
  if (diags.errorCount() != before)
    return nullptr;
  return module;
}

} // namespace rnnc::frontend
