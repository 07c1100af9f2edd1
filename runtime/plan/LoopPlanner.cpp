//===- LoopPlanner.cpp - Loops, fusion kernels and kernel names of a plan -===//
///
/// \file
/// The parts of planLowering (LoweringPlanner.cpp) that decide how an op's
/// code runs rather than where its values live:
///   1. an elementwise op's loop nest (rows of a suffix-broadcast operand);
///   2. a fusion's: one rnnc_matmul_bias call for a product plus a row bias;
///      else the result its leading product is computed in, the row stride
///      of each slice view it reads, its loop nest (a view's width fixes the
///      inner loop) and its flop estimate, which fixes how rnnc_parallel_for
///      splits its rows (chunkCount: rows and work only, never threads);
///   3. the runtime kernel each op's code calls.
/// Tests: test/lit/plan/fusion-loops.test, test/lit/plan/char-rnn-train-step.test,
/// test/unit/LoweringPlanTest.cpp.
///
//===----------------------------------------------------------------------===//
#include "runtime/plan/LoopPlanner.h"

#include "runtime/kernels/KernelsParallel.h"

#include <algorithm>

namespace rnnc::runtime {

using ir::OpKind;

namespace {

bool isF32(const ir::Value *v) {
  return v->type().elementType() == ir::ElementType::F32;
}

/// A fusion that is a matmul plus a row bias and nothing else: the fusion
/// operand holding the bias, else null.
const ir::Value *productPlusBias(const ir::Operation &fusion) {
  const ir::Block &body = fusion.body();
  const auto &ops = body.operations();
  const ir::Operation *yield = body.terminator();
  if (ops.size() != 3 || ops[0]->kind() != OpKind::MatMul ||
      ops[1]->kind() != OpKind::Add || !yield || yield->numOperands() != 1 ||
      yield->operand(0) != ops[1]->result())
    return nullptr;
  const ir::Operation &product = *ops[0], &add = *ops[1];
  const ir::Value *p = product.result();
  const ir::Value *bias = add.operand(0) == p ? add.operand(1) : add.operand(0);
  const ir::Value *a = product.operand(0), *w = product.operand(1);
  const ir::TensorType &pt = p->type();
  if ((add.operand(0) != p && add.operand(1) != p) || bias == p ||
      bias->definingOp() || bias->ownerBlock() != &body || !isF32(bias) ||
      pt.rank() == 0 || w->type().rank() != 2 ||
      bias->type().numElements() != pt.dim(pt.rank() - 1) ||
      a->ownerBlock() != &body || !isF32(a) || !isF32(w))
    return nullptr;
  return fusion.operand(bias->argIndex());
}

/// Flops per element of a fusion's loop: a transcendental is a rational
/// approximation (about 24), any other op 1, a constant nothing.
double fusionFlopsPerElement(const ir::Block &body, size_t first) {
  const auto &ops = body.operations();
  double perElement = 0;
  for (size_t i = first; i + 1 < ops.size(); ++i) {
    OpKind k = ops[i]->kind();
    bool heavy = k == OpKind::Tanh || k == OpKind::Sigmoid || k == OpKind::Exp ||
                 k == OpKind::Log;
    // Dropout: Philox's 10 rounds of two 32x32 products and a few xors.
    perElement += k == OpKind::Dropout ? 60 : heavy ? 24 : (k == OpKind::Constant ? 0 : 1);
  }
  return perElement;
}

/// The inner width of a fusion's loop from the values its body reads from
/// memory (body arguments and the leading product): the smallest one that
/// broadcasts as a suffix, or n (flat).
int64_t fusionInnerWidth(const ir::Block &body, size_t first, int64_t n) {
  const auto &ops = body.operations();
  int64_t inner = n;
  for (size_t i = first; i + 1 < ops.size(); ++i) {
    if (ops[i]->kind() == OpKind::Constant)
      continue;
    for (const ir::Value *v : ops[i]->operands()) {
      if (ops[i]->kind() == OpKind::Dropout && v == ops[i]->operand(1))
        continue; // the key is read per key row, not broadcast
      const ir::Operation *def = v->definingOp();
      bool readFromMemory = !def || (first == 1 && def == ops[0].get());
      int64_t m = v->type().numElements();
      if (readFromMemory && m > 1 && m < n && n % m == 0)
        inner = std::min(inner, m);
    }
  }
  return inner;
}

} // namespace

/// An elementwise op's loop nest: flat, unless an operand broadcasts as a
/// suffix (more than one element, fewer than the result's): then rows of
/// the last such operand's size. Operands that do not divide the result are
/// reported by the emitter.
LoopNest elementwiseLoop(const ir::Operation &op) {
  int64_t n = op.result()->type().numElements(), inner = 0;
  for (const ir::Value *v : op.operands()) {
    int64_t m = v->type().numElements();
    if (m > 1 && m < n && n % m == 0)
      inner = m;
  }
  return inner ? LoopNest{n / inner, inner} : LoopNest{n, 0};
}

/// A fusion: one rnnc_matmul_bias call when it is a product plus a row
/// bias; else where its leading product is computed, which operands are
/// slice views, its loop nest (a view's row width fixes the inner loop) and
/// the work that decides how rnnc_parallel_for splits its rows.
FusionPlan planFusionLoop(const ir::Operation &fusion, const LoweringPlan &plan,
                          LoopNest *nest) {
  const ir::Block &body = fusion.body();
  FusionPlan fp;
  fp.rowBias = productPlusBias(fusion);
  if (fp.rowBias)
    return fp;
  const auto &ops = body.operations();
  const ir::Operation *yield = body.terminator();
  size_t first = 0;
  if (!ops.empty() && ir::isMatrixProduct(ops[0]->kind())) {
    first = 1;
    for (unsigned k = 0; yield && k < yield->numOperands() && fp.productHome < 0; ++k)
      if (yield->operand(k) == ops[0]->result())
        fp.productHome = static_cast<int>(k);
  }
  int64_t n = fusion.result(0)->type().numElements();
  int64_t inner = fusionInnerWidth(body, first, n);
  fp.rowStride.assign(fusion.numOperands(), 0);
  for (unsigned i = 0; i < fusion.numOperands(); ++i) {
    const ir::Operation *def = fusion.operand(i)->definingOp();
    if (!def || plan.how(def) != OpLowering::SliceView)
      continue;
    const ir::TensorType &from = def->operand(0)->type();
    const ir::TensorType &to = fusion.operand(i)->type();
    fp.rowStride[i] = from.dim(from.rank() - 1);
    inner = to.dim(to.rank() - 1); // rows, so a view's row can start at its stride
  }
  *nest = inner == n || n == 0 ? LoopNest{n, 0} : LoopNest{n / inner, inner};
  fp.work = static_cast<int64_t>(2 * fusionFlopsPerElement(body, first) *
                                 static_cast<double>(n));
  fp.chunks = chunkCount(nest->rows, static_cast<double>(fp.work));
  for (size_t i = first; i < ops.size(); ++i)
    fp.dropoutMasks += ops[i]->kind() == OpKind::Dropout;
  return fp;
}

/// The kernel `op`'s code calls, from its kind and the decisions made
/// about it (OpPlan::kernel).
const char *kernelFor(const ir::Operation &op, const LoweringPlan &plan) {
  const OpPlan &d = plan.op(&op);
  if (d.how != OpLowering::Stored)
    return nullptr;
  bool packed = d.packedOperand >= 0;
  switch (op.kind()) {
  case OpKind::MatMul:
    return packed ? "rnnc_matmul_packed" : "rnnc_matmul";
  case OpKind::MatMulNT:
    return packed ? "rnnc_matmul_packed" : "rnnc_matmul_nt";
  case OpKind::MatMulTN:
    return "rnnc_matmul_tn";
  case OpKind::OneHot:
    return "rnnc_onehot";
  case OpKind::Gather:
    return "rnnc_gather";
  case OpKind::ScatterAdd:
    return "rnnc_scatter_add";
  case OpKind::Concat:
    if (!d.partsStored.empty() &&
        std::all_of(d.partsStored.begin(), d.partsStored.end(), [](bool s) { return s; }))
      return nullptr; // every part stored by its fusion
    return "rnnc_copy_columns";
  case OpKind::Slice:
  case OpKind::Pad:
    return "rnnc_copy_columns";
  case OpKind::ReduceSum:
    return "rnnc_reduce_sum";
  case OpKind::RowSum:
    return "rnnc_row_sum";
  case OpKind::RowMax:
    return "rnnc_row_max";
  case OpKind::RowMaxGrad:
    return "rnnc_row_max_grad";
  case OpKind::RowBroadcast:
    return "rnnc_row_broadcast";
  case OpKind::LayerNorm: // one fused kernel, both passes over each row
    return "rnnc_layer_norm";
  case OpKind::LayerNormGrad:
    return "rnnc_layer_norm_grad";
  case OpKind::CrossEntropy:
    return d.lossPartner ? nullptr : "rnnc_cross_entropy";
  case OpKind::CrossEntropyGrad:
    return d.lossPartner ? "rnnc_cross_entropy_with_grad" : "rnnc_cross_entropy_grad";
  case OpKind::Fusion: {
    const FusionPlan *fp = plan.fusion(&op);
    if (fp && fp->rowBias)
      return "rnnc_matmul_bias";
    return d.loop.rows > 0 ? "rnnc_parallel_for" : nullptr;
  }
  default:
    return nullptr;
  }
}

} // namespace rnnc::runtime
