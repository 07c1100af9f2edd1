//===- IRGen.cpp - Lowering a checked model to the `@forward` IR ----------===//
///
/// \file
/// Specialises a model accepted by Sema to concrete sizes and builds its
/// `@forward` function. Every type is Sema's symbolic shape evaluated with
/// the bindings (a dimension keeps the symbol's name when it is exactly one
/// symbol), so the shape rules are not repeated here.
///   1. bind sizes: `V: vocab` from the bindings, `H = 256` from the file,
///      B and T from the bindings or the train block;
///   2. params become `@forward` arguments (role param), states arguments of
///      type [B, ...] (role state), then the token input `x: i32[T,B]`; each
///      within kMaxElements (the only errors left: sizes that depend on the
///      binding);
///   3. one `scan` op: carried = the states, sequence = x, invariants = the
///      params the step uses (declaration order); its body lowers the step's
///      statements, giving each state name its newest value;
///   3b. training with dropout (ModelBindings::training): `@forward` also
///      takes `dropout_key: i32[T, 5]` (role key), a second scan sequence
///      whose per-step row every `dropout` op reads; otherwise dropout
///      lowers to its operand;
///   4. the body yields the new states and the logits; `@forward` returns
///      the stacked logits [T,B,V] and the final states.
/// Tests: test/lit/frontend, test/lit/diagnostics, test/unit/FrontendLoweringTest.cpp.
///
//===----------------------------------------------------------------------===//
#include "frontend/IRGen.h"

#include "ir/DropoutMask.h"

namespace rnnc::frontend {
namespace detail {

bool IRGen::bindSizes() {
  bool ok = true;
  for (const DimSymbol &s : model_.symbols) {
    std::optional<int64_t> size = s.size;
    if (s.isVocab) {
      size = bindings_.vocab;
      if (!size) {
        diags_.error(s.loc, "no size for vocab dimension '" + s.name +
                                "': bind it (e.g. --vocab N)");
        ok = false;
      }
    }
    sizes_.push_back(size);
  }
  sizes_[kBatchSymbol] = module_->train.batch;
  sizes_[kTimeSymbol] = module_->train.seqLen;
  return ok;
}

Dim IRGen::dimOf(const DimPoly &d, SourceLocation loc) {
  std::optional<int64_t> size = d.evaluate(sizes_);
  std::optional<int> sym = d.singleSymbol();
  std::string name = sym ? model_.symbols[*sym].name : "";
  if (!size || *size < 1 || *size > kMaxDimension) {
    diags_.error(loc, "dimension " + d.str(model_.symbolNames()) + " is " +
                          (size ? std::to_string(*size) : "above 2^63") +
                          " with these sizes; a dimension must be in [1, " +
                          std::to_string(kMaxDimension) + "]");
    return Dim{1, name};
  }
  return Dim{*size, name};
}

TensorType IRGen::typeOf(const SymShape &shape, SourceLocation loc) {
  std::vector<Dim> dims;
  for (const DimPoly &d : shape)
    dims.push_back(dimOf(d, loc));
  return TensorType::f32(dims);
}

bool IRGen::checkElements(const TensorType &type, const std::string &what,
                          SourceLocation loc) {
  int64_t count = 1;
  bool overflow = false;
  for (const Dim &d : type.dims())
    overflow |= __builtin_mul_overflow(count, d.size, &count);
  if (!overflow && count <= kMaxElements)
    return true;
  diags_.error(loc, what + " has " +
                        (overflow ? std::string("more than 2^63")
                                  : std::to_string(count)) +
                        " elements; the limit is " + std::to_string(kMaxElements));
  return false;
}

void IRGen::lowerStatement(const ast::Stmt &stmt) {
  Value *value = lowerExpr(*stmt.value);
  if (!value)
    return;
  switch (stmt.kind) {
  case ast::Stmt::Let:
    values_[stmt.name] = value;
    if (value->name().empty() && value->definingOp())
      value->setName(stmt.name);
    return;
  case ast::Stmt::Return:
    logits_ = value;
    return;
  case ast::Stmt::Assign:
    values_[stmt.name] = value;
    return;
  }
}

void IRGen::lowerStep(ir::Function &fn) {
  const ast::StepDecl &step = *model_.step;
  Dim batch = dimOf(DimPoly::symbol(kBatchSymbol), step.loc);
  Dim time = dimOf(DimPoly::symbol(kTimeSymbol), step.loc);
  Dim vocab = dimOf(DimPoly::symbol(model_.inputVocab), step.loc);
  Value *x = fn.addArgument(ir::ArgRole::Input, step.inputName,
                            TensorType::i32({time, batch}));
  // Training a model with dropout: the key of each time step is a second
  // sequence (ir/DropoutMask.h).
  bool dropout = false;
  for (const ast::Stmt &s : step.body)
    dropout = dropout || (bindings_.training && hasActiveDropout(*s.value));
  Dim keyWords{ir::kKeyWords, ""};
  Value *key = dropout ? fn.addArgument(ir::ArgRole::Key, "dropout_key",
                                        TensorType::i32({time, keyWords}))
                       : nullptr;

  // The params the step reads become scan invariants, in declaration order.
  std::set<std::string> used;
  for (const ast::Stmt &s : step.body)
    collectNames(*s.value, used);
  std::vector<Value *> operands;
  for (const CheckedVar &s : model_.states)
    operands.push_back(fn.argumentNamed(s.decl->name));
  operands.push_back(x);
  if (key)
    operands.push_back(key);
  std::vector<const CheckedVar *> invariants;
  for (const CheckedVar &p : model_.params)
    if (used.count(p.decl->name)) {
      invariants.push_back(&p);
      operands.push_back(fn.argumentNamed(p.decl->name));
    }
  TensorType logits = TensorType::f32({time, batch, vocab});
  checkElements(logits, "the logits output", step.loc);
  auto body = std::make_unique<ir::Block>();
  body_ = body.get();
  for (const CheckedVar &s : model_.states) {
    const std::string &name = s.decl->name;
    values_[name] = body_->addArgument(fn.argumentNamed(name)->type(), name);
  }
  inputSlice_ = body_->addArgument(TensorType::i32({batch}), step.inputName);
  if (key)
    dropoutKey_ = body_->addArgument(TensorType::i32({keyWords}), "dropout_key");
  for (const CheckedVar *p : invariants)
    values_[p->decl->name] = body_->addArgument(
        fn.argumentNamed(p->decl->name)->type(), p->decl->name);

  for (const ast::Stmt &s : step.body)
    lowerStatement(s);
  if (failed())
    return;

  std::vector<Value *> yielded;
  for (const CheckedVar &s : model_.states)
    yielded.push_back(values_[s.decl->name]);
  yielded.push_back(logits_);
  ir::Builder(*body_).yield(yielded);

  ir::Builder b(fn.body());
  b.setLoc(step.loc);
  ir::Operation *scan = b.scan(operands,
                               {{"carried", static_cast<int64_t>(model_.states.size())},
                                {"sequences", int64_t{key ? 2 : 1}},
                                {"reverse", int64_t{0}}},
                               std::move(body));
  if (!scan) {
    diags_.error(step.loc, "internal error: the step is ill-typed: " + b.error());
    return;
  }
  size_t n = model_.states.size();
  scan->result(n)->setDimNames(logits);
  std::vector<Value *> returnedValues{scan->result(n)};
  fn.resultNames = {"logits"};
  scan->result(n)->setName("logits");
  for (size_t i = 0; i < n; ++i) {
    returnedValues.push_back(scan->result(i));
    scan->result(i)->setName(model_.states[i].decl->name);
    fn.resultNames.push_back(model_.states[i].decl->name);
  }
  ir::Builder(fn.body()).returnValues(returnedValues);
}

std::unique_ptr<ir::Module> IRGen::run() {
  module_ = std::make_unique<ir::Module>();
  module_->name = model_.name;
  module_->train = model_.train;
  module_->paramInits = model_.paramInits;
  if (bindings_.batch)
    module_->train.batch = *bindings_.batch;
  if (bindings_.seqLen)
    module_->train.seqLen = *bindings_.seqLen;
  if (!bindSizes())
    return nullptr;

  ir::Function *fn = module_->addFunction("forward");
  int64_t total = 0;
  for (const CheckedVar &p : model_.params) {
    TensorType type = typeOf(p.shape, p.decl->loc);
    if (failed() || !checkElements(type, "parameter '" + p.decl->name + "'",
                                   p.decl->loc))
      return nullptr;
    total += type.numElements(); // each <= 2^31: no overflow
    fn->addArgument(ir::ArgRole::Param, p.decl->name, type);
  }
  if (total > kMaxElements) {
    diags_.error(model_.loc,
                 "the model has " + std::to_string(total) +
                     " parameters; the limit is " + std::to_string(kMaxElements));
    return nullptr;
  }
  for (const CheckedVar &s : model_.states) {
    SymShape shape = s.shape;
    shape.insert(shape.begin(), DimPoly::symbol(kBatchSymbol));
    TensorType type = typeOf(shape, s.decl->loc);
    if (failed() ||
        !checkElements(type, "state '" + s.decl->name + "'", s.decl->loc))
      return nullptr;
    fn->addArgument(ir::ArgRole::State, s.decl->name, type);
  }
  lowerStep(*fn);
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
  std::shared_ptr<const CheckedModel> checked = program.checked;
  if (!checked)
    checked = checkProgram(program, diags);
  if (!checked)
    return nullptr;
  unsigned before = diags.errorCount();
  auto module = detail::IRGen(*checked, bindings, diags).run();
  if (diags.errorCount() != before)
    return nullptr;
  return module;
}

} // namespace rnnc::frontend
