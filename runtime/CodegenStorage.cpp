//===- CodegenStorage.cpp - Where each value of a lowering lives ----------===//
///
/// \file
/// The storage plan of one lowering, made before any code is emitted: one
/// arena buffer per stored op result (a worklist over the function body and
/// nested scan bodies), except where a value needs none — a one-hot folded
/// into a gather or scatter-add, a constant inlined into elementwise loops,
/// an elementwise op fused into its user's loop, a slice read in place, a
/// returned value computed in the caller's buffer, a scan output summed over
/// time in place or written straight into its stacked row
/// (CodegenLowering.h). A scan's per-step products by a loop-invariant
/// matrix get a buffer for that matrix packed once before the loop.
/// runtime/BufferPlan.h then gives buffers that are never live together the
/// same arena bytes.
///
//===----------------------------------------------------------------------===//
#include "runtime/BufferPlan.h"
#include "runtime/CodegenLowering.h"
#include "runtime/Kernels.h"

#include <deque>

namespace rnnc::runtime::codegen {

using ir::OpKind;

int64_t FunctionLowering::allocate(int64_t bytes, const ir::Operation *liveAcross) {
  requests_.push_back(BufferRequest{bytes, {}, liveAcross});
  return static_cast<int64_t>(requests_.size()) - 1;
}

namespace {

/// A one-hot whose every use is the left operand of matmul or matmul_tn
/// (and not also its right operand): it becomes a gather / scatter-add.
bool oneHotFoldsIntoUsers(const ir::Operation &op) {
  const ir::Value *v = op.result();
  if (!v->hasUses())
    return true;
  for (const ir::Operation *user : v->users()) {
    bool lhsOnly = user->operand(0) == v && user->operand(1) != v;
    if (!lhsOnly ||
        (user->kind() != OpKind::MatMul && user->kind() != OpKind::MatMulTN))
      return false;
  }
  return true;
}

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

bool constantFoldsIntoUsers(const ir::Operation &op) {
  if (op.result()->type().elementType() != ir::ElementType::F32)
    return false;
  for (const ir::Operation *user : op.result()->users())
    if (!ir::isElementwise(user->kind()))
      return false;
  return true;
}

} // namespace

void FunctionLowering::assign(const ir::Value *v, int64_t buffer) {
  offset_[v] = buffer;
  planOrder_.push_back(v);
  requests_.at(static_cast<size_t>(buffer)).values.push_back(v);
}

/// Turns buffer numbers into arena offsets, sharing bytes between buffers
/// that are never live together.
void FunctionLowering::placeBuffers() {
  plan_ = planBuffers(fn_, requests_, [this](const ir::Operation *op) {
    return isFusedProducer(op) || isFoldedOneHot(op) || isSliceView(op);
  });
  for (auto &[value, at] : offset_)
    at = plan_.offsets.at(static_cast<size_t>(at));
  for (auto &[key, at] : yieldStage_)
    at = plan_.offsets.at(static_cast<size_t>(at));
  for (PackedOperand &packed : packedOperands_)
    packed.at = plan_.offsets.at(static_cast<size_t>(packed.at));
  arenaBytes_ = plan_.arenaBytes;
}

void FunctionLowering::planStorage() {
  planDirectResults();
  std::deque<const ir::Block *> worklist{&fn_.body()};
  while (!worklist.empty()) {
    const ir::Block *block = worklist.front();
    worklist.pop_front();
    for (const auto &owned : block->operations()) {
      const ir::Operation &op = *owned;
      switch (op.kind()) {
      case OpKind::Yield:
      case OpKind::Return:
        continue;
      case OpKind::OneHot:
        if (oneHotFoldsIntoUsers(op)) {
          foldedOneHots_.insert(&op);
          continue;
        }
        break;
      case OpKind::Constant:
        if (constantFoldsIntoUsers(op)) {
          inlinedConstants_.insert(&op);
          continue;
        }
        break;
      case OpKind::Scan: {
        if (op.regions().empty())
          continue; // reported when lowered
        const ir::Block &body = op.body();
        unsigned carried = op.scanNumCarried();
        for (unsigned i = 0; i < carried && i < body.numArguments() &&
                             i < op.numResults();
             ++i) {
          int64_t slot = allocate(bytesOf(body.argument(i)), &op);
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
              yieldStage_[{&op, i}] = allocate(bytesOf(y), &op);
          }
        worklist.push_back(&body);
        continue;
      }
      case OpKind::ReduceSum:
        if (isAbsorbedReduce(&op))
          continue; // storage assigned with its scan
        break;
      case OpKind::Slice:
        if (sliceReadInPlace(op)) {
          sliceViews_.insert(&op);
          continue;
        }
        break;
      default:
        break;
      }
      planElementwiseFusion(op);
      if (accumulateInto_.count(&op) || isFusedProducer(&op))
        continue;
      for (const ir::Value *r : op.results())
        if (directResults_.count(r))
          continue; // computed in the caller's result buffer
        else if (!directStacked_.count(r))
          // A loss computed with its gradient is written at the gradient's
          // place: its buffer stays live until there.
          assign(r, allocate(bytesOf(r), op.kind() == OpKind::CrossEntropy
                                             ? fusedLossPartner(op)
                                             : nullptr));
    }
  }
  placeBuffers();
}

/// Returned values that a top-level op computes straight into the caller's
/// result buffer (no arena bytes, no copy at the end): every returned value
/// returned once, except a state's new value (its result buffer may be the
/// state argument itself, read until the end), a scan's results (carried
/// slots and stacked rows have their own rules) and values stored nowhere.
void FunctionLowering::planDirectResults() {
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
    case OpKind::OneHot:
    case OpKind::Constant:
    case OpKind::Slice:
    case OpKind::ReduceSum: // may be a scan output summed in place
      continue;
    default:
      if (ir::isElementwise(def->kind()))
        continue; // may be computed inside its user's loop
      directResults_[v] = i;
    }
  }
}

void FunctionLowering::planScanOutputs(const ir::Operation &scan) {
  const ir::Block &body = scan.body();
  const ir::Operation *yield = body.terminator();
  unsigned nc = scan.scanNumCarried();
  std::vector<ScanOutputKind> &kinds = scanOutputs_[&scan];
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
      accumulatedOutputs_[result] = user;
      absorbedReduces_.insert(user);
      assign(user->result(), allocate(bytesOf(user->result()), &scan));
      bool canAccumulate = def && (def->kind() == OpKind::MatMulTN ||
                                   def->kind() == OpKind::ScatterAdd);
      if (onlyYielded && canAccumulate) {
        accumulateInto_[def] = user->result();
        kinds.push_back(ScanOutputKind::SummedByProducer);
      } else {
        kinds.push_back(ScanOutputKind::SummedAfterStep);
      }
      continue;
    }
    assign(result, allocate(bytesOf(result), &scan));
    // The producer writes straight into row t, even when the body reads the
    // value too or yields it again (carried, or a second output copied from
    // that row): the row is not overwritten during the step. A value has one
    // home, so only the first output yielding it is computed in its row.
    bool hasOwnBuffer = def && def->parentBlock() == &body &&
                        def->kind() != OpKind::Scan &&
                        def->kind() != OpKind::Constant &&
                        def->kind() != OpKind::OneHot;
    if (hasOwnBuffer && !directStacked_.count(y)) {
      directStacked_[y] = {&scan, i - nc};
      kinds.push_back(ScanOutputKind::ComputedInRow);
    } else {
      kinds.push_back(ScanOutputKind::CopiedToRow);
    }
  }
}

/// The scan's per-step products (plain or as a fusion's leading product)
/// whose right operand is one of its loop invariants: each distinct
/// (invariant, orientation) is packed once into a buffer live across the
/// scan. A product whose left operand is a one-hot stays a gather. Scans of
/// fewer than 4 steps (generation runs one step per call) do not pay for the
/// packing: it costs about one product's pass over the weight.
void FunctionLowering::planPackedProducts(const ir::Operation &scan) {
  if (scanLength(scan) < 4)
    return;
  const ir::Block &body = scan.body();
  unsigned firstInvariant = scan.scanNumCarried() + scan.scanNumSequences();
  auto consider = [&](const ir::Operation &product) {
    bool transposed = product.kind() == OpKind::MatMulNT;
    if (product.kind() != OpKind::MatMul && !transposed)
      return;
    const ir::Operation *lhsDef = product.operand(0)->definingOp();
    if (lhsDef && lhsDef->kind() == OpKind::OneHot)
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
    for (size_t i = 0; i < packedOperands_.size(); ++i) {
      const PackedOperand &p = packedOperands_[i];
      if (p.scan == &scan && p.source == source && p.transposed == transposed) {
        packedProducts_[&product] = i;
        return;
      }
    }
    packedProducts_[&product] = packedOperands_.size();
    packedOperands_.push_back(PackedOperand{
        &scan, source, transposed, k, n, allocate(packedPanelFloats(k, n) * 4, &scan)});
  };
  for (const auto &op : body.operations()) {
    if (op->kind() == OpKind::Fusion && !op->regions().empty() &&
        !op->body().operations().empty())
      consider(*op->body().operations().front());
    else
      consider(*op);
  }
}

} // namespace rnnc::runtime::codegen
