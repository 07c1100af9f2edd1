//===- HoistScan.cpp - Time batching: step work that leaves the scan ------===//
///
/// \file
/// The `hoist-scan` pass (DESIGN.md §4). For every scan, T = its length:
///  1. Classify body values: invariant (invariant args, constants), sequence
///     (sequence args, and batchable ops of sequence/invariant operands with
///     at least one sequence operand) or other (depends on carried values).
///     An elementwise sequence op that only body ops read counts as other:
///     it is cheaper fused into the step than as a pass of its own.
///  2. Hoist in: each sequence-class op result read by an "other" op or the
///     yield is computed once before the scan for all T steps (its batched
///     form: [T, ...] operands, gather/matmul take leading dims) and enters
///     the body as a new sequence operand.
///  3. A per-step output that yields a sequence argument is the sequence.
///  4. Time sums: reduce_sum{axes=[0]} of a per-step output computed by
///     matmul_tn / scatter_add / reduce_sum becomes ONE such op over the
///     stacked [T, ...] operands after the scan (all T·B rows at once); a
///     time sum of two outputs added (a param read twice) is first split
///     into two time sums.
///  5. Sink out: body ops whose results feed only per-step outputs (h_t·W_hq
///     + b_q) run once after the scan on stacked operands, which become new
///     per-step outputs where they are not already.
///  6. Dead code (the moved ops, dropped outputs) is removed, and steps
///     1-6 repeat while they move something (at most 8 rounds).
/// A batched op must type-check as [T] + its per-step result type; binary
/// elementwise ops batch only where every time-varying operand already has
/// the result's shape, so broadcasting cannot pair the wrong axes.
/// Tests: test/lit/passes/hoist-scan-*.rnnir, pipeline-char-rnn.test,
/// test/unit/PassHoistScanTest.cpp, PassExamplesTest.cpp, PassPipelineJITTest.cpp.
///
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"
#include "passes/RewriteUtil.h"

#include "ir/Builder.h"
#include "ir/ShapeInference.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>

namespace rnnc::passes {

using namespace ir;

namespace {

enum class TimeClass { Invariant, Sequence, Other };

/// The batched op for `op` when the operands flagged in `varying` gain a
/// leading T axis: its attributes, or nullopt if `op` does not batch.
std::optional<AttributeMap> batchedAttrs(const Operation *op,
                                         const std::vector<bool> &varying, const Dim &t) {
  OpKind k = op->kind();
  if (op->numResults() != 1 || !op->regions().empty() || varying.empty())
    return std::nullopt;
  bool any = std::find(varying.begin(), varying.end(), true) != varying.end();
  bool all = std::find(varying.begin(), varying.end(), false) == varying.end();
  AttributeMap attrs = op->attrs();
  bool ok = false;
  if (isElementwiseUnary(k) || k == OpKind::OneHot || k == OpKind::Slice || k == OpKind::Pad)
    ok = varying[0];
  else if (isElementwiseBinary(k)) {
    ok = any;
    for (unsigned i = 0; i < 2; ++i)
      ok = ok && (!varying[i] || op->operand(i)->type() == op->result()->type());
  } else if (k == OpKind::MatMul || k == OpKind::MatMulNT)
    ok = varying[0] && !varying[1];
  else if (k == OpKind::Gather)
    ok = !varying[0] && varying[1];
  else if (k == OpKind::Concat || k == OpKind::Dropout)
    ok = all; // dropout: x and its key row, both per step
  else if (isRowOp(k))
    ok = all; // row by row: more leading rows change nothing
  else if (k == OpKind::ReduceSum && varying[0]) {
    std::vector<int64_t> axes = op->intListAttr("axes");
    for (int64_t &a : axes)
      a += 1;
    attrs["axes"] = axes;
    ok = true;
  }
  if (!ok)
    return std::nullopt;
  std::vector<TensorType> types;
  for (unsigned i = 0; i < op->numOperands(); ++i)
    types.push_back(varying[i] ? op->operand(i)->type().withLeading(t)
                               : op->operand(i)->type());
  auto inferred = inferResultTypes(k, types, attrs);
  if (!inferred || inferred->size() != 1 ||
      (*inferred)[0] != op->result()->type().withLeading(t))
    return std::nullopt;
  return attrs;
}

struct ScanInfo {
  Operation *scan;
  unsigned numCarried, numSeq;
  Dim t;
  std::map<const Value *, TimeClass> cls;

  TimeClass classOf(const Value *v) const {
    auto it = cls.find(v);
    return it == cls.end() ? TimeClass::Other : it->second;
  }
  /// The class of an op's (first) result; Other for the terminator.
  TimeClass classOfOp(const Operation *op) const {
    return op->numResults() == 0 ? TimeClass::Other : classOf(op->result(0));
  }
  std::vector<bool> varyingOperands(const Operation *op) const {
    std::vector<bool> v;
    for (Value *o : op->operands())
      v.push_back(classOf(o) != TimeClass::Invariant);
    return v;
  }
};

/// An elementwise sequence op that only body ops read (1 - o_t in an LSTM's
/// backward) stays in the body, reclassified Other: there it joins the
/// step's fusion and costs a few instructions, while hoisted it is one more
/// pass writing [T, ...] and a stream the step reads back (LSTM train step
/// on Zen 4, 2 threads: five such loops). It is still hoisted when a
/// hoisted op reads it (tanh(x_t) @ W: the product needs it batched) or the
/// yield does (it then replaces a per-step output). In reverse order, so a
/// chain of them stays in the body together.
void keepCheapStepOpsInBody(const Block &body, ScanInfo &info) {
  const auto &ops = body.operations();
  for (size_t i = ops.size(); i-- > 0;) {
    const Operation *op = ops[i].get();
    if (!isElementwise(op->kind()) || info.classOfOp(op) != TimeClass::Sequence)
      continue;
    bool neededBatched = false;
    for (const Operation *user : op->result()->users())
      neededBatched = neededBatched || isTerminator(user->kind()) ||
                      info.classOfOp(user) == TimeClass::Sequence;
    if (!neededBatched)
      info.cls[op->result()] = TimeClass::Other;
  }
}

std::optional<ScanInfo> analyse(Operation *scan) {
  ScanInfo info{scan, scan->scanNumCarried(), scan->scanNumSequences(), {}, {}};
  if (info.numSeq == 0)
    return std::nullopt;
  info.t = scan->operand(info.numCarried)->type().dims()[0];
  Block &body = scan->body();
  for (unsigned i = 0; i < body.numArguments(); ++i)
    info.cls[body.argument(i)] = i < info.numCarried ? TimeClass::Other
                                 : i < info.numCarried + info.numSeq ? TimeClass::Sequence
                                                                     : TimeClass::Invariant;
  for (const auto &op : body.operations()) {
    TimeClass c = TimeClass::Other;
    if (op->kind() == OpKind::Constant)
      c = TimeClass::Invariant;
    else if (op->numResults() == 1) {
      bool anySeq = false, anyOther = false;
      for (Value *o : op->operands()) {
        anySeq = anySeq || info.classOf(o) == TimeClass::Sequence;
        anyOther = anyOther || info.classOf(o) == TimeClass::Other;
      }
      if (anySeq && !anyOther && batchedAttrs(op.get(), info.varyingOperands(op.get()), info.t))
        c = TimeClass::Sequence;
    }
    for (Value *r : op->results())
      info.cls[r] = c;
  }
  keepCheapStepOpsInBody(body, info);
  return info;
}

/// Makes outer copies of body values with `builder` (outside the scan):
/// invariant args map to scan operands, constants are cloned.
struct OuterCopies {
  Builder builder;
  std::map<const Value *, Value *> outer;

  Value *lookup(const Operation *scan, Value *v) {
    if (auto it = outer.find(v); it != outer.end())
      return it->second;
    if (v->ownerBlock() == &scan->body())
      return outer[v] = scan->operand(v->argIndex());
    const Operation *def = v->definingOp();
    if (def && def->kind() == OpKind::Constant)
      return outer[v] = builder.constant(v->type(), def->attrs().at("value"));
    return nullptr;
  }
  /// The batched copy of body op `op` (its operands already mapped), named
  /// like `op`'s result with the leading T.
  Value *batched(const ScanInfo &info, const Operation *op) {
    auto attrs = batchedAttrs(op, info.varyingOperands(op), info.t);
    std::vector<Value *> operands;
    for (Value *o : op->operands())
      operands.push_back(lookup(info.scan, o));
    Value *made = builder.create(op->kind(), operands, *attrs);
    made->setDimNames(op->result()->type().withLeading(info.t));
    return outer[op->result()] = made;
  }
};

/// Step 2: returns the (possibly rebuilt) scan.
Operation *hoistIn(Operation *scan) {
  auto info = analyse(scan);
  if (!info)
    return scan;
  Block &body = scan->body();
  std::set<const Operation *> exportedOps;
  for (const auto &op : body.operations())
    if (op->kind() != OpKind::Constant && info->classOfOp(op.get()) == TimeClass::Sequence)
      for (const Operation *user : op->result()->users())
        if (info->classOfOp(user) != TimeClass::Sequence)
          exportedOps.insert(op.get());
  if (exportedOps.empty())
    return scan;
  Block *parent = scan->parentBlock();
  OuterCopies outer{Builder(*parent, parent->indexOf(scan)), {}};
  ScanRebuild plan;
  for (unsigned i = 0; i < scan->numOperands(); ++i) {
    auto &seg = i < info->numCarried ? plan.carried
                : i < info->numCarried + info->numSeq ? plan.sequences
                                                     : plan.invariants;
    seg.push_back(scan->operand(i));
  }
  std::vector<Value *> args;
  for (const auto &a : body.arguments())
    args.push_back(a.get());
  std::vector<Value *> newSeqArgs;
  for (const auto &op : body.operations()) {
    if (op->kind() == OpKind::Constant || info->classOfOp(op.get()) != TimeClass::Sequence)
      continue;
    Value *b = outer.batched(*info, op.get());
    if (exportedOps.count(op.get())) {
      plan.sequences.push_back(b);
      newSeqArgs.push_back(op->result());
    }
  }
  plan.argReplaces.assign(args.begin(), args.begin() + info->numCarried + info->numSeq);
  plan.argReplaces.insert(plan.argReplaces.end(), newSeqArgs.begin(), newSeqArgs.end());
  plan.argReplaces.insert(plan.argReplaces.end(), args.begin() + info->numCarried + info->numSeq,
                          args.end());
  plan.yields = body.terminator()->operands();
  plan.resultReplaces = scan->results();
  Operation *made = rebuildScan(scan, plan);
  return made ? made : scan; // outer copies left unused on failure: dce
}

/// Step 3; true if a result was replaced.
bool forwardSequences(Operation *scan) {
  bool changed = false;
  Operation *yield = scan->body().terminator();
  unsigned nc = scan->scanNumCarried(), ns = scan->scanNumSequences();
  for (unsigned r = nc; r < scan->numResults(); ++r) {
    Value *y = yield->operand(r);
    if (y->ownerBlock() == &scan->body() && y->argIndex() >= nc && y->argIndex() < nc + ns &&
        scan->operand(y->argIndex())->type() == scan->result(r)->type() &&
        scan->result(r)->hasUses()) {
      scan->result(r)->replaceAllUsesWith(scan->operand(y->argIndex()));
      changed = true;
    }
  }
  return changed;
}

/// Rebuilds `scan` with extra per-step outputs for `values` (body values);
/// returns the new scan and fills `stacked` with the outer [T, ...] value of
/// every body value that has one (sequence args, per-step outputs).
Operation *stackValues(Operation *scan, const std::vector<Value *> &values,
                       std::map<const Value *, Value *> &stacked) {
  unsigned nc = scan->scanNumCarried(), ns = scan->scanNumSequences();
  Block *body = &scan->body();
  std::vector<Value *> extra;
  for (Value *v : values) {
    bool have = v->ownerBlock() == body && v->argIndex() >= nc && v->argIndex() < nc + ns;
    for (unsigned r = nc; r < scan->numResults(); ++r)
      have = have || body->terminator()->operand(r) == v;
    if (!have && std::find(extra.begin(), extra.end(), v) == extra.end())
      extra.push_back(v);
  }
  if (!extra.empty()) {
    ScanRebuild plan;
    for (unsigned i = 0; i < scan->numOperands(); ++i)
      (i < nc ? plan.carried : i < nc + ns ? plan.sequences : plan.invariants)
          .push_back(scan->operand(i));
    for (const auto &a : body->arguments())
      plan.argReplaces.push_back(a.get());
    plan.yields = body->terminator()->operands();
    plan.yields.insert(plan.yields.end(), extra.begin(), extra.end());
    plan.resultReplaces = scan->results();
    plan.resultReplaces.resize(plan.yields.size(), nullptr);
    Operation *made = rebuildScan(scan, plan);
    if (!made)
      return nullptr;
    scan = made;
    body = &scan->body();
  }
  stacked.clear();
  for (unsigned i = nc; i < nc + ns; ++i)
    stacked[body->argument(i)] = scan->operand(i);
  for (unsigned r = scan->numResults(); r-- > nc;)
    stacked[body->terminator()->operand(r)] = scan->result(r);
  return scan;
}

/// Step 4, first: the time sum of two per-step outputs added after the scan
/// (the adjoint of a param the step reads twice, e.g. a tied embedding's
/// scatter_add and matmul_tn, once sunk out) becomes the sum of their time
/// sums, which step 4 then batches one by one.
bool splitSummedAdds(Operation *scan) {
  bool changed = false;
  for (unsigned r = scan->scanNumCarried(); r < scan->numResults(); ++r) {
    Value *res = scan->result(r);
    if (res->users().size() != 1)
      continue;
    Operation *add = res->users()[0];
    if (add->kind() != OpKind::Add || add->result()->users().size() != 1)
      continue;
    Operation *sum = add->result()->users()[0];
    Value *a = add->operand(0), *b = add->operand(1);
    const TensorType &t = add->result()->type();
    if (sum->kind() != OpKind::ReduceSum ||
        sum->intListAttr("axes") != std::vector<int64_t>{0} || a == b ||
        a->definingOp() != scan || b->definingOp() != scan || a->type() != t ||
        b->type() != t || a->users().size() != 1 || b->users().size() != 1)
      continue;
    // Two copies of one op (a product written twice) are left alone: cse
    // makes them one value yielded twice, which the plan copies row by row.
    const Operation *yield = scan->body().terminator();
    const Operation *pa = yield->operand(a->resultIndex())->definingOp();
    const Operation *pb = yield->operand(b->resultIndex())->definingOp();
    if (pa == pb || (pa && pb && pa->kind() == pb->kind() && pa->operands() == pb->operands()))
      continue;
    Builder before = Builder::before(sum);
    Value *sumA = before.reduceSum(a, {0});
    Value *sumB = before.reduceSum(b, {0});
    Value *total = sumA && sumB ? before.add(sumA, sumB) : nullptr;
    if (!total)
      continue;
    total->setDimNames(sum->result()->type());
    sum->result()->replaceAllUsesWith(total);
    sum->parentBlock()->erase(sum);
    add->parentBlock()->erase(add);
    changed = true;
  }
  return changed;
}

/// Step 4: time sums of per-step products become one product.
Operation *batchTimeSums(Operation *scan) {
  auto info = analyse(scan);
  if (!info)
    return scan;
  std::vector<std::pair<Operation *, Operation *>> sums; // outer reduce_sum, body op
  std::vector<Value *> needed;
  Operation *yield = scan->body().terminator();
  for (unsigned r = info->numCarried; r < scan->numResults(); ++r) {
    Value *res = scan->result(r);
    if (res->users().size() != 1)
      continue;
    Operation *sum = res->users()[0];
    Operation *p = yield->operand(r)->definingOp();
    if (sum->kind() != OpKind::ReduceSum || sum->intListAttr("axes") != std::vector<int64_t>{0} ||
        !p || (p->kind() != OpKind::MatMulTN && p->kind() != OpKind::ScatterAdd &&
               p->kind() != OpKind::ReduceSum))
      continue;
    bool allVarying = true;
    for (Value *o : p->operands())
      allVarying = allVarying && info->classOf(o) != TimeClass::Invariant;
    if (!allVarying)
      continue;
    sums.push_back({sum, p});
    needed.insert(needed.end(), p->operands().begin(), p->operands().end());
  }
  if (sums.empty())
    return scan;
  std::map<const Value *, Value *> stacked;
  Operation *made = stackValues(scan, needed, stacked);
  if (!made)
    return scan;
  for (auto [sum, p] : sums) {
    AttributeMap attrs = p->attrs();
    if (p->kind() == OpKind::ReduceSum) {
      std::vector<int64_t> axes{0};
      for (int64_t a : p->intListAttr("axes"))
        axes.push_back(a + 1);
      attrs["axes"] = axes;
    }
    std::vector<Value *> operands;
    for (Value *o : p->operands())
      operands.push_back(stacked.at(o));
    Value *batched = Builder::before(sum).create(p->kind(), operands, attrs);
    if (!batched)
      continue;
    if (batched->type() != sum->result()->type()) {
      sum->parentBlock()->erase(batched->definingOp());
      continue;
    }
    batched->setDimNames(sum->result()->type());
    sum->result()->replaceAllUsesWith(batched);
    sum->parentBlock()->erase(sum);
  }
  return made;
}

/// Step 5: ops that only feed per-step outputs run after the scan.
Operation *sinkOut(Operation *scan) {
  auto info = analyse(scan);
  if (!info)
    return scan;
  Block &body = scan->body();
  Operation *yield = body.terminator();
  std::set<const Operation *> sunk;
  auto onlyOutputs = [&](const Operation *op) {
    for (unsigned i = 0; i < yield->numOperands(); ++i)
      if (i < info->numCarried && yield->operand(i) == op->result())
        return false;
    for (const Operation *user : op->result()->users())
      if (user != yield && !sunk.count(user))
        return false;
    return true;
  };
  for (size_t i = body.operations().size(); i-- > 0;) {
    const Operation *op = body.operations()[i].get();
    if (op->kind() == OpKind::Constant || isTerminator(op->kind()) ||
        info->classOfOp(op) == TimeClass::Sequence) // hoist-in's
      continue;
    if (onlyOutputs(op) && batchedAttrs(op, info->varyingOperands(op), info->t))
      sunk.insert(op);
  }
  if (sunk.empty())
    return scan;
  std::vector<const Operation *> order; // body order
  for (const auto &op : body.operations())
    if (sunk.count(op.get()))
      order.push_back(op.get());
  std::vector<Value *> needed; // in body order, not pointer order: stable output
  for (const Operation *op : order)
    for (Value *o : op->operands())
      if (info->classOf(o) != TimeClass::Invariant && !sunk.count(o->definingOp()))
        needed.push_back(o);
  std::vector<unsigned> slots; // outputs fed by sunk ops
  std::vector<Value *> slotValues;
  for (unsigned r = info->numCarried; r < yield->numOperands(); ++r)
    if (yield->operand(r)->definingOp() && sunk.count(yield->operand(r)->definingOp())) {
      slots.push_back(r);
      slotValues.push_back(yield->operand(r));
    }
  std::map<const Value *, Value *> stacked;
  Operation *made = stackValues(scan, needed, stacked);
  if (!made)
    return scan;
  info = analyse(made); // the body has new arguments
  if (!info)
    return made;
  OuterCopies outer{Builder::after(made), stacked};
  for (const Operation *op : order)
    outer.batched(*info, op);
  for (size_t s = 0; s < slots.size(); ++s)
    made->result(slots[s])->replaceAllUsesWith(outer.outer.at(slotValues[s]));
  return made;
}

/// Ops inside scan bodies: what the pass tries to shrink.
size_t countBodyOps(Module &module) {
  size_t n = 0;
  for (Block *block : allBlocks(module))
    if (block->parentOp())
      n += block->operations().size();
  return n;
}

class HoistScanPass : public Pass {
public:
  const char *name() const override { return "hoist-scan"; }
  Expected<void> run(Module &module, DiagnosticEngine &) override {
    // Moving ops out can free more (a value whose last in-body reader left
    // becomes sinkable once dead code is gone): repeat until nothing moves.
    size_t lastInBodies = countBodyOps(module);
    for (int round = 0; round < 8; ++round) {
      std::vector<Operation *> scans;
      for (Block *block : allBlocks(module))
        for (const auto &op : block->operations())
          if (op->kind() == OpKind::Scan)
            scans.push_back(op.get());
      bool changed = false;
      // Inner scans first: rebuilding an outer scan keeps inner ops alive.
      for (auto it = scans.rbegin(); it != scans.rend(); ++it) {
        Operation *scan = hoistIn(*it);
        changed = changed || scan != *it;
        changed = forwardSequences(scan) || changed;
        changed = splitSummedAdds(scan) || changed;
        Operation *summed = batchTimeSums(scan);
        changed = changed || summed != scan;
        changed = sinkOut(summed) != summed || changed;
      }
      removeDeadCode(module);
      size_t inBodies = countBodyOps(module);
      changed = changed || inBodies < lastInBodies;
      lastInBodies = inBodies;
      if (!changed)
        break;
    }
    return {};
  }
};

} // namespace

std::unique_ptr<Pass> createHoistScanPass() { return std::make_unique<HoistScanPass>(); }

} // namespace rnnc::passes
