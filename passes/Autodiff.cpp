//===- Autodiff.cpp - Reverse-mode autodiff: @forward -> @train_step ------===//
///
/// \file
/// Builds `@train_step` = forward + loss + backward from `@forward`
/// (contract in COMMON.md / ir/IR.h). Algorithm:
///  1. Activity: the float values of @forward that depend on a param.
///  2. Plan each `scan`: differentiate its body once, in a scratch block,
///     with the yielded values seeded by the reverse scan's carried adjoints
///     and per-step output adjoints. Each forward body value the adjoint code
///     reads becomes either a reverse-scan sequence saved by the forward scan
///     (per-step activations, each step's carried input h_{t-1}), the
///     original sequence slice, an invariant (the weights), or is recomputed
///     (constants, onehot of the token slice).
///  3. Clone @forward's ops into @train_step; each scan also yields the
///     values its plan saves, stacked to [T, ...].
///  4. loss = cross_entropy(logits, y); seed dlogits = cross_entropy_grad.
///  5. Walk the ops backwards (passes/AutodiffRules.cpp), adding into
///     adjoints. A scan becomes a reverse scan (`reverse = 1`) carrying the
///     state adjoints; its per-step invariant adjoints are stacked and summed
///     over time after it (reduce_sum over axis 0, which hoisting likes).
///  6. Return loss, the final states, grad.<param> (zeros if unreachable).
/// The adjoint w.r.t. the initial states is not returned (truncated BPTT).
///
/// Tests: test/unit/GradCheck*Test.cpp, test/unit/AutodiffTest.cpp,
/// test/lit/passes/autodiff*.
///
//===----------------------------------------------------------------------===//
#include "passes/Autodiff.h"

#include "passes/AutodiffRules.h"
#include "passes/Passes.h"
#include "passes/RewriteUtil.h"

#include <map>
#include <memory>

namespace rnnc::passes {

using namespace ir;
using namespace autodiff;

namespace {

/// The reverse body of one forward scan, built before the forward clone so
/// the clone knows what to save.
struct ScanPlan {
  std::unique_ptr<Block> scratch; ///< reverse body; args in creation order
  std::vector<Value *> carriedAdjointArgs, outputAdjointArgs;
  std::vector<std::pair<const Value *, Value *>> saved; ///< body value, arg
  std::map<unsigned, Value *> sequenceArgs, invariantArgs; ///< operand -> arg
  std::vector<unsigned> gradOperands; ///< operands whose adjoint is yielded
  Operation *forwardClone = nullptr;
};

/// The first failure, with the location of the op that caused it when it
/// has one (ops read from the DSL or from IR text do).
struct Failure {
  std::string message;
  SourceLocation loc;
  bool empty() const { return message.empty(); }
};

bool fail(Failure &err, std::string msg, SourceLocation loc = {}) {
  if (err.empty()) {
    err.message = std::move(msg);
    err.loc = loc;
  }
  return false;
}

/// Runs `adjoints.backprop` over `block`; a failure it reports is located at
/// the op it stopped on.
bool backpropLocated(BlockAdjoints &adjoints, const Block &block,
                     const BlockAdjoints::ScanRule &scanRule, Failure &err) {
  bool hadFailure = !err.empty();
  if (adjoints.backprop(block, scanRule, err.message))
    return true;
  if (!hadFailure && !err.loc.isValid() && adjoints.failedOp())
    err.loc = adjoints.failedOp()->loc;
  return false;
}

/// False, with the builder's first typing failure in `err`, if the rules
/// asked for an ill-typed op (a bug: the forward graph was verified).
bool builtWellTyped(const Builder &builder, Failure &err) {
  if (builder.error().empty())
    return err.empty();
  return fail(err, "internal error: built an ill-typed op: " + builder.error());
}

std::unique_ptr<ScanPlan> planScan(const Operation &scan,
                                   const std::set<const Value *> &outerActive,
                                   Failure &err) {
  const Block &body = scan.body();
  unsigned nc = scan.scanNumCarried(), ns = scan.scanNumSequences();
  unsigned nOut = scan.numResults() - nc;
  const Operation *yield = body.terminator();
  if (!yield || yield->numOperands() != nc + nOut ||
      body.numArguments() != scan.numOperands()) {
    fail(err, "malformed scan", scan.loc);
    return nullptr;
  }
  auto plan = std::make_unique<ScanPlan>();
  Block &scratch = *(plan->scratch = std::make_unique<Block>());
  Builder builder(scratch);

  std::set<const Value *> activeArgs;
  for (unsigned i = 0; i < scan.numOperands(); ++i) {
    const Value *arg = body.argument(i);
    bool isFloat = arg->type().elementType() == ElementType::F32;
    if (i < nc && !isFloat) {
      fail(err, "integer scan carried values are not supported", scan.loc);
      return nullptr;
    }
    if (isFloat && (i < nc || outerActive.count(scan.operand(i))))
      activeArgs.insert(arg);
  }
  for (unsigned i = 0; i < nc; ++i)
    plan->carriedAdjointArgs.push_back(
        scratch.addArgument(body.argument(i)->type(), "d." + body.argument(i)->name()));
  for (unsigned o = 0; o < nOut; ++o)
    plan->outputAdjointArgs.push_back(
        scratch.addArgument(yield->operand(nc + o)->type(), "d.out"));

  // Where adjoint code reads a forward body value from.
  ValueMap cache;
  std::function<Value *(const Value *)> forward = [&](const Value *v) -> Value * {
    if (auto it = cache.find(v); it != cache.end())
      return it->second;
    Value *r;
    const Operation *def = v->definingOp();
    auto save = [&] {
      Value *arg = plan->scratch->addArgument(v->type(), v->name());
      plan->saved.push_back({v, arg});
      return arg;
    };
    if (v->ownerBlock() == &body) {
      unsigned i = v->argIndex();
      if (i < nc)
        r = save();
      else if (i < nc + ns)
        r = plan->sequenceArgs[i] = scratch.addArgument(v->type(), v->name());
      else
        r = plan->invariantArgs[i] = scratch.addArgument(v->type(), v->name());
    } else if (def && def->kind() == OpKind::Constant) {
      r = builder.constant(v->type(), def->realAttr("value"));
    } else if (def && def->kind() == OpKind::OneHot) {
      r = builder.create(OpKind::OneHot, {forward(def->operand(0))}, def->attrs());
    } else {
      r = save();
    }
    return cache[v] = r;
  };

  BlockAdjoints adjoints(builder, forward, activeValues(body, activeArgs));
  for (unsigned i = 0; i < nc + nOut; ++i)
    adjoints.addInto(yield->operand(i), i < nc ? plan->carriedAdjointArgs[i]
                                               : plan->outputAdjointArgs[i - nc]);
  auto nestedScan = [&](const Operation &inner) {
    return fail(err, "a scan inside a scan body is not supported", inner.loc);
  };
  if (!backpropLocated(adjoints, body, nestedScan, err) ||
      !builtWellTyped(builder, err))
    return nullptr;

  std::vector<Value *> yields;
  for (unsigned i = 0; i < nc; ++i)
    yields.push_back(adjoints.adjointOrZeros(body.argument(i)));
  for (unsigned i = nc; i < scan.numOperands(); ++i)
    if (Value *a = adjoints.adjoint(body.argument(i))) {
      plan->gradOperands.push_back(i);
      yields.push_back(a);
    }
  // A scan needs a sequence to fix its length.
  if (plan->saved.empty() && plan->sequenceArgs.empty() && nOut == 0)
    plan->sequenceArgs[nc] = scratch.addArgument(body.argument(nc)->type());
  builder.yield(yields);
  return plan;
}

Dim stepsDim(const Operation &scan) {
  unsigned nc = scan.scanNumCarried();
  if (scan.scanNumSequences() > 0)
    return scan.operand(nc)->type().dims()[0];
  return scan.result(nc)->type().dims()[0];
}

/// The forward scan again, also yielding the values `plan` saves.
Operation *cloneForwardScan(const Operation &scan, const ScanPlan &plan,
                            Builder &out, ValueMap &map) {
  std::vector<Value *> operands;
  for (const Value *v : scan.operands())
    operands.push_back(lookup(map, v));
  const Block &from = scan.body();
  auto body = std::make_unique<Block>();
  for (const auto &arg : from.arguments())
    map[arg.get()] = body->addArgument(arg->type(), arg->name());
  Builder inBody(*body);
  inBody.cloneOps(from, map, /*stopBeforeTerminator=*/true);
  std::vector<Value *> yields;
  for (const Value *v : from.terminator()->operands())
    yields.push_back(lookup(map, v));
  for (const auto &s : plan.saved)
    yields.push_back(lookup(map, s.first));
  inBody.yield(yields);
  Operation *copy = out.scan(operands, scan.attrs(), std::move(body));
  if (!copy)
    return nullptr;
  copy->loc = scan.loc;
  for (unsigned i = 0; i < scan.numResults(); ++i) {
    copy->result(i)->setDimNames(scan.result(i)->type());
    map[scan.result(i)] = copy->result(i);
  }
  return copy;
}

/// Emits the reverse scan of `scan` (step 5) and adds its results into the
/// adjoints of the scan's operands.
bool emitReverseScan(const Operation &scan, ScanPlan &plan,
                     BlockAdjoints &adjoints, Failure &err) {
  Builder &builder = adjoints.builder();
  unsigned nc = scan.scanNumCarried(), nOut = scan.numResults() - nc;
  unsigned nForward = scan.numResults();
  Dim steps = stepsDim(scan);

  std::vector<Value *> operands, argsInOrder;
  for (unsigned i = 0; i < nc; ++i) {
    operands.push_back(adjoints.adjointOrZeros(scan.result(i)));
    argsInOrder.push_back(plan.carriedAdjointArgs[i]);
  }
  for (unsigned s = 0; s < plan.saved.size(); ++s) {
    operands.push_back(plan.forwardClone->result(nForward + s));
    argsInOrder.push_back(plan.saved[s].second);
  }
  for (auto &[index, arg] : plan.sequenceArgs) {
    operands.push_back(adjoints.forward(scan.operand(index)));
    argsInOrder.push_back(arg);
  }
  for (unsigned o = 0; o < nOut; ++o) {
    operands.push_back(adjoints.adjointOrZeros(scan.result(nc + o)));
    argsInOrder.push_back(plan.outputAdjointArgs[o]);
  }
  unsigned numSequences = operands.size() - nc;
  for (auto &[index, arg] : plan.invariantArgs) {
    operands.push_back(adjoints.forward(scan.operand(index)));
    argsInOrder.push_back(arg);
  }

  auto body = std::make_unique<Block>();
  for (Value *arg : argsInOrder)
    arg->replaceAllUsesWith(body->addArgument(arg->type(), arg->name()));
  Block &scratch = *plan.scratch;
  while (!scratch.operations().empty())
    body->append(scratch.take(scratch.operations().front().get()));
  AttributeMap attrs{{"carried", int64_t(nc)},
                     {"sequences", int64_t(numSequences)},
                     {"reverse", int64_t(scan.scanReverse() ? 0 : 1)}};
  Operation *reverse = builder.scan(operands, attrs, std::move(body));
  if (!reverse)
    return fail(err, "internal error: the reverse scan is ill-typed: " + builder.error());
  reverse->loc = scan.loc;

  // Each result is the adjoint of a forward operand: it takes its names.
  for (unsigned i = 0; i < nc; ++i)
    reverse->result(i)->setDimNames(scan.operand(i)->type());
  unsigned firstInvariant = nc + scan.scanNumSequences();
  for (unsigned g = 0; g < plan.gradOperands.size(); ++g) {
    unsigned index = plan.gradOperands[g];
    const TensorType &primal = scan.operand(index)->type();
    reverse->result(nc + g)->setDimNames(index >= firstInvariant ? primal.withLeading(steps)
                                                                 : primal);
  }

  for (unsigned i = 0; i < nc; ++i)
    adjoints.addInto(scan.operand(i), reverse->result(i));
  for (unsigned g = 0; g < plan.gradOperands.size(); ++g) {
    unsigned index = plan.gradOperands[g];
    Value *grad = reverse->result(nc + g);
    if (index >= firstInvariant)
      grad = builder.reduceSum(grad, {0});
    adjoints.addInto(scan.operand(index), grad);
  }
  return err.empty();
}

} // namespace

Expected<void> buildTrainStep(Module &module) {
  Failure err;
  auto done = [&](bool ok) -> Expected<void> {
    if (ok)
      return {};
    return Error(err.message, err.loc);
  };
  Function *fwd = module.function("forward");
  if (!fwd)
    return done(fail(err, "the module has no @forward"));
  if (module.function("train_step"))
    return done(fail(err, "the module already has @train_step"));
  const Block &F = fwd->body();
  // Fusion is a codegen-level grouping made after autodiff: no adjoint rule.
  for (std::vector<const Block *> work{&F}; !work.empty();) {
    const Block *block = work.back();
    work.pop_back();
    for (const auto &op : block->operations()) {
      if (op->kind() == OpKind::Fusion)
        return done(fail(err, "cannot differentiate 'fusion' (run "
                              "fuse-elementwise after autodiff, not before)",
                         op->loc));
      for (const auto &region : op->regions())
        work.push_back(region.get());
    }
  }
  const Operation *ret = F.terminator();
  if (!ret || ret->kind() != OpKind::Return || ret->numOperands() < 1)
    return done(fail(err, "@forward must return the logits first"));
  const Value *x = nullptr;
  std::set<const Value *> params;
  for (unsigned i = 0; i < F.numArguments(); ++i) {
    if (fwd->argRole(i) == ArgRole::Param)
      params.insert(F.argument(i));
    if (fwd->argRole(i) == ArgRole::Input && !x)
      x = F.argument(i);
  }
  if (!x)
    return done(fail(err, "@forward has no input argument"));

  // Steps 1-2.
  std::set<const Value *> active = activeValues(F, params);
  std::map<const Operation *, std::unique_ptr<ScanPlan>> plans;
  for (const auto &op : F.operations())
    if (op->kind() == OpKind::Scan) {
      auto plan = planScan(*op, active, err);
      if (!plan)
        return done(false);
      plans[op.get()] = std::move(plan);
    }

  for (const auto &op : F.operations()) {
    bool producesActive = false;
    for (const Value *r : op->results())
      producesActive |= active.count(r) != 0;
    if (producesActive && op->kind() != OpKind::Scan)
      if (std::string why = missingAdjointRule(*op); !why.empty())
        return done(fail(err, why, op->loc));
  }

  // Step 3.
  Function *ts = module.addFunction("train_step");
  ValueMap map;
  for (unsigned i = 0; i < F.numArguments(); ++i) {
    const Value *arg = F.argument(i);
    map[arg] = ts->addArgument(fwd->argRole(i), arg->name(), arg->type());
  }
  Value *labels = ts->addArgument(ArgRole::Label, "y", x->type());
  Builder builder(ts->body());
  for (const auto &op : F.operations()) {
    if (op.get() == ret)
      break;
    if (op->kind() != OpKind::Scan) {
      builder.clone(*op, map);
      continue;
    }
    ScanPlan &plan = *plans[op.get()];
    plan.forwardClone = cloneForwardScan(*op, plan, builder, map);
    if (!plan.forwardClone)
      return done(fail(err, "internal error: the forward scan's clone is ill-typed: " +
                                builder.error()));
  }

  // Step 4.
  Value *logits = lookup(map, ret->operand(0));
  Value *loss = builder.crossEntropy(logits, labels);
  if (!builtWellTyped(builder, err))
    return done(false);
  loss->setName("loss");
  auto forwardValue = [&](const Value *v) { return lookup(map, v); };
  BlockAdjoints adjoints(builder, forwardValue, active);
  Value *one = builder.constant(TensorType::f32({}), 1.0);
  adjoints.addInto(ret->operand(0), builder.crossEntropyGrad(logits, labels, one));

  // Step 5.
  auto scanRule = [&](const Operation &scan) {
    return emitReverseScan(scan, *plans.at(&scan), adjoints, err);
  };
  if (!backpropLocated(adjoints, F, scanRule, err) ||
      !builtWellTyped(builder, err))
    return done(false);

  // Step 6.
  std::vector<Value *> results{loss};
  ts->resultNames = {"loss"};
  for (unsigned i = 1; i < ret->numOperands(); ++i) {
    results.push_back(lookup(map, ret->operand(i)));
    ts->resultNames.push_back(i < fwd->resultNames.size() ? fwd->resultNames[i]
                                                          : "state" + std::to_string(i));
  }
  for (unsigned i = 0; i < F.numArguments(); ++i)
    if (fwd->argRole(i) == ArgRole::Param) {
      const Value *p = F.argument(i);
      Value *grad = adjoints.adjointOrZeros(p);
      results.push_back(grad);
      ts->resultNames.push_back("grad." + p->name());
    }
  builder.returnValues(results);
  return done(builtWellTyped(builder, err));
}

namespace {
class AutodiffPass : public Pass {
public:
  const char *name() const override { return "autodiff"; }
  Expected<void> run(Module &module, DiagnosticEngine &diag) override {
    Expected<void> built = buildTrainStep(module);
    if (built)
      return {};
    diag.error(built.error().location(), "autodiff: " + built.error().message());
    return Error::diagnosed();
  }
};
} // namespace

std::unique_ptr<Pass> createAutodiffPass() {
  return std::make_unique<AutodiffPass>();
}

} // namespace rnnc::passes
