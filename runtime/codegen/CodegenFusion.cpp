//===- CodegenFusion.cpp - One kernel per `fusion` op ---------------------===//
///
/// \file
/// A `fusion` op (made by passes/FuseElementwise.cpp) is one kernel:
///   1. its body arguments point at its operands' buffers;
///   2. a leading matrix product, if any, is the ordinary kernel call
///      (lowerMatrixOp), writing into the buffer of the result that yields
///      it, else into the first result's buffer: the loop below reads each
///      element of it before it stores that element, so the epilogue runs in
///      place and the product needs no buffer of its own;
///   3. one loop over the elements (two nested loops, row o and inner index
///      j, when an operand broadcasts as a suffix, as CodegenElementwise.cpp
///      does, or is a slice view read in place at o * stride + j) evaluates the body's ops in program order — each value once per
///      element, however many body ops read it — and stores every yielded
///      value. Single-element operands are loaded and constants taken once,
///      before the loop.
/// Scalar code per op: emitElementwiseScalar (CodegenElementwise.cpp).
/// Tests: test/unit/FuseElementwiseTest.cpp (hand-written fusions), the
/// fused rows of CodegenExamplesTest.cpp, CodegenRandomTest.cpp.
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

bool FunctionLowering::lowerProductPlusBias(const ir::Operation &op) {
  const ir::Block &body = op.body();
  const auto &ops = body.operations();
  const ir::Operation *yield = body.terminator();
  if (ops.size() != 3 || ops[0]->kind() != OpKind::MatMul ||
      ops[1]->kind() != OpKind::Add || yield->numOperands() != 1 ||
      yield->operand(0) != ops[1]->result())
    return false;
  const ir::Operation &product = *ops[0], &add = *ops[1];
  const ir::Value *p = product.result();
  const ir::Value *bias = add.operand(0) == p ? add.operand(1) : add.operand(0);
  const ir::Value *a = product.operand(0), *w = product.operand(1);
  const ir::TensorType &pt = p->type();
  if ((add.operand(0) != p && add.operand(1) != p) || bias == p ||
      bias->definingOp() || !isF32(bias) || pt.rank() == 0 ||
      w->type().rank() != 2 || bias->type().numElements() != pt.dim(pt.rank() - 1) ||
      a->ownerBlock() != &body || !isF32(a) || !isF32(w))
    return false;
  int64_t n = w->type().dim(1), k = w->type().dim(0);
  int64_t m = k ? a->type().numElements() / k : 0;
  callKernel("rnnc_matmul_bias",
             {ptr(a), ptr(w), ptr(bias), ptr(op.result(0)), i64(m), i64(k), i64(n)});
  return true;
}

bool FunctionLowering::lowerFusion(const ir::Operation &op) {
  if (op.regions().size() != 1 || op.numResults() == 0)
    return fail("fusion without a body or results");
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
  // Operands that are slice views (the plan's SliceView): their rows
  // are `stride` floats apart in the sliced buffer.
  std::unordered_map<const ir::Value *, int64_t> rowStride;
  int64_t viewWidth = 0;
  for (unsigned i = 0; i < op.numOperands(); ++i) {
    ptr_[body.argument(i)] = ptr(op.operand(i));
    const ir::Operation *def = op.operand(i)->definingOp();
    if (def && isSliceView(def)) {
      const ir::TensorType &from = def->operand(0)->type();
      const ir::TensorType &to = op.operand(i)->type();
      rowStride[body.argument(i)] = from.dim(from.rank() - 1);
      viewWidth = to.dim(to.rank() - 1);
    }
  }

  // 2. The leading product; a product plus a row bias and nothing else is
  //    one kernel that starts from the bias rows (the output projection).
  const auto &ops = body.operations();
  if (lowerProductPlusBias(op))
    return error_.empty();
  size_t first = 0;
  int productHome = -1; // result index whose buffer is the product itself
  if (ir::isMatrixProduct(ops[0]->kind())) {
    const ir::Operation &product = *ops[0];
    first = 1;
    for (unsigned k = 0; k < yield->numOperands() && productHome < 0; ++k)
      if (yield->operand(k) == product.result())
        productHome = static_cast<int>(k);
    if (product.result()->type().numElements() != n)
      return fail("codegen: fusion product " + product.result()->type().str() +
                  " is not the size of the loop");
    ptr_[product.result()] = ptr(op.result(productHome < 0 ? 0 : productHome));
    if (!lowerMatrixOp(product))
      return false;
  }
  if (n == 0)
    return error_.empty();

  // Leaves: values read from memory (body arguments and the product).
  llvm::Type *f = b_.getFloatTy();
  std::unordered_map<const ir::Value *, llvm::Value *> uniform;
  std::unordered_set<const ir::Value *> leaves;
  std::vector<const ir::Value *> leafOrder, scalarLeaves; // deterministic order
  int64_t inner = n;
  for (size_t i = first; i + 1 < ops.size(); ++i) {
    const ir::Operation &node = *ops[i];
    if (node.kind() == OpKind::Constant) {
      if (!isF32(node.result()))
        return fail("codegen: fusion constants must be f32");
      uniform[node.result()] = f32(node.realAttr("value"));
      continue;
    }
    if (!ir::isElementwise(node.kind()))
      return fail(std::string("codegen: fusion body holds '") + node.name() + "'");
    for (const ir::Value *v : node.operands()) {
      const ir::Operation *def = v->definingOp();
      bool isLeaf = !def || (first == 1 && def == ops[0].get());
      if (!isLeaf || leaves.count(v) || uniform.count(v))
        continue;
      if (!isF32(v))
        return fail("codegen supports '" + std::string(node.name()) +
                    "' on f32 only, got " + v->type().str());
      int64_t m = v->type().numElements();
      if (m == 1) {
        scalarLeaves.push_back(v);
        uniform[v] = nullptr; // loaded in the loop's function
        continue;
      }
      if (m == 0 || m > n || n % m != 0)
        return fail("codegen cannot broadcast " + v->type().str() + " to " +
                    op.result(0)->type().str());
      leaves.insert(v);
      leafOrder.push_back(v);
      if (m < n)
        inner = std::min(inner, m);
    }
  }
  // Pass-through yields of an argument are leaves too.
  for (const ir::Value *y : yield->operands())
    if (!y->definingOp() && !uniform.count(y) && leaves.insert(y).second)
      leafOrder.push_back(y);
  if (viewWidth > 0) {
    if (n % viewWidth != 0 || (inner != n && inner != viewWidth))
      return fail("internal: a slice view does not fit the fusion's rows");
    inner = viewWidth; // rows, so a view's row can start at its stride
  }

  // 3. The loop body at (full, inner) indices: every body value once.
  auto iteration = [&](llvm::Value *full, llvm::Value *row, llvm::Value *j) {
    std::unordered_map<const ir::Value *, llvm::Value *> at = uniform;
    auto value = [&](const ir::Value *v) -> llvm::Value * {
      auto it = at.find(v);
      if (it != at.end())
        return it->second;
      int64_t m = v->type().numElements();
      auto strided = rowStride.find(v);
      llvm::Value *index =
          m == n && strided != rowStride.end()
              ? b_.CreateAdd(b_.CreateMul(row, i64(strided->second), "", true, true), j,
                             "", true, true)
          : m == n     ? full
          : m == inner ? j
                       : b_.CreateURem(full, i64(m));
      llvm::Value *loaded = b_.CreateLoad(f, b_.CreateInBoundsGEP(f, ptr(v), index));
      return at[v] = loaded;
    };
    for (size_t i = first; i + 1 < ops.size(); ++i) {
      const ir::Operation &node = *ops[i];
      if (node.kind() == OpKind::Constant)
        continue;
      std::vector<llvm::Value *> in;
      for (const ir::Value *v : node.operands())
        in.push_back(value(v));
      at[node.result()] = emitElementwiseScalar(b_, node.kind(), in);
    }
    // Compute every yield before storing any: the product's buffer may be
    // the first result's.
    std::vector<llvm::Value *> out;
    for (const ir::Value *y : yield->operands())
      out.push_back(value(y));
    for (unsigned k = 0; k < op.numResults(); ++k)
      if (static_cast<int>(k) != productHome)
        b_.CreateStore(out[k], b_.CreateInBoundsGEP(f, ptr(op.result(k)), full));
  };
  // 4. The loop lives in a function of its own over a range of rows (of
  //    elements when there is no inner loop); rnnc_parallel_for splits that
  //    range across the kernel threads when the work pays for the hand-off.
  //    Every pointer it needs travels in one array.
  std::vector<const ir::Value *> passed = leafOrder;
  passed.insert(passed.end(), scalarLeaves.begin(), scalarLeaves.end());
  for (const ir::Value *r : op.results())
    passed.push_back(r);
  // One slot per distinct caller pointer: a product computed in place in its
  // result's buffer must reach the loop as one pointer, or the vectoriser's
  // run-time overlap check fails and the scalar loop runs.
  std::vector<llvm::Value *> slots;
  std::unordered_map<const ir::Value *, size_t> slotOf;
  for (const ir::Value *v : passed) {
    llvm::Value *p = ptr(v);
    auto at = std::find(slots.begin(), slots.end(), p);
    slotOf[v] = static_cast<size_t>(at - slots.begin());
    if (at == slots.end())
      slots.push_back(p);
  }
  llvm::Type *ptrTy = b_.getPtrTy();
  auto *arrayTy = llvm::ArrayType::get(ptrTy, slots.size());
  llvm::AllocaInst *context;
  {
    llvm::IRBuilder<> atEntry(&entry_->getEntryBlock(), entry_->getEntryBlock().begin());
    context = atEntry.CreateAlloca(arrayTy, nullptr, "fusion.ctx");
  }
  for (size_t i = 0; i < slots.size(); ++i)
    b_.CreateStore(slots[i], b_.CreateConstInBoundsGEP2_64(arrayTy, context, 0, i));

  auto *loopTy = llvm::FunctionType::get(b_.getVoidTy(),
                                         {ptrTy, b_.getInt64Ty(), b_.getInt64Ty()}, false);
  llvm::Function *loopFn = llvm::Function::Create(
      loopTy, llvm::Function::InternalLinkage, entry_->getName() + ".fusion", mod_);
  loopFn->addFnAttr(llvm::Attribute::NoUnwind);
  llvm::IRBuilderBase::InsertPoint callerPoint = b_.saveIP();
  std::unordered_map<const ir::Value *, llvm::Value *> callerPtr;
  for (const ir::Value *v : passed)
    callerPtr[v] = ptr(v);
  b_.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "entry", loopFn));
  llvm::Value *begin = loopFn->getArg(1), *end = loopFn->getArg(2);
  std::vector<llvm::Value *> loaded;
  for (size_t i = 0; i < slots.size(); ++i)
    loaded.push_back(b_.CreateLoad(
        ptrTy, b_.CreateConstInBoundsGEP1_64(ptrTy, loopFn->getArg(0), i), "p"));
  for (const ir::Value *v : passed)
    ptr_[v] = loaded[slotOf.at(v)];
  for (const ir::Value *v : scalarLeaves)
    uniform[v] = b_.CreateLoad(f, ptr_[v]);
  int64_t rows = inner == n ? n : n / inner;
  // for (o = begin; o < end; ++o), entered only when begin < end.
  llvm::BasicBlock *pre = b_.GetInsertBlock();
  llvm::BasicBlock *header = llvm::BasicBlock::Create(ctx_, "rows", loopFn);
  llvm::BasicBlock *exit = llvm::BasicBlock::Create(ctx_, "done", loopFn);
  b_.CreateCondBr(b_.CreateICmpSLT(begin, end), header, exit);
  b_.SetInsertPoint(header);
  llvm::PHINode *o = b_.CreatePHI(b_.getInt64Ty(), 2, "o");
  o->addIncoming(begin, pre);
  if (inner == n) {
    iteration(o, i64(0), o);
  } else {
    llvm::Value *base = b_.CreateMul(o, i64(inner), "", true, true);
    emitLoop(inner, [&](llvm::Value *j) {
      iteration(b_.CreateAdd(base, j, "", true, true), o, j);
    }, "j");
  }
  llvm::Value *next = b_.CreateAdd(o, i64(1), "", true, true);
  o->addIncoming(next, b_.GetInsertBlock());
  b_.CreateCondBr(b_.CreateICmpSLT(next, end), header, exit);
  exit->moveAfter(b_.GetInsertBlock());
  b_.SetInsertPoint(exit);
  b_.CreateRetVoid();

  b_.restoreIP(callerPoint);
  for (const ir::Value *v : passed)
    ptr_[v] = callerPtr.at(v);
  // Work in flops per element: a transcendental is a rational approximation.
  double perElement = 0;
  for (size_t i = first; i + 1 < ops.size(); ++i) {
    OpKind k = ops[i]->kind();
    bool heavy = k == OpKind::Tanh || k == OpKind::Sigmoid || k == OpKind::Exp ||
                 k == OpKind::Log;
    perElement += heavy ? 24 : (k == OpKind::Constant ? 0 : 1);
  }
  callKernel("rnnc_parallel_for",
             {loopFn, context, i64(rows),
              i64(static_cast<int64_t>(2 * perElement * static_cast<double>(n)))});
  return error_.empty();
}

} // namespace rnnc::runtime::codegen
