//===- CodegenOps.cpp - LLVM IR for each rnnc IR operation ----------------===//
///
/// \file
/// One emitter per op group (elementwise loops: CodegenElementwise.cpp).
/// Everything with a non-trivial access pattern calls a kernel from
/// runtime/kernels/Kernels.h. Sizes are compile-time constants: the IR is
/// fully specialised. What each op becomes (a packed product, a loss
/// computed with its gradient, a product adding into a time sum, a slice
/// view) is the lowering plan's decision (runtime/plan/LoweringPlan.h).
///
//===----------------------------------------------------------------------===//
#include "runtime/codegen/CodegenLowering.h"

namespace rnnc::runtime::codegen {

using ir::OpKind;

namespace {

/// Rows of `v` when its last axis is the row width.
int64_t leadingRows(const ir::Value *v) {
  int64_t width = lastDim(v);
  return width ? v->type().numElements() / width : 0;
}

} // namespace

bool FunctionLowering::lowerOp(const ir::Operation &op) {
  OpKind k = op.kind();
  if (k == OpKind::Constant)
    return lowerConstant(op);
  if (ir::isElementwise(k))
    return lowerElementwise(op);
  if (ir::isMatrixProduct(k))
    return lowerMatrixOp(op);
  if (ir::isRowOp(k))
    return lowerRowOp(op);
  switch (k) {
  case OpKind::OneHot:
  case OpKind::Gather:
  case OpKind::ScatterAdd:
    return lowerIndexOp(op);
  case OpKind::Concat:
  case OpKind::Slice:
  case OpKind::Pad:
  case OpKind::ReduceSum:
    return lowerShapeOp(op);
  case OpKind::CrossEntropy:
  case OpKind::CrossEntropyGrad:
    return lowerLossOp(op);
  case OpKind::Scan:
    return lowerScan(op);
  case OpKind::Fusion:
    return lowerFusion(op);
  case OpKind::Dropout:
    return lowerDropout(op);
  default:
    return fail(std::string("codegen does not support op '") + op.name() + "'");
  }
}

bool FunctionLowering::lowerConstant(const ir::Operation &op) {
  const ir::Value *r = op.result();
  bool isFloat = r->type().elementType() == ir::ElementType::F32;
  double value = op.realAttr("value");
  llvm::Type *elem = isFloat ? b_.getFloatTy() : b_.getInt32Ty();
  llvm::Value *fill = isFloat ? f32(value)
                              : static_cast<llvm::Value *>(
                                    b_.getInt32(static_cast<int32_t>(value)));
  llvm::Value *out = ptr(r);
  emitLoop(r->type().numElements(), [&](llvm::Value *i) {
    b_.CreateStore(fill, b_.CreateInBoundsGEP(elem, out, i));
  });
  return true;
}

bool FunctionLowering::lowerMatrixOp(const ir::Operation &op) {
  const ir::Value *a = op.operand(0), *bv = op.operand(1), *r = op.result();
  if (bv->type().rank() != 2 && op.kind() != OpKind::MatMulTN)
    return fail(std::string("codegen: '") + op.name() + "' needs a matrix right operand");
  int64_t width = lastDim(a), rows = leadingRows(a);
  const OpPlan &decided = plan_.op(&op);
  const char *kernel = decided.kernel;
  if (decided.packedOperand >= 0) { // a per-step product, weight packed
    const PackedOperand &p = plan_.packed.at(static_cast<size_t>(decided.packedOperand));
    callKernel(kernel, {ptr(a), bufferPtr(p.buffer), ptr(r), i64(rows), i64(p.k), i64(p.n)});
    return true;
  }
  switch (op.kind()) {
  case OpKind::MatMul: // [rows, K] x [K, N]
    callKernel(kernel, {ptr(a), ptr(bv), ptr(r), i64(rows), i64(width),
                        i64(bv->type().dim(1))});
    return true;
  case OpKind::MatMulNT: // [rows, N] x [K, N]^T
    callKernel(kernel, {ptr(a), ptr(bv), ptr(r), i64(rows), i64(width),
                        i64(bv->type().dim(0))});
    return true;
  default: { // MatMulTN: [rows, K]^T x [rows, N]
    int64_t accumulate;
    llvm::Value *out = resultBuffer(op, accumulate);
    callKernel(kernel, {ptr(a), ptr(bv), out, i64(rows), i64(width), i64(lastDim(bv)),
                        i64(accumulate)});
    return true;
  }
  }
}

bool FunctionLowering::lowerIndexOp(const ir::Operation &op) {
  const ir::Value *r = op.result();
  const char *kernel = plan_.op(&op).kernel;
  switch (op.kind()) {
  case OpKind::OneHot:
    callKernel(kernel, {ptr(op.operand(0)), ptr(r), i64(op.operand(0)->type().numElements()),
                        i64(op.intAttr("depth"))});
    return true;
  case OpKind::Gather: {
    const ir::Value *table = op.operand(0);
    if (table->type().rank() != 2)
      return fail("codegen: gather needs a rank-2 table, got " + table->type().str());
    callKernel(kernel, {ptr(table), ptr(op.operand(1)), ptr(r),
                        i64(op.operand(1)->type().numElements()),
                        i64(table->type().dim(0)), i64(table->type().dim(1))});
    return true;
  }
  default: { // ScatterAdd
    int64_t accumulate;
    llvm::Value *out = resultBuffer(op, accumulate);
    callKernel(kernel, {ptr(op.operand(0)), ptr(op.operand(1)), out,
                        i64(op.operand(0)->type().numElements()), i64(op.intAttr("rows")),
                        i64(lastDim(op.operand(1))), i64(accumulate)});
    return true;
  }
  }
}

bool FunctionLowering::lowerShapeOp(const ir::Operation &op) {
  const ir::Value *r = op.result();
  int64_t outCols = lastDim(r), rows = leadingRows(r);
  const char *kernel = plan_.op(&op).kernel;
  switch (op.kind()) {
  case OpKind::Concat: {
    const std::vector<bool> &stored = plan_.op(&op).partsStored;
    int64_t at = 0;
    for (unsigned i = 0; i < op.numOperands(); ++i) {
      const ir::Value *part = op.operand(i);
      int64_t w = lastDim(part);
      if (stored.empty() || !stored[i]) // else its fusion stored it here
        callKernel(kernel, {ptr(part), ptr(r), i64(rows), i64(w), i64(0), i64(outCols),
                            i64(at), i64(w)});
      at += w;
    }
    return true;
  }
  case OpKind::Slice:
    if (isSliceView(&op)) { // rows read in place by its fusion users
      ptr_[r] = b_.CreateInBoundsGEP(b_.getFloatTy(), ptr(op.operand(0)),
                                     i64(op.intAttr("begin")), "view");
      return true;
    }
    callKernel(kernel, {ptr(op.operand(0)), ptr(r), i64(rows), i64(lastDim(op.operand(0))),
                        i64(op.intAttr("begin")), i64(outCols), i64(0), i64(outCols)});
    return true;
  case OpKind::Pad: {
    int64_t w = lastDim(op.operand(0));
    b_.CreateMemSet(ptr(r), b_.getInt8(0), bytesOf(r), llvm::MaybeAlign(4));
    callKernel(kernel, {ptr(op.operand(0)), ptr(r), i64(rows), i64(w), i64(0),
                        i64(outCols), i64(op.intAttr("begin")), i64(w)});
    return true;
  }
  default: { // ReduceSum: shape and axis mask as constant globals.
    if (isAbsorbedReduce(&op))
      return true; // summed inside its scan
    const ir::Value *x = op.operand(0);
    std::vector<uint64_t> shape, reduced(x->type().rank(), 0);
    for (int64_t d : x->type().shape())
      shape.push_back(static_cast<uint64_t>(d));
    for (int64_t axis : op.intListAttr("axes")) {
      if (axis < 0 || axis >= static_cast<int64_t>(x->type().rank()))
        return fail("codegen: reduce_sum axis out of range");
      reduced[static_cast<size_t>(axis)] = 1;
    }
    auto global = [&](const std::vector<uint64_t> &values, const char *name) {
      auto *init = llvm::ConstantDataArray::get(ctx_, llvm::ArrayRef<uint64_t>(values));
      return new llvm::GlobalVariable(mod_, init->getType(), true,
                                      llvm::GlobalValue::PrivateLinkage, init, name);
    };
    callKernel(kernel, {ptr(x), ptr(r), global(shape, "reduce.shape"),
                        global(reduced, "reduce.axes"),
                        i64(static_cast<int64_t>(shape.size()))});
    return true;
  }
  }
}

bool FunctionLowering::lowerLossOp(const ir::Operation &op) {
  const ir::Value *logits = op.operand(0), *labels = op.operand(1);
  int64_t rows = labels->type().numElements(), classes = lastDim(logits);
  const OpPlan &decided = plan_.op(&op);
  if (!decided.kernel)
    return true; // the loss, computed by its gradient's kernel
  if (op.kind() == OpKind::CrossEntropy)
    callKernel(decided.kernel,
               {ptr(logits), ptr(labels), ptr(op.result()), i64(rows), i64(classes)});
  else if (decided.lossPartner) // the gradient, computing its loss too
    callKernel(decided.kernel, {ptr(logits), ptr(labels), ptr(op.operand(2)),
                                ptr(decided.lossPartner->result()), ptr(op.result()),
                                i64(rows), i64(classes)});
  else
    callKernel(decided.kernel, {ptr(logits), ptr(labels), ptr(op.operand(2)),
                                ptr(op.result()), i64(rows), i64(classes)});
  return true;
}

} // namespace rnnc::runtime::codegen
