//===- CodegenRowOps.cpp - LLVM IR for the row ops ------------------------===//
///
/// \file
/// Each row op (row_sum, row_max, row_max_grad, row_broadcast, layer_norm,
/// layer_norm_grad) is one call of the kernel the plan chose for it
/// (runtime/kernels/KernelsRows.cpp) over rows × the width of the row axis
/// of its first operand (row_broadcast: of its result).
///
//===----------------------------------------------------------------------===//
#include "runtime/codegen/CodegenLowering.h"

namespace rnnc::runtime::codegen {

using ir::OpKind;

bool FunctionLowering::lowerRowOp(const ir::Operation &op) {
  const char *kernel = plan_.op(&op).kernel;
  if (!kernel)
    return fail(std::string("codegen: no kernel planned for '") + op.name() + "'");
  const ir::Value *x = op.operand(0), *r = op.result();
  const ir::Value *wide = op.kind() == OpKind::RowBroadcast ? r : x;
  const ir::TensorType &t = wide->type();
  int64_t width = t.rank() ? t.dim(t.rank() - 1) : 1;
  int64_t rows = width ? t.numElements() / width : 0;
  std::vector<llvm::Value *> args{ptr(x)};
  if (op.numOperands() == 2)
    args.push_back(ptr(op.operand(1)));
  args.push_back(ptr(r));
  args.push_back(i64(rows));
  args.push_back(i64(width));
  if (op.kind() == OpKind::LayerNorm || op.kind() == OpKind::LayerNormGrad)
    args.push_back(llvm::ConstantFP::get(b_.getDoubleTy(), op.realAttr("epsilon")));
  callKernel(kernel, std::move(args));
  return true;
}

} // namespace rnnc::runtime::codegen
