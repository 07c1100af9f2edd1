//===- CodegenElementwise.cpp - Fused elementwise loops -------------------===//
///
/// \file
/// Elementwise ops become loops over their result. A chain of them fuses:
/// an elementwise op whose only user is an elementwise op of the same size
/// in the same block is not stored but recomputed (once: it has one use)
/// inside its user's loop, so `tanh(x@W + h@U + b)` is one loop over B·H
/// reading the two products and the bias. Algorithm:
///   1. planning (LoweringPlanner.cpp, in program order): mark a producer
///      fused when the rules above hold and its tree stays under
///      kMaxFusionDepth levels (the emitter recurses over the tree);
///   2. emission (lowerElementwise, at the root): collect the tree's leaves
///      with a worklist, load single-element leaves and take inlined
///      constants once before the loop, then emit one loop (two nested loops
///      when a leaf broadcasts as a suffix: inner index j, so the loop stays
///      vectorisable) whose body evaluates the tree.
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

bool FunctionLowering::lowerElementwise(const ir::Operation &root) {
  if (isFusedProducer(&root))
    return true; // computed inside its user's loop
  for (const ir::Value *v : root.operands())
    if (v->type().elementType() != ir::ElementType::F32)
      return fail(std::string("codegen supports '") + root.name() +
                  "' on f32 only, got " + v->type().str());
  llvm::Type *f = b_.getFloatTy();
  int64_t n = root.result()->type().numElements();

  // 1. Leaves of the fused tree; uniform ones are ready before the loop.
  std::unordered_map<const ir::Value *, llvm::Value *> uniform;
  std::vector<const ir::Value *> leaves;
  std::vector<const ir::Operation *> stack{&root};
  while (!stack.empty()) {
    const ir::Operation *node = stack.back();
    stack.pop_back();
    for (const ir::Value *v : node->operands()) {
      const ir::Operation *def = v->definingOp();
      if (def && isFusedProducer(def)) {
        stack.push_back(def);
        continue;
      }
      leaves.push_back(v);
      if (uniform.count(v))
        continue;
      if (def && isInlinedConstant(def))
        uniform[v] = f32(def->realAttr("value"));
      else if (v->type().numElements() == 1)
        uniform[v] = b_.CreateLoad(f, ptr(v));
    }
  }
  // 2. The inner extent: the size of a suffix-broadcast leaf, if any.
  int64_t inner = n;
  for (const ir::Value *v : leaves) {
    int64_t m = v->type().numElements();
    if (uniform.count(v) || m == n)
      continue;
    if (m == 0 || n % m != 0)
      return fail("codegen cannot broadcast " + v->type().str() + " to " +
                  root.result()->type().str());
    inner = m;
  }

  // 3. The loop body: evaluate the tree at (full, inner) indices. Recursion
  // is bounded by kMaxFusionDepth (LoweringPlanner.cpp).
  std::function<llvm::Value *(const ir::Operation &, llvm::Value *, llvm::Value *)>
      evaluate = [&](const ir::Operation &node, llvm::Value *full,
                     llvm::Value *j) -> llvm::Value * {
    std::vector<llvm::Value *> in;
    for (const ir::Value *v : node.operands()) {
      const ir::Operation *def = v->definingOp();
      if (def && isFusedProducer(def)) {
        in.push_back(evaluate(*def, full, j));
        continue;
      }
      auto u = uniform.find(v);
      if (u != uniform.end()) {
        in.push_back(u->second);
        continue;
      }
      int64_t m = v->type().numElements();
      llvm::Value *index = m == n ? full : m == inner ? j : b_.CreateURem(full, i64(m));
      in.push_back(b_.CreateLoad(f, b_.CreateInBoundsGEP(f, ptr(v), index)));
    }
    return ir::isElementwiseUnary(node.kind()) ? emitUnary(b_, node.kind(), in[0])
                                               : emitBinary(b_, node.kind(), in[0], in[1]);
  };
  llvm::Value *out = ptr(root.result());
  auto store = [&](llvm::Value *full, llvm::Value *j) {
    b_.CreateStore(evaluate(root, full, j), b_.CreateInBoundsGEP(f, out, full));
  };
  if (inner == n) {
    emitLoop(n, [&](llvm::Value *i) { store(i, i); });
    return true;
  }
  emitLoop(n / inner, [&](llvm::Value *o) {
    llvm::Value *base = b_.CreateMul(o, i64(inner), "", true, true);
    emitLoop(inner, [&](llvm::Value *j) {
      store(b_.CreateAdd(base, j, "", true, true), j);
    }, "j");
  }, "o");
  return true;
}

} // namespace rnnc::runtime::codegen
