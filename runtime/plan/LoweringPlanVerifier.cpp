//===- LoweringPlanVerifier.cpp - Invariants of a lowering plan -----------===//
///
/// \file
/// verifyLoweringPlan: what the LLVM emitter relies on, checked before it
/// runs (Codegen.cpp reports a failure as an internal error and emits
/// nothing). Algorithm:
///   1. the tables agree in size (one role, offset and live range per
///      buffer); every buffer lies within the arena;
///   2. buffers whose live intervals overlap share no bytes (all pairs);
///   3. every value kept in the arena is in its buffer's value list, every
///      direct result is the returned value at its index;
///   4. a walk over the function and nested scan bodies: an op stored as
///      such has a home for each result, a slice view has none, a packed
///      product names a packed operand and calls the packed kernel, the
///      kernel agrees with the loss pairing and the product-plus-bias
///      decision; an elementwise op's or a fusion's
///      loop nest covers its elements; a fusion has its plan: a product
///      plus the row bias it names, or a product home that yields the
///      product, slice views whose rows fit its inner loop, and the chunks
///      its work gives; each scan has exactly one kind per per-step output,
///      consistent with its time sums, and a value computed in a row is
///      computed in exactly one row (one ComputedInRow output yields it) and
///      has no other home; a fusion result stored into a concat's columns
///      is that concat's part, which is not copied again, with the loop's
///      rows as the part's rows, and the concat's buffer live from the
///      fusion on; every part a concat does not copy, its fusion stores.
/// Tests: test/unit/LoweringPlanTest.cpp (hand-broken plans are rejected).
///
//===----------------------------------------------------------------------===//
#include "ir/Printer.h"
#include "runtime/kernels/KernelsParallel.h"
#include "runtime/plan/LoweringPlan.h"

#include <algorithm>
#include <deque>
#include <map>
#include <set>

namespace rnnc::runtime {

using ir::OpKind;

namespace {

class PlanVerifier {
public:
  PlanVerifier(const ir::Function &fn, const LoweringPlan &plan)
      : fn_(fn), plan_(plan), names_(ir::printedValueNames(fn)) {}

  bool run();
  std::string error;

private:
  bool fail(const std::string &message) {
    if (error.empty())
      error = message;
    return false;
  }
  std::string name(const ir::Value *v) const {
    auto it = names_.find(v);
    return it == names_.end() ? "<a value outside @" + fn_.name() + ">" : it->second;
  }
  bool checkBuffers();
  bool checkValues();
  bool checkOp(const ir::Operation &op);
  bool checkScan(const ir::Operation &scan);
  bool checkLoop(const ir::Operation &op);
  bool checkKernel(const ir::Operation &op);
  bool checkFusion(const ir::Operation &fusion);
  bool checkColumnStore(const ir::Operation &fusion, const ColumnStore &cs,
                        const LoopNest &nest);
  bool storedByItsFusion(const ir::Operation &concat, unsigned part) const;
  bool hasHome(const ir::Value *v) const {
    return plan_.storageOf(v).kind != ValueStorage::Kind::None;
  }

  const ir::Function &fn_;
  const LoweringPlan &plan_;
  std::map<const ir::Value *, std::string> names_;
};

bool PlanVerifier::checkBuffers() {
  size_t n = plan_.buffers.size();
  const BufferPlan &placed = plan_.placement;
  if (plan_.roles.size() != n || placed.offsets.size() != n ||
      placed.liveRanges.size() != n)
    return fail("buffer tables disagree: " + std::to_string(n) + " buffers, " +
                std::to_string(plan_.roles.size()) + " roles, " +
                std::to_string(placed.offsets.size()) + " offsets, " +
                std::to_string(placed.liveRanges.size()) + " live ranges");
  for (size_t i = 0; i < n; ++i) {
    int64_t at = placed.offsets[i], bytes = plan_.buffers[i].bytes;
    if (at < 0 || bytes < 0 || at + bytes > placed.arenaBytes)
      return fail("buffer " + std::to_string(i) + " (offset " + std::to_string(at) +
                  ", " + std::to_string(bytes) + " bytes) is outside the arena of " +
                  std::to_string(placed.arenaBytes) + " bytes");
  }
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j) {
      const auto &a = placed.liveRanges[i], &b = placed.liveRanges[j];
      bool liveTogether = a.first <= b.second && b.first <= a.second;
      int64_t ai = placed.offsets[i], aj = placed.offsets[j];
      bool shareBytes = ai < aj + plan_.buffers[j].bytes &&
                        aj < ai + plan_.buffers[i].bytes;
      if (liveTogether && shareBytes)
        return fail("buffers " + std::to_string(i) + " and " + std::to_string(j) +
                    " are live together and share bytes");
    }
  return true;
}

bool PlanVerifier::checkValues() {
  for (const ir::Value *v : plan_.arenaValues) {
    const ValueStorage &s = plan_.storageOf(v);
    if (s.kind != ValueStorage::Kind::Arena || s.buffer < 0 ||
        static_cast<size_t>(s.buffer) >= plan_.buffers.size())
      return fail(name(v) + " is listed in the arena without an arena buffer");
    const auto &held = plan_.buffers[static_cast<size_t>(s.buffer)].values;
    if (std::find(held.begin(), held.end(), v) == held.end())
      return fail(name(v) + " is not among the values of buffer " +
                  std::to_string(s.buffer));
  }
  const ir::Operation *ret = fn_.body().terminator();
  for (const auto &[v, index] : plan_.directResults) {
    const ValueStorage &s = plan_.storageOf(v);
    if (!ret || index >= ret->numOperands() || ret->operand(index) != v ||
        s.kind != ValueStorage::Kind::CallerResult || s.resultIndex != index)
      return fail(name(v) + " is not result " + std::to_string(index) +
                  " of the function");
  }
  return true;
}

bool PlanVerifier::checkScan(const ir::Operation &scan) {
  const ScanPlan *sp = plan_.scan(&scan);
  unsigned nc = scan.scanNumCarried();
  if (scan.regions().empty() || !scan.body().terminator())
    return true; // reported by the emitter
  const ir::Operation *yield = scan.body().terminator();
  unsigned nOut = scan.numResults() - nc;
  if (!sp || sp->outputs.size() != nOut || sp->timeSums.size() != nOut)
    return fail("a scan defining " +
                (scan.numResults() ? name(scan.result(0)) : std::string("nothing")) +
                " does not have exactly one kind per per-step output");
  for (unsigned i = 0; i < nc; ++i)
    if (plan_.storageOf(scan.result(i)).kind != ValueStorage::Kind::Arena ||
        plan_.storageOf(scan.result(i)).buffer !=
            plan_.storageOf(scan.body().argument(i)).buffer)
      return fail("carried " + name(scan.result(i)) +
                  " does not share its body argument's slot");
  std::set<const ir::Value *> inRows;
  for (unsigned k = 0; k < nOut && nc + k < yield->numOperands(); ++k) {
    const ir::Value *result = scan.result(nc + k), *y = yield->operand(nc + k);
    ScanOutputKind kind = sp->outputs[k];
    bool summed = kind == ScanOutputKind::SummedByProducer ||
                  kind == ScanOutputKind::SummedAfterStep;
    if (summed != (sp->timeSums[k] != nullptr))
      return fail(name(result) + ": its kind and its time sum disagree");
    if (summed) {
      const ir::Operation *sum = sp->timeSums[k];
      if (plan_.how(sum) != OpLowering::AbsorbedReduce || !hasHome(sum->result()))
        return fail(name(sum->result()) + " is summed in its scan but not stored");
      if (kind == ScanOutputKind::SummedByProducer &&
          (!y->definingOp() ||
           plan_.op(y->definingOp()).accumulatesInto != sum->result()))
        return fail(name(y) + " is summed by its producer, which does not add into " +
                    name(sum->result()));
      continue;
    }
    if (plan_.storageOf(result).kind != ValueStorage::Kind::Arena)
      return fail("stacked " + name(result) + " has no arena buffer");
    const ValueStorage &ys = plan_.storageOf(y);
    bool inThisRow = ys.kind == ValueStorage::Kind::StackedRow && ys.scan == &scan &&
                     ys.output == k;
    if ((kind == ScanOutputKind::ComputedInRow) != inThisRow)
      return fail(name(y) + (inThisRow ? " is planned in a row of " : " is not in the row of ") +
                  name(result) + " its output kind says");
    if (kind == ScanOutputKind::ComputedInRow && !inRows.insert(y).second)
      return fail(name(y) + " is computed in two stacked rows");
  }
  return true;
}

bool PlanVerifier::checkLoop(const ir::Operation &op) {
  const LoopNest &nest = plan_.op(&op).loop;
  int64_t n = op.result()->type().numElements();
  bool fits = nest.flat() ? nest.rows == n
                          : nest.inner > 0 && nest.rows * nest.inner == n;
  return fits || fail("the loop nest of " + name(op.result()) + " (" +
                      std::to_string(nest.rows) + " x " + std::to_string(nest.inner) +
                      ") does not cover its " + std::to_string(n) + " elements");
}

bool PlanVerifier::checkFusion(const ir::Operation &fusion) {
  if (fusion.regions().size() != 1 || fusion.numResults() == 0)
    return true; // reported by the emitter
  const FusionPlan *fp = plan_.fusion(&fusion);
  if (!fp)
    return fail("fusion " + name(fusion.result(0)) + " has no plan");
  const ir::Block &body = fusion.body();
  if (fp->rowBias) {
    const auto &ops = body.operations();
    bool biasOperand = std::find(fusion.operands().begin(), fusion.operands().end(),
                                 fp->rowBias) != fusion.operands().end();
    return (biasOperand && ops.size() == 3 && ops[0]->kind() == OpKind::MatMul) ||
           fail("fusion " + name(fusion.result(0)) +
                " is not a product plus the row bias its plan names");
  }
  if (!checkLoop(fusion))
    return false;
  const ir::Operation *yield = body.terminator();
  if (fp->productHome >= 0 &&
      (!yield || static_cast<unsigned>(fp->productHome) >= yield->numOperands() ||
       yield->operand(static_cast<unsigned>(fp->productHome)) !=
           body.operations().front()->result()))
    return fail("fusion " + name(fusion.result(0)) +
                " computes its product in a result that does not yield it");
  if (fp->rowStride.size() != fusion.numOperands())
    return fail("fusion " + name(fusion.result(0)) + " has no row stride per operand");
  const LoopNest &nest = plan_.op(&fusion).loop;
  int64_t rowWidth = nest.flat() ? nest.rows : nest.inner;
  for (unsigned i = 0; i < fusion.numOperands(); ++i) {
    if (!fp->rowStride[i])
      continue;
    const ir::Value *v = fusion.operand(i);
    const ir::Operation *view = v->definingOp();
    if (!view || plan_.how(view) != OpLowering::SliceView ||
        fp->rowStride[i] != view->operand(0)->type().dim(view->operand(0)->type().rank() - 1) ||
        v->type().dim(v->type().rank() - 1) != rowWidth)
      return fail("fusion " + name(fusion.result(0)) + " reads " + name(v) +
                  " as rows of a view that does not fit its loop");
  }
  for (const ColumnStore &cs : fp->columnStores)
    if (!checkColumnStore(fusion, cs, nest))
      return false;
  return fp->chunks == chunkCount(nest.rows, static_cast<double>(fp->work)) ||
         fail("fusion " + name(fusion.result(0)) +
              " is split into other chunks than its work gives");
}

/// A fusion result stored into a concat's columns: the concat follows in the
/// same block, that part is the result and is not copied again, its columns
/// are where the store puts them, one loop row is one part row, and the
/// concat's buffer is live from the fusion on.
bool PlanVerifier::checkColumnStore(const ir::Operation &fusion, const ColumnStore &cs,
                                    const LoopNest &nest) {
  const ir::Operation *concat = cs.concat;
  std::string what = "fusion " + name(fusion.result(0)) + "'s column store";
  if (!concat || concat->kind() != OpKind::Concat || cs.result >= fusion.numResults() ||
      cs.part >= concat->numOperands() ||
      concat->operand(cs.part) != fusion.result(cs.result))
    return fail(what + " names no concat part it computes");
  const OpPlan &joined = plan_.op(concat);
  if (joined.partsStored.size() != concat->numOperands() || !joined.partsStored[cs.part])
    return fail(what + ": " + name(concat->result()) + " copies that part again");
  const auto &ops = fusion.parentBlock()->operations();
  auto at = [&](const ir::Operation *op) {
    return std::find_if(ops.begin(), ops.end(), [&](const auto &o) { return o.get() == op; });
  };
  if (concat->parentBlock() != fusion.parentBlock() || at(concat) < at(&fusion))
    return fail(what + ": " + name(concat->result()) + " does not follow it in its block");
  int64_t column = 0;
  for (unsigned i = 0; i < cs.part; ++i)
    column += lastDim(concat->operand(i));
  const ir::Value *part = concat->operand(cs.part);
  if (cs.column != column || cs.rowStride != lastDim(concat->result()) || nest.flat() ||
      nest.inner != lastDim(part))
    return fail(what + " does not put rows of " + name(part) + " at its columns of " +
                name(concat->result()));
  const ValueStorage &home = plan_.storageOf(concat->result());
  bool liveFromFusion =
      home.kind == ValueStorage::Kind::Arena &&
      plan_.buffers.at(static_cast<size_t>(home.buffer)).liveAcross != nullptr &&
      at(plan_.buffers.at(static_cast<size_t>(home.buffer)).liveAcross) <= at(&fusion);
  return liveFromFusion ||
         fail(what + ": " + name(concat->result()) + "'s buffer is not live from the fusion on");
}

/// Whether the fusion defining `concat`'s part `part` has a ColumnStore of it.
bool PlanVerifier::storedByItsFusion(const ir::Operation &concat, unsigned part) const {
  const ir::Operation *fusion = concat.operand(part)->definingOp();
  const FusionPlan *fp = fusion ? plan_.fusion(fusion) : nullptr;
  return fp && std::any_of(fp->columnStores.begin(), fp->columnStores.end(),
                           [&](const ColumnStore &cs) {
                             return cs.concat == &concat && cs.part == part;
                           });
}

/// The kernel agrees with the decisions that choose it.
bool PlanVerifier::checkKernel(const ir::Operation &op) {
  const OpPlan &d = plan_.op(&op);
  std::string kernel = d.kernel ? d.kernel : "";
  std::string what = op.numResults() ? name(op.result(0)) : std::string(op.name());
  if ((d.packedOperand >= 0) != (kernel == "rnnc_matmul_packed"))
    return fail(what + " calls " + (kernel.empty() ? "nothing" : kernel) +
                (d.packedOperand >= 0 ? " but reads a packed operand"
                                      : " without a packed operand"));
  if (d.how != OpLowering::Stored && d.kernel)
    return fail(what + " has no code of its own but calls " + kernel);
  if (op.kind() == OpKind::CrossEntropy && d.lossPartner && d.kernel)
    return fail(what + " is computed with its gradient but calls " + kernel);
  if (op.kind() == OpKind::CrossEntropyGrad &&
      (kernel == "rnnc_cross_entropy_with_grad") != (d.lossPartner != nullptr))
    return fail(what + " calls " + kernel + " against its loss pairing");
  const FusionPlan *fp = plan_.fusion(&op);
  if (fp && (kernel == "rnnc_matmul_bias") != (fp->rowBias != nullptr))
    return fail(what + " calls " + (kernel.empty() ? "nothing" : kernel) +
                " against its product-plus-bias decision");
  return true;
}

bool PlanVerifier::checkOp(const ir::Operation &op) {
  const OpPlan &decided = plan_.op(&op);
  if (!checkKernel(op))
    return false;
  if (ir::isElementwise(op.kind()) && !checkLoop(op))
    return false;
  if (op.kind() == OpKind::Fusion && !checkFusion(op))
    return false;
  for (unsigned i = 0; i < decided.partsStored.size(); ++i)
    if (decided.partsStored[i] && !storedByItsFusion(op, i))
      return fail(name(op.result()) + " leaves part " + std::to_string(i) +
                  " to a fusion that does not store it");
  if (decided.packedOperand >= 0 &&
      static_cast<size_t>(decided.packedOperand) >= plan_.packed.size())
    return fail("a product defining " + name(op.result()) +
                " reads a packed operand that does not exist");
  if (decided.lossPartner && plan_.op(decided.lossPartner).lossPartner != &op)
    return fail(name(op.result()) + " and its loss partner do not name each other");
  switch (decided.how) {
  case OpLowering::Stored:
    if (op.kind() == OpKind::Scan)
      return checkScan(op);
    if (decided.accumulatesInto)
      return hasHome(decided.accumulatesInto) ||
             fail(name(op.result()) + " adds into a time sum that is not stored");
    for (const ir::Value *r : op.results())
      if (!hasHome(r))
        return fail(name(r) + " is computed but has no storage");
    return true;
  case OpLowering::AbsorbedReduce:
    return hasHome(op.result()) ||
           fail("time sum " + name(op.result()) + " has no storage");
  default:
    for (const ir::Value *r : op.results())
      if (hasHome(r))
        return fail(name(r) + " is computed at its users but also has storage");
    return true;
  }
}

bool PlanVerifier::run() {
  if (!checkBuffers() || !checkValues())
    return false;
  std::deque<const ir::Block *> worklist{&fn_.body()};
  while (!worklist.empty()) {
    const ir::Block *block = worklist.front();
    worklist.pop_front();
    for (const auto &op : block->operations()) {
      if (ir::isTerminator(op->kind()))
        continue;
      if (!checkOp(*op))
        return false;
      if (op->kind() == OpKind::Scan && !op->regions().empty())
        worklist.push_back(&op->body());
    }
  }
  return true;
}

} // namespace

Expected<void> verifyLoweringPlan(const ir::Function &fn,
                                  const LoweringPlan &plan) {
  PlanVerifier verifier(fn, plan);
  if (verifier.run())
    return {};
  return Error("@" + fn.name() + ": " + verifier.error);
}

} // namespace rnnc::runtime
