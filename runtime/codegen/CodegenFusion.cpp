//===- CodegenFusion.cpp - One kernel per `fusion` op ---------------------===//
///
/// \file
/// A `fusion` op (made by passes/FuseElementwise.cpp) is one kernel, as its
/// FusionPlan (runtime/plan/LoweringPlan.h) says:
///   1. its body arguments point at its operands' buffers;
///   2. a product plus a row bias is one rnnc_matmul_bias call; otherwise a
///      leading matrix product, if any, is the ordinary kernel call
///      (lowerMatrixOp), writing into the buffer of the plan's product home:
///      the loop below reads each element of it before it stores that
///      element, so the epilogue runs in place;
///   3. the loop nest of the plan (rows of `inner` elements, or one flat
///      loop; a slice view's row read at row * stride + j) evaluates the
///      body's ops in program order — each value once per element, however
///      many body ops read it — and stores every yielded value (a result
///      the plan stores into a later concat's columns, there too).
///      Single-element operands are loaded and constants taken once, before
///      the loop;
///      A dropout draws its mask there from its key operand
///      (emitDropoutElement, CodegenDropout.cpp); no mask is stored.
///   4. the loop lives in a function of its own over a range of rows, run by
///      rnnc_parallel_for with the plan's flop estimate; every pointer it
///      needs travels in one array.
/// Scalar code per op: emitElementwiseScalar (CodegenElementwise.cpp).
/// Tests: test/unit/FuseElementwiseTest.cpp (hand-written fusions), the
/// fused rows of CodegenExamplesTest.cpp, CodegenRandomTest.cpp,
/// test/lit/codegen/elementwise-fusion.test.
///
//===----------------------------------------------------------------------===//
#include "runtime/codegen/CodegenLowering.h"

#include <algorithm>

namespace rnnc::runtime::codegen {

using ir::OpKind;

namespace {

bool isF32(const ir::Value *v) {
  return v->type().elementType() == ir::ElementType::F32;
}

} // namespace

/// One fusion's loop being emitted: what is read per element and how.
struct FusionLoop {
  const ir::Operation *op = nullptr;
  const FusionPlan *plan = nullptr;
  LoopNest nest;
  size_t first = 0;  ///< First body op of the loop (after the product).
  int64_t n = 0;     ///< Elements of each result.
  /// Values read per element (body arguments, the product, pass-through
  /// yields) and single-element values loaded once, in first-read order.
  std::vector<const ir::Value *> arrays, scalars;
  /// The i32 key operands of dropout ops, read by key row.
  std::vector<const ir::Value *> keys;
  /// Row stride of the body arguments that are slice views.
  std::unordered_map<const ir::Value *, int64_t> rowStride;
  /// Values the same at every element: constants and loaded scalars.
  std::unordered_map<const ir::Value *, llvm::Value *> uniform;
};

bool FunctionLowering::collectFusionReads(FusionLoop &loop) {
  const ir::Block &body = loop.op->body();
  const auto &ops = body.operations();
  std::unordered_set<const ir::Value *> seen;
  for (size_t i = loop.first; i + 1 < ops.size(); ++i) {
    const ir::Operation &node = *ops[i];
    if (node.kind() == OpKind::Constant) {
      if (!isF32(node.result()))
        return fail("codegen: fusion constants must be f32");
      loop.uniform[node.result()] = f32(node.realAttr("value"));
      continue;
    }
    bool dropout = node.kind() == OpKind::Dropout;
    if (!ir::isElementwise(node.kind()) && !dropout)
      return fail(std::string("codegen: fusion body holds '") + node.name() + "'");
    if (dropout) {
      const ir::Value *key = node.operand(1);
      if (key->definingOp() || key->type().elementType() != ir::ElementType::I32)
        return fail("codegen: a dropout key must be an i32 fusion operand");
      if (std::find(loop.keys.begin(), loop.keys.end(), key) == loop.keys.end())
        loop.keys.push_back(key);
    }
    for (const ir::Value *v : node.operands()) {
      if (dropout && v == node.operand(1))
        continue;
      const ir::Operation *def = v->definingOp();
      bool fromMemory = !def || (loop.first == 1 && def == ops[0].get());
      if (!fromMemory || loop.uniform.count(v) || !seen.insert(v).second)
        continue;
      if (!isF32(v))
        return fail("codegen supports '" + std::string(node.name()) +
                    "' on f32 only, got " + v->type().str());
      int64_t m = v->type().numElements();
      if (m != 1 && (m == 0 || m > loop.n || loop.n % m != 0))
        return fail("codegen cannot broadcast " + v->type().str() + " to " +
                    loop.op->result(0)->type().str());
      (m == 1 ? loop.scalars : loop.arrays).push_back(v);
    }
  }
  // Pass-through yields of an argument are read per element too.
  for (const ir::Value *y : body.terminator()->operands())
    if (!y->definingOp() && seen.insert(y).second)
      loop.arrays.push_back(y);
  for (unsigned i = 0; i < loop.op->numOperands(); ++i)
    if (int64_t stride = loop.plan->rowStride.at(i))
      loop.rowStride[body.argument(i)] = stride;
  return true;
}

llvm::Value *FunctionLowering::loadFusionValue(const FusionLoop &loop,
                                               const ir::Value *v, llvm::Value *full,
                                               llvm::Value *row, llvm::Value *j) {
  int64_t m = v->type().numElements();
  auto strided = loop.rowStride.find(v);
  llvm::Value *index =
      m == loop.n && strided != loop.rowStride.end()
          ? b_.CreateAdd(b_.CreateMul(row, i64(strided->second), "", true, true), j, "",
                         true, true)
      : m == loop.n            ? full
      : m == loop.nest.inner ? j
                               : b_.CreateURem(full, i64(m));
  llvm::Type *f = b_.getFloatTy();
  return b_.CreateLoad(f, b_.CreateInBoundsGEP(f, ptr(v), index));
}

void FunctionLowering::emitFusionElement(const FusionLoop &loop, llvm::Value *full,
                                         llvm::Value *row, llvm::Value *j) {
  const ir::Block &body = loop.op->body();
  const auto &ops = body.operations();
  std::unordered_map<const ir::Value *, llvm::Value *> at = loop.uniform;
  auto valueOf = [&](const ir::Value *v) {
    auto it = at.find(v);
    return it != at.end() ? it->second : at[v] = loadFusionValue(loop, v, full, row, j);
  };
  for (size_t i = loop.first; i + 1 < ops.size(); ++i) {
    const ir::Operation &node = *ops[i];
    if (node.kind() == OpKind::Constant)
      continue;
    if (node.kind() == OpKind::Dropout) {
      at[node.result()] =
          emitDropoutElement(b_, node, ptr(node.operand(1)), valueOf(node.operand(0)), full);
      continue;
    }
    std::vector<llvm::Value *> in;
    for (const ir::Value *v : node.operands())
      in.push_back(valueOf(v));
    at[node.result()] = emitElementwiseScalar(b_, node.kind(), in);
  }
  // Compute every yield before storing any: the product's buffer may be
  // the first result's.
  std::vector<llvm::Value *> out;
  for (const ir::Value *y : body.terminator()->operands())
    out.push_back(valueOf(y));
  llvm::Type *f = b_.getFloatTy();
  for (unsigned k = 0; k < loop.op->numResults(); ++k)
    if (static_cast<int>(k) != loop.plan->productHome)
      b_.CreateStore(out[k], b_.CreateInBoundsGEP(f, ptr(loop.op->result(k)), full));
  // A concat's part, at row * (concat width) + column + j: the plan makes
  // the loop's rows the part's rows.
  for (const ColumnStore &cs : loop.plan->columnStores) {
    llvm::Value *index =
        b_.CreateAdd(b_.CreateMul(row, i64(cs.rowStride), "", true, true),
                     b_.CreateAdd(j, i64(cs.column), "", true, true), "", true, true);
    b_.CreateStore(out[cs.result], b_.CreateInBoundsGEP(f, ptr(cs.concat->result()), index));
  }
}

llvm::Function *FunctionLowering::emitFusionLoopFunction(
    FusionLoop &loop, const std::vector<const ir::Value *> &passed,
    const std::vector<size_t> &slotOf, size_t slots) {
  llvm::Type *ptrTy = b_.getPtrTy();
  auto *loopTy = llvm::FunctionType::get(b_.getVoidTy(),
                                         {ptrTy, b_.getInt64Ty(), b_.getInt64Ty()}, false);
  llvm::Function *loopFn = llvm::Function::Create(
      loopTy, llvm::Function::InternalLinkage, entry_->getName() + ".fusion", mod_);
  loopFn->addFnAttr(llvm::Attribute::NoUnwind);
  b_.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "entry", loopFn));
  llvm::Value *begin = loopFn->getArg(1), *end = loopFn->getArg(2);
  std::vector<llvm::Value *> loaded;
  for (size_t i = 0; i < slots; ++i)
    loaded.push_back(b_.CreateLoad(
        ptrTy, b_.CreateConstInBoundsGEP1_64(ptrTy, loopFn->getArg(0), i), "p"));
  for (size_t i = 0; i < passed.size(); ++i)
    ptr_[passed[i]] = loaded[slotOf[i]];
  for (const ir::Value *v : loop.scalars)
    loop.uniform[v] = b_.CreateLoad(b_.getFloatTy(), ptr_[v]);
  // for (o = begin; o < end; ++o), entered only when begin < end.
  llvm::BasicBlock *pre = b_.GetInsertBlock();
  llvm::BasicBlock *header = llvm::BasicBlock::Create(ctx_, "rows", loopFn);
  llvm::BasicBlock *exit = llvm::BasicBlock::Create(ctx_, "done", loopFn);
  b_.CreateCondBr(b_.CreateICmpSLT(begin, end), header, exit);
  b_.SetInsertPoint(header);
  llvm::PHINode *o = b_.CreatePHI(b_.getInt64Ty(), 2, "o");
  o->addIncoming(begin, pre);
  if (loop.nest.flat())
    emitFusionElement(loop, o, i64(0), o);
  else
    emitInnerLoop(loop.nest.inner, o,
                  [&](llvm::Value *full, llvm::Value *row, llvm::Value *j) {
                    emitFusionElement(loop, full, row, j);
                  });
  llvm::Value *next = b_.CreateAdd(o, i64(1), "", true, true);
  o->addIncoming(next, b_.GetInsertBlock());
  b_.CreateCondBr(b_.CreateICmpSLT(next, end), header, exit);
  exit->moveAfter(b_.GetInsertBlock());
  b_.SetInsertPoint(exit);
  b_.CreateRetVoid();
  return loopFn;
}

void FunctionLowering::emitFusionLoop(FusionLoop &loop) {
  std::vector<const ir::Value *> passed = loop.arrays;
  passed.insert(passed.end(), loop.scalars.begin(), loop.scalars.end());
  passed.insert(passed.end(), loop.keys.begin(), loop.keys.end());
  for (const ir::Value *r : loop.op->results())
    passed.push_back(r);
  for (const ColumnStore &cs : loop.plan->columnStores)
    passed.push_back(cs.concat->result());
  // One slot per distinct caller pointer: a product computed in place in its
  // result's buffer must reach the loop as one pointer, or the vectoriser's
  // run-time overlap check fails and the scalar loop runs.
  std::vector<llvm::Value *> slots, callerPtr;
  std::vector<size_t> slotOf;
  for (const ir::Value *v : passed) {
    llvm::Value *p = ptr(v);
    callerPtr.push_back(p);
    auto at = std::find(slots.begin(), slots.end(), p);
    slotOf.push_back(static_cast<size_t>(at - slots.begin()));
    if (at == slots.end())
      slots.push_back(p);
  }
  auto *arrayTy = llvm::ArrayType::get(b_.getPtrTy(), slots.size());
  llvm::IRBuilder<> atEntry(&entry_->getEntryBlock(), entry_->getEntryBlock().begin());
  llvm::AllocaInst *context = atEntry.CreateAlloca(arrayTy, nullptr, "fusion.ctx");
  for (size_t i = 0; i < slots.size(); ++i)
    b_.CreateStore(slots[i], b_.CreateConstInBoundsGEP2_64(arrayTy, context, 0, i));

  llvm::IRBuilderBase::InsertPoint callerPoint = b_.saveIP();
  llvm::Function *loopFn = emitFusionLoopFunction(loop, passed, slotOf, slots.size());
  b_.restoreIP(callerPoint);
  for (size_t i = 0; i < passed.size(); ++i)
    ptr_[passed[i]] = callerPtr[i];
  callKernel(plan_.op(loop.op).kernel,
             {loopFn, context, i64(loop.nest.rows), i64(loop.plan->work)});
}

bool FunctionLowering::lowerFusion(const ir::Operation &op) {
  const FusionPlan *fp = plan_.fusion(&op);
  if (!fp || op.regions().size() != 1 || op.numResults() == 0)
    return fail("fusion without a body, results or plan");
  const ir::Block &body = op.body();
  const ir::Operation *yield = body.terminator();
  if (!yield || yield->kind() != OpKind::Yield ||
      yield->numOperands() != op.numResults() ||
      body.numArguments() != op.numOperands())
    return fail("fusion operands, body arguments and yield do not match");
  int64_t n = op.result(0)->type().numElements();
  for (const ir::Value *r : op.results())
    if (!isF32(r) || r->type().numElements() != n)
      return fail("codegen: fusion results must be f32 of one size, got " +
                  r->type().str());
  for (unsigned i = 0; i < op.numOperands(); ++i)
    ptr_[body.argument(i)] = ptr(op.operand(i));

  const auto &ops = body.operations();
  if (fp->rowBias) { // [m, k] x [k, n] + bias[n], starting from the bias rows
    const ir::Operation &product = *ops[0];
    const ir::Value *a = product.operand(0), *w = product.operand(1);
    int64_t k = w->type().dim(0), cols = w->type().dim(1);
    callKernel(plan_.op(&op).kernel,
               {ptr(a), ptr(w), ptr(fp->rowBias), ptr(op.result(0)),
                i64(k ? a->type().numElements() / k : 0), i64(k), i64(cols)});
    return error_.empty();
  }
  FusionLoop loop;
  loop.op = &op;
  loop.plan = fp;
  loop.nest = plan_.op(&op).loop;
  loop.n = n;
  if (ir::isMatrixProduct(ops[0]->kind())) {
    const ir::Operation &product = *ops[0];
    loop.first = 1;
    if (product.result()->type().numElements() != n)
      return fail("codegen: fusion product " + product.result()->type().str() +
                  " is not the size of the loop");
    ptr_[product.result()] = ptr(op.result(fp->productHome < 0 ? 0 : fp->productHome));
    if (!lowerMatrixOp(product))
      return false;
  }
  if (n == 0)
    return error_.empty();
  if (!collectFusionReads(loop))
    return false;
  emitFusionLoop(loop);
  return error_.empty();
}

} // namespace rnnc::runtime::codegen
