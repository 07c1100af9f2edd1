//===- Sema.cpp - Checking a model for every binding ----------------------===//
///
/// \file
/// Checks a program once, with no binding: what it accepts lowers for every
/// vocabulary, batch and sequence length within the size limits.
///   1. the train block (hyper-parameters; its batch and seq_len are only
///      the default sizes of B and T);
///   2. model arguments become symbols: B, T, then `V: vocab`, `H = 256`;
///   3. params and states: names, initialisers, shapes as polynomials of
///      the symbols, each dimension >= 1 and within kMaxDimension; sizes
///      that do not depend on the vocabulary within kMaxElements;
///   4. the step: each expression's shape by the rules of SemaExpr.cpp,
///      compared as polynomials (never by size), recorded for lowering;
///      each state assigned once with its declared shape; one return of
///      logits [B, V].
/// Tests: test/lit/diagnostics, test/unit/FrontendLoweringTest.cpp.
///
//===----------------------------------------------------------------------===//
#include "frontend/Frontend.h"
#include "frontend/SemaImpl.h"
#include "frontend/TrainSema.h"

#include <cmath>

namespace rnnc::frontend {

std::vector<std::string> CheckedModel::symbolNames() const {
  std::vector<std::string> names;
  for (const DimSymbol &s : symbols)
    names.push_back(s.name);
  return names;
}

std::string CheckedModel::shapeStr(const SymShape &shape) const {
  std::vector<std::string> names = symbolNames();
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    out += (i ? "," : "") + shape[i].str(names);
  return out + "]";
}

namespace detail {

bool Sema::declare(const std::string &name, SemaBinding b) {
  auto [it, fresh] = names_.emplace(name, b);
  if (fresh)
    return true;
  diags_.error(b.loc, "redefinition of '" + name + "'");
  diags_.note(it->second.loc, "previous definition is here");
  return false;
}

bool Sema::bindModelArgs(const ast::Model &model) {
  bool ok = true;
  for (const ast::ModelArg &arg : model.args) {
    SemaBinding b;
    b.kind = SemaBinding::Dimension;
    b.loc = arg.loc;
    if (!declare(arg.name, b)) {
      ok = false;
      continue;
    }
    DimSymbol sym;
    sym.name = arg.name;
    sym.loc = arg.loc;
    if (arg.isVocab) {
      if (arg.kind != "vocab") {
        diags_.error(arg.kindLoc, "unknown dimension kind '" + arg.kind +
                                      "', expected 'vocab' (or '= SIZE')");
        ok = false;
        continue;
      }
      sym.isVocab = true;
    } else {
      double v = arg.defaultValue;
      if (v < 1 || v != std::floor(v) || v > double(kMaxDimension)) {
        diags_.error(arg.kindLoc, "dimension '" + arg.name +
                                      "' must be a positive integer, got " +
                                      arg.defaultText);
        ok = false;
        continue;
      }
      sym.size = static_cast<int64_t>(v);
    }
    names_[arg.name].symbol = static_cast<int>(model_->symbols.size());
    model_->symbols.push_back(sym);
  }
  return ok;
}

std::vector<std::optional<int64_t>> Sema::fixedSizes() const {
  std::vector<std::optional<int64_t>> fixed;
  for (const DimSymbol &s : model_->symbols)
    fixed.push_back(s.isVocab ? std::nullopt : s.size);
  fixed[kBatchSymbol] = fixed[kTimeSymbol] = std::nullopt;
  return fixed;
}

bool Sema::checkDimension(const DimPoly &d, const ast::Expr &e) {
  std::optional<DimPoly> fixed = d.substitute(fixedSizes());
  if (!fixed) {
    diags_.error(e.begin, "dimension expression overflows (a dimension is at "
                          "most " + std::to_string(kMaxDimension) + ")");
    return false;
  }
  std::optional<int64_t> value = fixed->constantValue();
  auto minusOne = DimPoly::sub(*fixed, DimPoly::constant(1));
  if (!minusOne || !minusOne->provablyNonNegative()) {
    if (value)
      diags_.error(e.begin, "a dimension size must be a positive integer, got " +
                                std::to_string(*value));
    else
      diags_.error(e.begin, "cannot prove that dimension " +
                                fixed->str(model_->symbolNames()) +
                                " is positive for every vocabulary size");
    return false;
  }
  if (value && *value > kMaxDimension) {
    std::string text = d.constantValue()
                           ? std::to_string(*value)
                           : d.str(model_->symbolNames()) + " = " +
                                 std::to_string(*value);
    diags_.error(e.begin, "dimension " + text + " is above the limit " +
                              std::to_string(kMaxDimension));
    return false;
  }
  return true; // a size that depends on the vocabulary is checked when lowering
}

std::optional<SymShape> Sema::resolveShape(const ast::Shape &shape) {
  SymShape dims;
  bool ok = true;
  for (const auto &d : shape.dims) {
    std::optional<DimPoly> poly = evalDimExpr(*d);
    if (!poly || !checkDimension(*poly, *d)) {
      ok = false;
      continue;
    }
    dims.push_back(*poly);
  }
  if (!ok)
    return std::nullopt;
  return dims;
}

bool Sema::checkSize(const CheckedVar &var, bool isState) {
  std::vector<std::optional<int64_t>> known;
  for (const DimSymbol &s : model_->symbols)
    known.push_back(s.isVocab ? std::nullopt : s.size);
  int64_t count = isState ? model_->train.batch : 1;
  for (const DimPoly &d : var.shape) {
    std::optional<int64_t> v = d.evaluate(known);
    if (!v)
      return true; // depends on the vocabulary: checked when lowering
    if (__builtin_mul_overflow(count, *v, &count))
      count = INT64_MAX;
  }
  if (count <= kMaxElements) {
    if (!isState)
      knownParamElements_ += count; // each <= 2^31: no overflow
    return true;
  }
  diags_.error(var.decl->loc, std::string(isState ? "state" : "parameter") +
                                  " '" + var.decl->name + "' has " +
                                  (count == INT64_MAX ? "more than 2^63"
                                                      : std::to_string(count)) +
                                  " elements" + (isState ? " with the batch" : "") +
                                  "; the limit is " + std::to_string(kMaxElements));
  return false;
}

std::unique_ptr<CheckedModel> Sema::run() {
  if (!program_.model) {
    diags_.error({1, 1}, "no model declaration: expected 'model NAME(...) { ... }'");
    return nullptr;
  }
  const ast::Model &model = *program_.model;
  model_ = std::make_unique<CheckedModel>();
  model_->name = model.name;
  model_->loc = model.loc;
  bool ok = checkTrainBlock(program_.train.get(), model_->train, diags_);
  model_->symbols.push_back({"B", {}, false, model_->train.batch});
  model_->symbols.push_back({"T", {}, false, model_->train.seqLen});
  ok &= bindModelArgs(model);

  for (size_t i = 0; i < model.params.size(); ++i) {
    const ast::VarDecl &p = model.params[i];
    SemaBinding b;
    b.kind = SemaBinding::Param;
    b.loc = p.loc;
    b.index = static_cast<int>(model_->params.size());
    bool declared = declare(p.name, b);
    auto dims = resolveShape(p.shape);
    ir::ParamInit init;
    bool initOk = checkParamInit(p, init, diags_);
    if (!declared || !dims || !initOk ||
        !checkParamInitShape(p, init, dims->size(),
                             dims->size() == 2 && (*dims)[0] == (*dims)[1],
                             shapeStr(*dims), diags_)) {
      ok = false;
      continue;
    }
    CheckedVar var{&p, *dims};
    if (!checkSize(var, false)) {
      ok = false;
      continue;
    }
    model_->paramInits[p.name] = init;
    names_[p.name].shape = *dims;
    model_->params.push_back(var);
  }
  if (knownParamElements_ > kMaxElements) {
    diags_.error(model.loc, "the model has at least " +
                                std::to_string(knownParamElements_) +
                                " parameters; the limit is " +
                                std::to_string(kMaxElements));
    ok = false;
  }
  for (const ast::VarDecl &s : model.states) {
    SemaBinding b;
    b.kind = SemaBinding::State;
    b.loc = s.loc;
    b.index = static_cast<int>(model_->states.size());
    bool declared = declare(s.name, b);
    auto dims = resolveShape(s.shape);
    bool initOk = checkStateInit(s, diags_);
    if (!declared || !dims || !initOk) {
      ok = false;
      continue;
    }
    CheckedVar var{&s, *dims};
    if (!checkSize(var, true)) {
      ok = false;
      continue;
    }
    model_->states.push_back(var);
    assignedAt_.push_back({});
  }
  if (!model.step) {
    diags_.error(model.loc, "model '" + model.name + "' has no step");
    return nullptr;
  }
  if (!ok)
    return nullptr; // the step's errors would mostly be echoes
  checkStep(model);
  if (failed())
    return nullptr;
  return std::move(model_);
}

} // namespace detail

std::unique_ptr<CheckedModel> checkProgram(const ast::Program &program,
                                           DiagnosticEngine &diags) {
  unsigned before = diags.errorCount();
  auto checked = detail::Sema(program, diags).run();
  if (diags.errorCount() != before)
    return nullptr;
  return checked;
}

std::unique_ptr<ir::Module> describeModel(const ast::Program &program) {
  if (!program.checked)
    return nullptr;
  auto module = std::make_unique<ir::Module>();
  module->name = program.checked->name;
  module->train = program.checked->train;
  module->paramInits = program.checked->paramInits;
  return module;
}

} // namespace rnnc::frontend
