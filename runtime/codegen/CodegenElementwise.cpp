//===- CodegenElementwise.cpp - Fused elementwise loops -------------------===//
///
/// \file
/// The scalar code of each elementwise op, and the loop of an elementwise op
/// outside any fusion: single-element operands loaded once before the loop,
/// then the plan's loop nest (two nested loops when an operand broadcasts
/// as a suffix: inner index j, so the loop stays vectorisable). Chains of
/// elementwise ops are grouped into one `fusion` kernel by the
/// fuse-elementwise pass (CodegenFusion.cpp), not here.
/// tanh is Eigen's rational approximation (no call: the loop vectorises);
/// sigmoid is computed from it.
///
//===----------------------------------------------------------------------===//
#include "runtime/codegen/CodegenLowering.h"

#include <llvm/IR/Intrinsics.h>

namespace rnnc::runtime::codegen {

using ir::OpKind;

namespace {

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
    // sigmoid(x) = (1 + tanh(x/2)) / 2: the call-free tanh keeps the loop
    // vectorised, where llvm.exp became one scalar expf call per element
    // (the gates of GRU and LSTM cells).
    llvm::Value *half = llvm::ConstantFP::get(b.getFloatTy(), 0.5);
    llvm::Value *t = emitTanh(b, b.CreateFMul(x, half));
    return b.CreateFAdd(half, b.CreateFMul(half, t), "sigmoid");
  }
  case OpKind::Relu:
    return b.CreateSelect(b.CreateFCmpOGT(x, zero), x, zero, "relu");
  case OpKind::Exp:
    return b.CreateUnaryIntrinsic(llvm::Intrinsic::exp, x);
  case OpKind::Log:
    return b.CreateUnaryIntrinsic(llvm::Intrinsic::log, x);
  case OpKind::Sqrt:
    return b.CreateUnaryIntrinsic(llvm::Intrinsic::sqrt, x);
  case OpKind::Abs:
    return b.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, x);
  case OpKind::Sign: { // 1, -1, or 0 at 0 (and NaN)
    llvm::Value *minusOne = llvm::ConstantFP::get(b.getFloatTy(), -1.0);
    llvm::Value *neg = b.CreateSelect(b.CreateFCmpOLT(x, zero), minusOne, zero);
    return b.CreateSelect(b.CreateFCmpOGT(x, zero), one, neg, "sign");
  }
  default: // Step
    return b.CreateSelect(b.CreateFCmpOGT(x, zero), one, zero, "step");
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
  default: // Div
    return b.CreateFDiv(x, y);
  }
}

} // namespace

llvm::Value *emitElementwiseScalar(llvm::IRBuilder<> &b, OpKind kind,
                                   const std::vector<llvm::Value *> &in) {
  return ir::isElementwiseUnary(kind) ? emitUnary(b, kind, in[0])
                                      : emitBinary(b, kind, in[0], in[1]);
}

void FunctionLowering::emitElementwiseElement(
    const ir::Operation &op,
    const std::unordered_map<const ir::Value *, llvm::Value *> &uniform,
    llvm::Value *full, llvm::Value *j) {
  llvm::Type *f = b_.getFloatTy();
  int64_t n = op.result()->type().numElements();
  int64_t inner = plan_.op(&op).loop.inner;
  llvm::Value *at = b_.CreateInBoundsGEP(f, ptr(op.result()), full);
  std::vector<llvm::Value *> in;
  for (const ir::Value *v : op.operands()) {
    auto u = uniform.find(v);
    if (u != uniform.end()) {
      in.push_back(u->second);
      continue;
    }
    int64_t m = v->type().numElements();
    llvm::Value *index = m == n ? full : m == inner ? j : b_.CreateURem(full, i64(m));
    in.push_back(b_.CreateLoad(f, b_.CreateInBoundsGEP(f, ptr(v), index)));
  }
  b_.CreateStore(emitElementwiseScalar(b_, op.kind(), in), at);
}

bool FunctionLowering::lowerElementwise(const ir::Operation &op) {
  int64_t n = op.result()->type().numElements();
  // Single-element operands are loaded once, before the loop.
  std::unordered_map<const ir::Value *, llvm::Value *> uniform;
  for (const ir::Value *v : op.operands()) {
    if (v->type().elementType() != ir::ElementType::F32)
      return fail(std::string("codegen supports '") + op.name() +
                  "' on f32 only, got " + v->type().str());
    int64_t m = v->type().numElements();
    if (m != 1 && (m == 0 || n % m != 0))
      return fail("codegen cannot broadcast " + v->type().str() + " to " +
                  op.result()->type().str());
    if (m == 1 && !uniform.count(v))
      uniform[v] = b_.CreateLoad(b_.getFloatTy(), ptr(v));
  }
  emitLoopNest(plan_.op(&op).loop,
               [&](llvm::Value *full, llvm::Value *, llvm::Value *j) {
                 emitElementwiseElement(op, uniform, full, j);
               });
  return true;
}

} // namespace rnnc::runtime::codegen
