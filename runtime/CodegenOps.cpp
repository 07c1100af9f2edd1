//===- CodegenOps.cpp - LLVM IR for each rnnc IR operation ----------------===//
///
/// \file
/// One emitter per op group. Elementwise ops become loops over the result
/// (two nested loops when one operand broadcasts as a suffix of the other),
/// with tanh as Eigen's rational approximation so the loop stays
/// vectorisable. Everything with a non-trivial access pattern calls a kernel
/// from runtime/Kernels.h. Sizes are compile-time constants: the IR is
/// fully specialised.
///
//===----------------------------------------------------------------------===//
#include "runtime/CodegenLowering.h"

#include <llvm/IR/Intrinsics.h>

namespace rnnc::runtime::codegen {

using ir::OpKind;

namespace {

int64_t lastDim(const ir::Value *v) {
  const ir::TensorType &t = v->type();
  return t.rank() ? t.dim(t.rank() - 1) : 1;
}

/// Rows of `v` when its last axis is the row width.
int64_t leadingRows(const ir::Value *v) {
  int64_t width = lastDim(v);
  return width ? v->type().numElements() / width : 0;
}

/// Eigen's generic_fast_tanh_float: a 13/6 rational approximation on the
/// clamped input, exact to a few ulp, and free of calls.
llvm::Value *emitTanh(llvm::IRBuilder<> &b, llvm::Value *x) {
  auto c = [&](double v) { return llvm::ConstantFP::get(b.getFloatTy(), v); };
  llvm::Value *clamped = b.CreateMinNum(b.CreateMaxNum(x, c(-7.90531110763549805)),
                                        c(7.90531110763549805));
  llvm::Value *x2 = b.CreateFMul(clamped, clamped);
  const double alpha[] = {-2.76076847742355e-16, 2.00018790482477e-13,
                          -8.60467152213735e-11, 5.12229709037114e-08,
                          1.48572235717979e-05,  6.37261928875436e-04,
                          4.89352455891786e-03};
  const double beta[] = {1.19825839466702e-06, 1.18534705686654e-04,
                         2.26843463243900e-03, 4.89352518554385e-03};
  llvm::Value *p = c(alpha[0]);
  for (size_t i = 1; i < std::size(alpha); ++i)
    p = b.CreateFAdd(b.CreateFMul(x2, p), c(alpha[i]));
  p = b.CreateFMul(clamped, p);
  llvm::Value *q = c(beta[0]);
  for (size_t i = 1; i < std::size(beta); ++i)
    q = b.CreateFAdd(b.CreateFMul(x2, q), c(beta[i]));
  llvm::Value *approx = b.CreateFDiv(p, q);
  // Near zero tanh(x) ~= x is more accurate than the ratio.
  llvm::Value *tiny = b.CreateFCmpOLT(
      b.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, x), c(0.0004));
  return b.CreateSelect(tiny, x, approx, "tanh");
}

llvm::Value *emitUnary(llvm::IRBuilder<> &b, OpKind kind, llvm::Value *x) {
  llvm::Value *zero = llvm::ConstantFP::get(b.getFloatTy(), 0.0);
  llvm::Value *one = llvm::ConstantFP::get(b.getFloatTy(), 1.0);
  switch (kind) {
  case OpKind::Neg:
    return b.CreateFNeg(x);
  case OpKind::Tanh:
    return emitTanh(b, x);
  case OpKind::Sigmoid: {
    llvm::Value *e = b.CreateUnaryIntrinsic(llvm::Intrinsic::exp, b.CreateFNeg(x));
    return b.CreateFDiv(one, b.CreateFAdd(one, e), "sigmoid");
  }
  case OpKind::Relu:
    return b.CreateSelect(b.CreateFCmpOGT(x, zero), x, zero, "relu");
  case OpKind::Exp:
    return b.CreateUnaryIntrinsic(llvm::Intrinsic::exp, x);
  case OpKind::Log:
    return b.CreateUnaryIntrinsic(llvm::Intrinsic::log, x);
  case OpKind::Step:
    return b.CreateSelect(b.CreateFCmpOGT(x, zero), one, zero, "step");
  default:
    return nullptr;
  }
}

llvm::Value *emitBinary(llvm::IRBuilder<> &b, OpKind kind, llvm::Value *x,
                        llvm::Value *y) {
  switch (kind) {
  case OpKind::Add:
    return b.CreateFAdd(x, y);
  case OpKind::Sub:
    return b.CreateFSub(x, y);
  case OpKind::Mul:
    return b.CreateFMul(x, y);
  case OpKind::Div:
    return b.CreateFDiv(x, y);
  default:
    return nullptr;
  }
}

} // namespace

bool FunctionLowering::lowerOp(const ir::Operation &op) {
  OpKind k = op.kind();
  if (k == OpKind::Constant)
    return lowerConstant(op);
  if (ir::isElementwise(k))
    return lowerElementwise(op);
  switch (k) {
  case OpKind::MatMul:
  case OpKind::MatMulNT:
  case OpKind::MatMulTN:
    return lowerMatrixOp(op);
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
  default:
    return fail(std::string("codegen does not support op '") + op.name() + "'");
  }
}

bool FunctionLowering::lowerConstant(const ir::Operation &op) {
  if (isInlinedConstant(&op))
    return true;
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

bool FunctionLowering::lowerElementwise(const ir::Operation &op) {
  const ir::Value *r = op.result();
  for (const ir::Value *v : op.operands())
    if (v->type().elementType() != ir::ElementType::F32)
      return fail(std::string("codegen supports '") + op.name() +
                  "' on f32 only, got " + v->type().str());
  llvm::Type *f = b_.getFloatTy();
  int64_t n = r->type().numElements();
  llvm::Value *out = ptr(r);

  // Operands that are one value for the whole loop: inlined constants and
  // single-element tensors, loaded once before it.
  std::vector<llvm::Value *> uniform(op.numOperands(), nullptr);
  for (unsigned i = 0; i < op.numOperands(); ++i) {
    const ir::Value *v = op.operand(i);
    const ir::Operation *def = v->definingOp();
    if (def && isInlinedConstant(def))
      uniform[i] = f32(def->realAttr("value"));
    else if (v->type().numElements() == 1)
      uniform[i] = b_.CreateLoad(f, ptr(v));
  }
  auto compute = [&](llvm::Value *fullIndex, llvm::Value *suffixIndex) {
    std::vector<llvm::Value *> in;
    for (unsigned i = 0; i < op.numOperands(); ++i) {
      const ir::Value *v = op.operand(i);
      if (uniform[i]) {
        in.push_back(uniform[i]);
        continue;
      }
      llvm::Value *index = v->type().numElements() == n ? fullIndex : suffixIndex;
      in.push_back(b_.CreateLoad(f, b_.CreateInBoundsGEP(f, ptr(v), index)));
    }
    llvm::Value *value = ir::isElementwiseUnary(op.kind())
                             ? emitUnary(b_, op.kind(), in[0])
                             : emitBinary(b_, op.kind(), in[0], in[1]);
    b_.CreateStore(value, b_.CreateInBoundsGEP(f, out, fullIndex));
  };

  // The broadcast operand (a proper suffix of the result), if any.
  int64_t inner = n;
  for (unsigned i = 0; i < op.numOperands(); ++i) {
    int64_t m = op.operand(i)->type().numElements();
    if (!uniform[i] && m != n) {
      if (m == 0 || n % m != 0)
        return fail(std::string("codegen cannot broadcast ") +
                    op.operand(i)->type().str() + " to " + r->type().str());
      inner = m;
    }
  }
  if (inner == n) {
    emitLoop(n, [&](llvm::Value *i) { compute(i, i); });
    return true;
  }
  emitLoop(n / inner, [&](llvm::Value *o) {
    llvm::Value *base = b_.CreateMul(o, i64(inner), "", true, true);
    emitLoop(inner, [&](llvm::Value *j) {
      compute(b_.CreateAdd(base, j, "", true, true), j);
    }, "j");
  }, "o");
  return true;
}

bool FunctionLowering::lowerMatrixOp(const ir::Operation &op) {
  const ir::Value *a = op.operand(0), *bv = op.operand(1), *r = op.result();
  if (bv->type().rank() != 2 && op.kind() != OpKind::MatMulTN)
    return fail(std::string("codegen: '") + op.name() + "' needs a matrix right operand");
  const ir::Operation *aDef = a->definingOp();
  bool lhsOneHot = aDef && isFoldedOneHot(aDef);
  int64_t width = lastDim(a), rows = leadingRows(a);
  switch (op.kind()) {
  case OpKind::MatMul: // [rows, K] x [K, N]
    if (lhsOneHot)       // onehot(idx) @ W == W[idx]
      callKernel("rnnc_gather", {ptr(bv), ptr(aDef->operand(0)), ptr(r), i64(rows),
                                 i64(width), i64(bv->type().dim(1))});
    else
      callKernel("rnnc_matmul", {ptr(a), ptr(bv), ptr(r), i64(rows), i64(width),
                                 i64(bv->type().dim(1))});
    return true;
  case OpKind::MatMulNT: // [rows, N] x [K, N]^T
    callKernel("rnnc_matmul_nt", {ptr(a), ptr(bv), ptr(r), i64(rows), i64(width),
                                  i64(bv->type().dim(0))});
    return true;
  default: { // MatMulTN: [rows, K]^T x [rows, N]
    int64_t accumulate;
    llvm::Value *out = resultBuffer(op, accumulate);
    if (lhsOneHot)  // onehot(idx)^T @ G == scatter_add(idx, G)
      callKernel("rnnc_scatter_add", {ptr(aDef->operand(0)), ptr(bv), out, i64(rows),
                                      i64(width), i64(lastDim(bv)), i64(accumulate)});
    else
      callKernel("rnnc_matmul_tn", {ptr(a), ptr(bv), out, i64(rows), i64(width),
                                    i64(lastDim(bv)), i64(accumulate)});
    return true;
  }
  }
}

bool FunctionLowering::lowerIndexOp(const ir::Operation &op) {
  const ir::Value *r = op.result();
  switch (op.kind()) {
  case OpKind::OneHot:
    if (isFoldedOneHot(&op))
      return true;
    callKernel("rnnc_onehot", {ptr(op.operand(0)), ptr(r),
                               i64(op.operand(0)->type().numElements()),
                               i64(op.intAttr("depth"))});
    return true;
  case OpKind::Gather: {
    const ir::Value *table = op.operand(0);
    if (table->type().rank() != 2)
      return fail("codegen: gather needs a rank-2 table, got " + table->type().str());
    callKernel("rnnc_gather", {ptr(table), ptr(op.operand(1)), ptr(r),
                               i64(op.operand(1)->type().numElements()),
                               i64(table->type().dim(0)), i64(table->type().dim(1))});
    return true;
  }
  default: { // ScatterAdd
    int64_t accumulate;
    llvm::Value *out = resultBuffer(op, accumulate);
    callKernel("rnnc_scatter_add", {ptr(op.operand(0)), ptr(op.operand(1)), out,
                                    i64(op.operand(0)->type().numElements()),
                                    i64(op.intAttr("rows")), i64(lastDim(op.operand(1))),
                                    i64(accumulate)});
    return true;
  }
  }
}

bool FunctionLowering::lowerShapeOp(const ir::Operation &op) {
  const ir::Value *r = op.result();
  int64_t outCols = lastDim(r), rows = leadingRows(r);
  switch (op.kind()) {
  case OpKind::Concat: {
    int64_t at = 0;
    for (const ir::Value *part : op.operands()) {
      int64_t w = lastDim(part);
      callKernel("rnnc_copy_columns", {ptr(part), ptr(r), i64(rows), i64(w), i64(0),
                                       i64(outCols), i64(at), i64(w)});
      at += w;
    }
    return true;
  }
  case OpKind::Slice:
    callKernel("rnnc_copy_columns",
               {ptr(op.operand(0)), ptr(r), i64(rows), i64(lastDim(op.operand(0))),
                i64(op.intAttr("begin")), i64(outCols), i64(0), i64(outCols)});
    return true;
  case OpKind::Pad: {
    int64_t w = lastDim(op.operand(0));
    b_.CreateMemSet(ptr(r), b_.getInt8(0), bytesOf(r), llvm::MaybeAlign(4));
    callKernel("rnnc_copy_columns", {ptr(op.operand(0)), ptr(r), i64(rows), i64(w),
                                     i64(0), i64(outCols), i64(op.intAttr("begin")),
                                     i64(w)});
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
    callKernel("rnnc_reduce_sum", {ptr(x), ptr(r), global(shape, "reduce.shape"),
                                   global(reduced, "reduce.axes"),
                                   i64(static_cast<int64_t>(shape.size()))});
    return true;
  }
  }
}

bool FunctionLowering::lowerLossOp(const ir::Operation &op) {
  const ir::Value *logits = op.operand(0), *labels = op.operand(1);
  int64_t rows = labels->type().numElements(), classes = lastDim(logits);
  if (op.kind() == OpKind::CrossEntropy)
    callKernel("rnnc_cross_entropy",
               {ptr(logits), ptr(labels), ptr(op.result()), i64(rows), i64(classes)});
  else
    callKernel("rnnc_cross_entropy_grad", {ptr(logits), ptr(labels), ptr(op.operand(2)),
                                           ptr(op.result()), i64(rows), i64(classes)});
  return true;
}

} // namespace rnnc::runtime::codegen
