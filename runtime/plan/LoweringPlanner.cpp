//===- LoweringPlanner.cpp - Making the lowering plan of a function -------===//
///
/// \file
/// planLowering: every decision of the code generator, made before any LLVM
/// IR exists (moved here from the emitter's private tables). Algorithm:
///   1. returned values a top-level op computes go straight into the
///      caller's result buffers (planDirectResults);
///   2. a worklist over the function body and nested scan bodies, in program
///      order, gives each op its lowering: a slice read only by fusion loops
///      is a view; a loss whose gradient of the same logits and labels
///      follows, with nothing reading the loss in between, is computed by the
///      gradient's kernel; an elementwise op or a fusion gets its loop nest
///      (rows of a suffix-broadcast operand's or a slice view's width); a
///      fusion is one rnnc_matmul_bias call when it is a product plus a row
///      bias, else its leading product's home and the flop estimate that
///      fixes how its outlined loop is split into chunks; last, each op
///      gets the runtime kernel its code calls. Graph rewrites
///      are the passes' (one-hot products: simplify; elementwise groups and
///      their constants: fuse-elementwise), never redone here: the plan
///      follows the IR;
///   3. a scan gets its carried slots, one kind per per-step output (a
///      per-step output whose only use is reduce_sum over time is summed in
///      place, by its producer when that is a matmul_tn / scatter_add;
///      otherwise the first output yielding a body value computes it in its
///      stacked row, any other copies it there), staging slots for carried
///      values passed to another carried slot, and packed panels for its
///      per-step products by a loop-invariant matrix (scans of 4 steps or
///      more);
///   4. every other op result gets an arena buffer; a concat's part that an
///      earlier fusion of its block computes is stored into the concat's
///      columns by that fusion's loop (planColumnStores), and
///      runtime/plan/BufferPlan.h places the buffers (those never live
///      together share bytes).
/// How ops' code runs (loops, fusion kernels, kernel names): LoopPlanner.cpp.
/// Tests: test/lit/plan/*.test, test/unit/LoweringPlanTest.cpp,
/// test/unit/BufferPlanTest.cpp, and every JIT-vs-interpreter test.
///
//===----------------------------------------------------------------------===//
#include "runtime/kernels/Kernels.h"
#include "runtime/kernels/KernelsParallel.h"
#include "runtime/plan/LoopPlanner.h"
#include "runtime/plan/LoweringPlan.h"

#include <algorithm>
#include <deque>
#include <unordered_set>

namespace rnnc::runtime {

using ir::OpKind;

int64_t scanLength(const ir::Operation &scan) {
  unsigned nc = scan.scanNumCarried(), ns = scan.scanNumSequences();
  if (ns > 0 && nc < scan.numOperands())
    return scan.operand(nc)->type().dim(0);
  if (scan.numResults() > nc && scan.result(nc)->type().rank() > 0)
    return scan.result(nc)->type().dim(0);
  return scan.intAttr("length", -1);
}

namespace {

int64_t bytesOf(const ir::Value *v) { return v->type().numElements() * 4; }

/// Whether fusion body argument i is read only by the body's leading matrix
/// product (a weight: its size does not enter the elementwise loop).
bool onlyTheProductReads(const ir::Block &body, unsigned i) {
  if (i >= body.numArguments() || !body.argument(i)->hasUses())
    return false;
  for (const ir::Operation *reader : body.argument(i)->users())
    if (!ir::isMatrixProduct(reader->kind()) || &*body.operations().front() != reader)
      return false;
  return true;
}

/// A last-axis slice whose every user is a fusion that reads it only in its
/// elementwise loop, where every operand has the fusion's size, the slice's
/// row width or one element (or is read only by the leading product): the
/// loop reads the rows in place (a strided view, CodegenFusion.cpp), so the
/// per-step gate slices of a merged product are not copied.
bool sliceReadInPlace(const ir::Operation &op) {
  const ir::Value *r = op.result();
  const ir::TensorType &t = r->type();
  if (t.rank() == 0 || t.elementType() != ir::ElementType::F32 || !r->hasUses())
    return false;
  int64_t width = t.dim(t.rank() - 1);
  for (const ir::Operation *user : r->users()) {
    if (user->kind() != OpKind::Fusion || user->regions().size() != 1 ||
        user->numResults() == 0)
      return false;
    int64_t n = user->result(0)->type().numElements();
    if (width == 0 || n % width != 0)
      return false;
    const ir::Block &body = user->body();
    for (unsigned i = 0; i < user->numOperands(); ++i) {
      int64_t m = user->operand(i)->type().numElements();
      if (m != n && m != width && m != 1 && !onlyTheProductReads(body, i))
        return false;
      if (user->operand(i) != r || i >= body.numArguments())
        continue;
      for (const ir::Operation *reader : body.argument(i)->users())
        if (!ir::isElementwise(reader->kind()))
          return false; // e.g. the fusion's leading product
    }
  }
  return true;
}

/// A cross_entropy and the cross_entropy_grad of the same logits and labels
/// in one block become one kernel call at the gradient's place, provided
/// nothing reads the loss before that place. Returns the partner of
/// `lossOrGrad` (either op of the pair), or null when they cannot fuse.
const ir::Operation *fusedLossPartner(const ir::Operation &lossOrGrad) {
  const ir::Block *block = lossOrGrad.parentBlock();
  if (!block)
    return nullptr;
  bool isLoss = lossOrGrad.kind() == OpKind::CrossEntropy;
  const ir::Operation *loss = nullptr, *grad = nullptr;
  std::unordered_map<const ir::Operation *, size_t> position;
  for (const auto &owned : block->operations()) {
    const ir::Operation *op = owned.get();
    position[op] = position.size();
    bool samePair = op != &lossOrGrad && op->numOperands() >= 2 &&
                    lossOrGrad.numOperands() >= 2 &&
                    op->operand(0) == lossOrGrad.operand(0) &&
                    op->operand(1) == lossOrGrad.operand(1);
    if (!samePair)
      continue;
    if (isLoss && op->kind() == OpKind::CrossEntropyGrad && !grad)
      grad = op;
    if (!isLoss && op->kind() == OpKind::CrossEntropy && !loss)
      loss = op;
  }
  (isLoss ? loss : grad) = &lossOrGrad;
  if (!loss || !grad || position.at(loss) > position.at(grad))
    return nullptr;
  for (const ir::Operation *user : loss->result()->users())
    if (user->parentBlock() != block || position.at(user) <= position.at(grad))
      return nullptr;
  return isLoss ? grad : loss;
}

class Planner {
public:
  explicit Planner(const ir::Function &fn) : fn_(fn) {}
  LoweringPlan run();

private:
  int64_t allocate(int64_t bytes, BufferRole role,
                   const ir::Operation *liveAcross = nullptr);
  void assign(const ir::Value *v, int64_t buffer);
  ValueStorage::Kind kindOf(const ir::Value *v) const {
    auto it = plan_.storage.find(v);
    return it == plan_.storage.end() ? ValueStorage::Kind::None : it->second.kind;
  }
  void planDirectResults();
  void planScanOutputs(const ir::Operation &scan);
  void planPackedProducts(const ir::Operation &scan);
  void planFusion(const ir::Operation &fusion);
  void planColumnStores(const ir::Operation &concat);
  void planKernels();

  const ir::Function &fn_;
  LoweringPlan plan_;
};

int64_t Planner::allocate(int64_t bytes, BufferRole role,
                          const ir::Operation *liveAcross) {
  plan_.buffers.push_back(BufferRequest{bytes, {}, liveAcross});
  plan_.roles.push_back(role);
  return static_cast<int64_t>(plan_.buffers.size()) - 1;
}

void Planner::assign(const ir::Value *v, int64_t buffer) {
  ValueStorage &s = plan_.storage[v];
  s.kind = ValueStorage::Kind::Arena;
  s.buffer = buffer;
  plan_.arenaValues.push_back(v);
  plan_.buffers.at(static_cast<size_t>(buffer)).values.push_back(v);
}

LoweringPlan Planner::run() {
  planDirectResults();
  std::vector<const ir::Operation *> concats;
  std::deque<const ir::Block *> worklist{&fn_.body()};
  while (!worklist.empty()) {
    const ir::Block *block = worklist.front();
    worklist.pop_front();
    for (const auto &owned : block->operations()) {
      const ir::Operation &op = *owned;
      if (ir::isTerminator(op.kind()))
        continue;
      switch (op.kind()) {
      case OpKind::Scan: {
        if (op.regions().empty())
          continue; // reported when lowered
        const ir::Block &body = op.body();
        unsigned carried = op.scanNumCarried();
        for (unsigned i = 0; i < carried && i < body.numArguments() &&
                             i < op.numResults();
             ++i) {
          int64_t slot = allocate(bytesOf(body.argument(i)), BufferRole::CarriedSlot, &op);
          assign(body.argument(i), slot);
          assign(op.result(i), slot);
        }
        planScanOutputs(op);
        planPackedProducts(op);
        if (const ir::Operation *yield = body.terminator())
          for (unsigned i = 0; i < carried && i < yield->numOperands(); ++i) {
            const ir::Value *y = yield->operand(i);
            if (y->ownerBlock() == &body && y->argIndex() < carried &&
                y->argIndex() != i)
              plan_.scans[&op].stagedYields.push_back(
                  {i, allocate(bytesOf(y), BufferRole::YieldStaging, &op)});
          }
        worklist.push_back(&body);
        continue;
      }
      case OpKind::ReduceSum:
        if (plan_.how(&op) == OpLowering::AbsorbedReduce)
          continue; // storage assigned with its scan
        break;
      case OpKind::Slice:
        if (sliceReadInPlace(op)) {
          plan_.ops[&op].how = OpLowering::SliceView;
          continue;
        }
        break;
      case OpKind::CrossEntropy:
      case OpKind::CrossEntropyGrad:
        if (const ir::Operation *partner = fusedLossPartner(op))
          plan_.ops[&op].lossPartner = partner;
        break;
      case OpKind::Fusion:
        planFusion(op);
        break;
      case OpKind::Concat:
        concats.push_back(&op);
        break;
      case OpKind::Dropout: { // outside a fusion: one flat loop
        int64_t n = op.result()->type().numElements();
        plan_.ops[&op].loop = LoopNest{n, 0};
        break;
      }
      default:
        if (ir::isElementwise(op.kind()))
          plan_.ops[&op].loop = elementwiseLoop(op);
        break;
      }
      const OpPlan &decided = plan_.op(&op);
      if (decided.accumulatesInto)
        continue;
      for (const ir::Value *r : op.results()) {
        ValueStorage::Kind kind = kindOf(r);
        if (kind == ValueStorage::Kind::CallerResult ||
            kind == ValueStorage::Kind::StackedRow)
          continue; // computed in the caller's buffer or in a stacked row
        // A loss computed with its gradient is written at the gradient's
        // place: its buffer stays live until there.
        assign(r, allocate(bytesOf(r), BufferRole::Value,
                           op.kind() == OpKind::CrossEntropy ? decided.lossPartner
                                                             : nullptr));
      }
    }
  }
  for (const ir::Operation *concat : concats)
    planColumnStores(*concat);
  planKernels();
  plan_.placement = planBuffers(fn_, plan_.buffers, [this](const ir::Operation *op) {
    return plan_.computedAtUsers(op);
  });
  return std::move(plan_);
}

/// Returned values that a top-level op computes straight into the caller's
/// result buffer (no arena bytes, no copy at the end): every returned value
/// returned once, except a state's new value (its result buffer may be the
/// state argument itself, read until the end), a scan's results (carried
/// slots and stacked rows have their own rules) and values stored nowhere.
void Planner::planDirectResults() {
  const ir::Block &body = fn_.body();
  const ir::Operation *ret = body.terminator();
  if (!ret || ret->kind() != OpKind::Return)
    return;
  std::unordered_set<std::string> states;
  for (unsigned i = 0; i < body.numArguments(); ++i)
    if (fn_.argRole(i) == ir::ArgRole::State)
      states.insert(body.argument(i)->name());
  std::unordered_map<const ir::Value *, int> timesReturned;
  for (const ir::Value *v : ret->operands())
    ++timesReturned[v];
  for (unsigned i = 0; i < ret->numOperands(); ++i) {
    const ir::Value *v = ret->operand(i);
    const ir::Operation *def = v->definingOp();
    bool stateResult = i < fn_.resultNames.size() && states.count(fn_.resultNames[i]);
    if (!def || def->parentBlock() != &body || stateResult || timesReturned[v] != 1)
      continue;
    switch (def->kind()) {
    case OpKind::Scan:
    case OpKind::Slice:
    case OpKind::ReduceSum: // may be a scan output summed in place
      continue;
    default:
      ValueStorage &s = plan_.storage[v];
      s.kind = ValueStorage::Kind::CallerResult;
      s.resultIndex = i;
      plan_.directResults.push_back({v, i});
    }
  }
}

void Planner::planScanOutputs(const ir::Operation &scan) {
  const ir::Block &body = scan.body();
  const ir::Operation *yield = body.terminator();
  unsigned nc = scan.scanNumCarried();
  ScanPlan &scanPlan = plan_.scans[&scan];
  for (unsigned i = nc; i < scan.numResults(); ++i) {
    const ir::Value *result = scan.result(i);
    const ir::Value *y =
        yield && i < yield->numOperands() ? yield->operand(i) : nullptr;
    const ir::Operation *def = y ? y->definingOp() : nullptr;
    bool onlyYielded = def && def->parentBlock() == &body && y->users().size() == 1;
    const ir::Operation *user =
        result->users().size() == 1 ? result->users()[0] : nullptr;
    if (user && user->kind() == OpKind::ReduceSum &&
        user->intListAttr("axes") == std::vector<int64_t>{0}) {
      scanPlan.timeSums.push_back(user);
      plan_.ops[user].how = OpLowering::AbsorbedReduce;
      // A time sum that an enclosing scan yields is already computed in its
      // row there: one home (it used to get an arena buffer too, unused).
      if (kindOf(user->result()) != ValueStorage::Kind::StackedRow)
        assign(user->result(),
               allocate(bytesOf(user->result()), BufferRole::TimeSum, &scan));
      bool canAccumulate = def && (def->kind() == OpKind::MatMulTN ||
                                   def->kind() == OpKind::ScatterAdd);
      if (onlyYielded && canAccumulate) {
        plan_.ops[def].accumulatesInto = user->result();
        scanPlan.outputs.push_back(ScanOutputKind::SummedByProducer);
      } else {
        scanPlan.outputs.push_back(ScanOutputKind::SummedAfterStep);
      }
      continue;
    }
    scanPlan.timeSums.push_back(nullptr);
    assign(result, allocate(bytesOf(result), BufferRole::StackedOutput, &scan));
    // The producer writes straight into row t, even when the body reads the
    // value too or yields it again (carried, or a second output copied from
    // that row): the row is not overwritten during the step. A value has one
    // home, so only the first output yielding it is computed in its row.
    bool hasOwnBuffer = def && def->parentBlock() == &body &&
                        def->kind() != OpKind::Scan;
    if (hasOwnBuffer && kindOf(y) != ValueStorage::Kind::StackedRow) {
      ValueStorage &s = plan_.storage[y];
      s.kind = ValueStorage::Kind::StackedRow;
      s.scan = &scan;
      s.output = i - nc;
      scanPlan.outputs.push_back(ScanOutputKind::ComputedInRow);
    } else {
      scanPlan.outputs.push_back(ScanOutputKind::CopiedToRow);
    }
  }
}

/// The scan's per-step products (plain or as a fusion's leading product)
/// whose right operand is one of its loop invariants: each distinct
/// (invariant, orientation) is packed once into a buffer live across the
/// scan. A product whose left operand is a one-hot stays a gather. Scans of
/// fewer than 4 steps (generation runs one step per call) do not pay for the
/// packing: it costs about one product's pass over the weight.
void Planner::planPackedProducts(const ir::Operation &scan) {
  if (scanLength(scan) < 4)
    return;
  const ir::Block &body = scan.body();
  unsigned firstInvariant = scan.scanNumCarried() + scan.scanNumSequences();
  auto consider = [&](const ir::Operation &product) {
    bool transposed = product.kind() == OpKind::MatMulNT;
    if (product.kind() != OpKind::MatMul && !transposed)
      return;
    // Through fusion body arguments to the scan body's own values.
    const ir::Value *rhs = product.operand(1);
    while (rhs->ownerBlock() && rhs->ownerBlock()->parentOp() &&
           rhs->ownerBlock()->parentOp()->kind() == OpKind::Fusion)
      rhs = rhs->ownerBlock()->parentOp()->operand(rhs->argIndex());
    if (rhs->ownerBlock() != &body || rhs->argIndex() < firstInvariant ||
        rhs->argIndex() >= scan.numOperands() || rhs->type().rank() != 2)
      return;
    const ir::Value *source = scan.operand(rhs->argIndex());
    int64_t k = rhs->type().dim(transposed ? 1 : 0);
    int64_t n = rhs->type().dim(transposed ? 0 : 1);
    for (size_t i = 0; i < plan_.packed.size(); ++i) {
      const PackedOperand &p = plan_.packed[i];
      if (p.scan == &scan && p.source == source && p.transposed == transposed) {
        plan_.ops[&product].packedOperand = static_cast<int>(i);
        return;
      }
    }
    plan_.ops[&product].packedOperand = static_cast<int>(plan_.packed.size());
    plan_.packed.push_back(PackedOperand{
        &scan, source, transposed, k, n,
        allocate(packedPanelFloats(k, n) * 4, BufferRole::Packed, &scan)});
  };
  for (const auto &op : body.operations()) {
    if (op->kind() == OpKind::Fusion && !op->regions().empty() &&
        !op->body().operations().empty())
      consider(*op->body().operations().front());
    else
      consider(*op);
  }
}

void Planner::planFusion(const ir::Operation &fusion) {
  if (fusion.regions().size() != 1 || fusion.numResults() == 0)
    return; // reported by the emitter
  plan_.fusions[&fusion] = planFusionLoop(fusion, plan_, &plan_.ops[&fusion].loop);
}

/// The concat's parts that an earlier fusion in its block computes, when the
/// concat has an arena buffer of its own: the fusion's loop stores them into
/// their columns as well (ColumnStore), looping over rows of the part's
/// width, and the buffer is live from the first such fusion on, so nothing
/// placed between them shares its bytes.
void Planner::planColumnStores(const ir::Operation &concat) {
  const ir::Value *joined = concat.result();
  const ValueStorage &home = plan_.storageOf(joined);
  if (home.kind != ValueStorage::Kind::Arena || joined->type().rank() == 0 ||
      plan_.buffers.at(static_cast<size_t>(home.buffer)).liveAcross)
    return;
  const ir::Block *block = concat.parentBlock();
  std::unordered_map<const ir::Operation *, size_t> position;
  for (const auto &op : block->operations())
    position.emplace(op.get(), position.size());
  int64_t rowStride = lastDim(joined), column = 0;
  const ir::Operation *first = nullptr;
  std::vector<bool> stored(concat.numOperands(), false);
  for (unsigned i = 0; i < concat.numOperands(); ++i) {
    const ir::Value *part = concat.operand(i);
    int64_t width = lastDim(part);
    const ir::Operation *fusion = part->definingOp();
    auto planned = fusion ? plan_.fusions.find(fusion) : plan_.fusions.end();
    // In the concat's block, a part's definition comes before the concat.
    FusionPlan *fp = planned != plan_.fusions.end() && fusion->parentBlock() == block
                         ? &planned->second
                         : nullptr;
    LoopNest *nest = fp ? &plan_.ops[fusion].loop : nullptr;
    bool fits = fp && !fp->rowBias && nest->rows > 0 && width > 0 &&
                part->type().numElements() % width == 0 &&
                (nest->flat() || nest->inner == width);
    if (fits) {
      if (nest->flat()) {
        *nest = LoopNest{part->type().numElements() / width, width};
        fp->chunks = chunkCount(nest->rows, static_cast<double>(fp->work));
      }
      fp->columnStores.push_back(
          ColumnStore{part->resultIndex(), &concat, i, column, rowStride});
      stored[i] = true;
      if (!first || position.at(fusion) < position.at(first))
        first = fusion;
    }
    column += width;
  }
  if (!first)
    return;
  plan_.ops[&concat].partsStored = std::move(stored);
  plan_.buffers.at(static_cast<size_t>(home.buffer)).liveAcross = first;
}

/// Every op's kernel, once all else is decided; a fusion's leading product
/// has its own unless the fusion is one product-plus-bias call.
void Planner::planKernels() {
  std::deque<const ir::Block *> worklist{&fn_.body()};
  while (!worklist.empty()) {
    const ir::Block *block = worklist.front();
    worklist.pop_front();
    for (const auto &op : block->operations()) {
      if (const char *kernel = kernelFor(*op, plan_))
        plan_.ops[op.get()].kernel = kernel;
      if (op->kind() == OpKind::Scan && !op->regions().empty())
        worklist.push_back(&op->body());
      const FusionPlan *fp = plan_.fusion(op.get());
      if (fp && !fp->rowBias && !op->body().operations().empty()) {
        const ir::Operation &product = *op->body().operations().front();
        if (ir::isMatrixProduct(product.kind()))
          plan_.ops[&product].kernel = kernelFor(product, plan_);
      }
    }
  }
}

} // namespace

const OpPlan &LoweringPlan::op(const ir::Operation *o) const {
  static const OpPlan stored;
  auto it = ops.find(o);
  return it == ops.end() ? stored : it->second;
}

bool LoweringPlan::computedAtUsers(const ir::Operation *o) const {
  OpLowering h = how(o);
  return h == OpLowering::SliceView;
}

const ValueStorage &LoweringPlan::storageOf(const ir::Value *v) const {
  static const ValueStorage none;
  auto it = storage.find(v);
  return it == storage.end() ? none : it->second;
}

const ScanPlan *LoweringPlan::scan(const ir::Operation *s) const {
  auto it = scans.find(s);
  return it == scans.end() ? nullptr : &it->second;
}

const FusionPlan *LoweringPlan::fusion(const ir::Operation *f) const {
  auto it = fusions.find(f);
  return it == fusions.end() ? nullptr : &it->second;
}

LoweringPlan planLowering(const ir::Function &fn) { return Planner(fn).run(); }

} // namespace rnnc::runtime
