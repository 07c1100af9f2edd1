//===- CodegenDropout.cpp - A dropout element inside a fused loop --------===//
///
/// \file
/// The code of one `dropout` element in a fusion's loop (CodegenFusion.cpp):
/// the element's coordinates from its flat index, the key row's five words,
/// then ir/DropoutMask.h's Philox4x32-10 instantiated over LLVM values (the
/// same template the interpreter runs over uint32_t), a compare with the
/// keep threshold and a select. Nothing is stored: the backward's dropout
/// recomputes the same bits from the same counter. A dropout outside any
/// fusion (a pipeline without fuse-elementwise) is the same element in a
/// flat loop of its own.
///
//===----------------------------------------------------------------------===//
#include "runtime/codegen/CodegenLowering.h"

#include "ir/DropoutMask.h"

namespace rnnc::runtime::codegen {

namespace {

/// ir::philox4x32's word arithmetic as LLVM i32 values.
struct LLVMPhiloxWords {
  using Word = llvm::Value *;
  llvm::IRBuilder<> &b;
  Word mulHi(Word a, uint32_t m) {
    llvm::Value *wide = b.CreateMul(b.CreateZExt(a, b.getInt64Ty()), b.getInt64(m));
    return b.CreateTrunc(b.CreateLShr(wide, 32), b.getInt32Ty());
  }
  Word mulLo(Word a, uint32_t m) { return b.CreateMul(a, b.getInt32(m)); }
  Word xor3(Word x, Word y, Word z) { return b.CreateXor(b.CreateXor(x, y), z); }
  Word add(Word a, uint32_t m) { return b.CreateAdd(a, b.getInt32(m)); }
};

} // namespace

llvm::Value *emitDropoutElement(llvm::IRBuilder<> &b, const ir::Operation &dropout,
                                llvm::Value *key, llvm::Value *x, llvm::Value *full) {
  const ir::TensorType &xt = dropout.operand(0)->type();
  const ir::TensorType &kt = dropout.operand(1)->type();
  size_t lead = kt.rank() - 1;
  int64_t rows = kt.numElements() / ir::kKeyWords;
  int64_t perRow = xt.numElements() / rows;
  int64_t columns = perRow / xt.dim(lead);
  llvm::Value *row = b.CreateUDiv(full, b.getInt64(perRow));
  llvm::Value *within = b.CreateURem(full, b.getInt64(perRow));
  llvm::Value *batchRow = b.CreateTrunc(b.CreateUDiv(within, b.getInt64(columns)),
                                        b.getInt32Ty());
  llvm::Value *column = b.CreateTrunc(b.CreateURem(within, b.getInt64(columns)),
                                      b.getInt32Ty());
  llvm::Value *base = b.CreateMul(row, b.getInt64(ir::kKeyWords));
  auto word = [&](int w) {
    llvm::Value *at = b.CreateAdd(base, b.getInt64(w));
    return b.CreateLoad(b.getInt32Ty(), b.CreateInBoundsGEP(b.getInt32Ty(), key, at));
  };
  int64_t salt = dropout.intAttr("salt");
  LLVMPhiloxWords ops{b};
  llvm::Value *keyHi = b.CreateAdd(
      word(ir::kKeySeedHi),
      b.getInt32(ir::dropoutKeyHi(0, salt))); // seedHi + salt * W0
  auto out = ir::philox4x32(
      ops,
      {column, b.CreateAdd(word(ir::kKeyRowOffset), batchRow), word(ir::kKeyTime),
       word(ir::kKeyStep)},
      {word(ir::kKeySeedLo), keyHi});
  double p = dropout.realAttr("p");
  llvm::Value *keep = b.CreateICmpUGE(out[0], b.getInt32(ir::keepThreshold(p)));
  llvm::Value *scaled =
      b.CreateFMul(x, llvm::ConstantFP::get(b.getFloatTy(), ir::keepScale(p)));
  return b.CreateSelect(keep, scaled, llvm::ConstantFP::get(b.getFloatTy(), 0.0),
                        "dropout");
}

bool FunctionLowering::lowerDropout(const ir::Operation &op) {
  const ir::Value *x = op.operand(0), *key = op.operand(1);
  if (x->type().elementType() != ir::ElementType::F32 ||
      key->type().elementType() != ir::ElementType::I32)
    return fail("codegen: dropout of " + x->type().str() + " with key " +
                key->type().str());
  llvm::Type *f = b_.getFloatTy();
  emitLoopNest(plan_.op(&op).loop, [&](llvm::Value *full, llvm::Value *, llvm::Value *) {
    llvm::Value *in = b_.CreateLoad(f, b_.CreateInBoundsGEP(f, ptr(x), full));
    b_.CreateStore(emitDropoutElement(b_, op, ptr(key), in, full),
                   b_.CreateInBoundsGEP(f, ptr(op.result()), full));
  });
  return error_.empty();
}

} // namespace rnnc::runtime::codegen
