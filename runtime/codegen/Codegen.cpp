//===- Codegen.cpp - Lowering rnnc IR functions to LLVM IR ----------------===//
///
/// \file
/// The driver of the code generator:
///   1. plan every decision (runtime/plan/LoweringPlan.h: planLowering, then
///      verifyLoweringPlan; a broken invariant is an internal error and
///      nothing is emitted);
///   2. entry prologue: acquire the arena (return 1 at once when it cannot
///      be had), load argument pointers, form one pointer per planned value;
///   3. lower each op in program order as the plan says (CodegenOps.cpp,
///      CodegenElementwise.cpp, CodegenFusion.cpp); a scan becomes a loop
///      over time (below);
///   4. copy the returned values not computed in place into the caller's
///      result buffers.
///
//===----------------------------------------------------------------------===//
#include "runtime/codegen/Codegen.h"
#include "runtime/codegen/CodegenLowering.h"
#include "runtime/codegen/KernelDeclarations.h"

#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Support/raw_ostream.h>

namespace rnnc::runtime {
namespace codegen {

using ir::OpKind;

FunctionLowering::FunctionLowering(llvm::Module &module, const ir::Function &fn,
                                   const LoweringPlan &plan)
    : mod_(module), ctx_(module.getContext()), b_(module.getContext()), fn_(fn),
      plan_(plan) {}

bool FunctionLowering::fail(const std::string &message) {
  if (error_.empty())
    error_ = message;
  return false;
}

llvm::Value *FunctionLowering::resultBuffer(const ir::Operation &op,
                                            int64_t &accumulate) {
  const ir::Value *into = plan_.op(&op).accumulatesInto;
  accumulate = into != nullptr;
  return ptr(accumulate ? into : op.result());
}

llvm::Value *FunctionLowering::bufferPtr(int64_t buffer) {
  return b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), arena_, plan_.offset(buffer));
}

void FunctionLowering::emitEntryPrologue(llvm::Value *argsPtr,
                                         llvm::Value *resultsPtr) {
  arena_ = b_.CreateCall(
      declareKernel(mod_, "rnnc_arena_acquire"),
      {i64(plan_.arenaBytes())}, "arena");
  // No arena, no work: the caller learns it from the status, nothing is
  // written through a null pointer.
  llvm::BasicBlock *noArena = llvm::BasicBlock::Create(ctx_, "no.arena", entry_);
  llvm::BasicBlock *haveArena = llvm::BasicBlock::Create(ctx_, "have.arena", entry_);
  b_.CreateCondBr(b_.CreateIsNull(arena_), noArena, haveArena);
  b_.SetInsertPoint(noArena);
  b_.CreateRet(b_.getInt32(1));
  b_.SetInsertPoint(haveArena);
  const ir::Block &body = fn_.body();
  for (unsigned i = 0; i < body.numArguments(); ++i) {
    const ir::Value *arg = body.argument(i);
    llvm::Value *slot = b_.CreateConstInBoundsGEP1_64(b_.getPtrTy(), argsPtr, i);
    ptr_[arg] = b_.CreateLoad(b_.getPtrTy(), slot, arg->name());
  }
  for (const ir::Value *value : plan_.arenaValues)
    ptr_[value] = b_.CreateConstInBoundsGEP1_64(
        b_.getInt8Ty(), arena_, plan_.offset(plan_.storageOf(value).buffer),
        value->name());
  // In result order (a vector: the text does not depend on pointer hashes).
  for (const auto &[value, index] : plan_.directResults) {
    llvm::Value *slot = b_.CreateConstInBoundsGEP1_64(b_.getPtrTy(), resultsPtr, index);
    ptr_[value] = b_.CreateLoad(b_.getPtrTy(), slot, value->name());
  }
}

llvm::Value *FunctionLowering::ptr(const ir::Value *v) {
  auto it = ptr_.find(v);
  if (it != ptr_.end())
    return it->second;
  fail("internal: no buffer for a value of type " + v->type().str());
  return llvm::ConstantPointerNull::get(b_.getPtrTy());
}

void FunctionLowering::emitLoop(int64_t count,
                                const std::function<void(llvm::Value *)> &body,
                                const char *name) {
  if (count <= 0)
    return;
  llvm::BasicBlock *pre = b_.GetInsertBlock();
  llvm::Function *f = pre->getParent();
  llvm::BasicBlock *header = llvm::BasicBlock::Create(ctx_, "loop", f);
  b_.CreateBr(header);
  b_.SetInsertPoint(header);
  llvm::PHINode *i = b_.CreatePHI(b_.getInt64Ty(), 2, name);
  i->addIncoming(i64(0), pre);
  body(i);
  llvm::Value *next = b_.CreateAdd(i, i64(1), "", /*HasNUW=*/true, /*HasNSW=*/true);
  i->addIncoming(next, b_.GetInsertBlock());
  // Created after the body so blocks print in program order.
  llvm::BasicBlock *exit = llvm::BasicBlock::Create(ctx_, "loop.end", f);
  b_.CreateCondBr(b_.CreateICmpSLT(next, i64(count)), header, exit);
  b_.SetInsertPoint(exit);
}

void FunctionLowering::emitLoopNest(const LoopNest &nest, const ElementFn &element) {
  if (nest.flat()) {
    emitLoop(nest.rows, [&](llvm::Value *i) { element(i, i, i); });
    return;
  }
  emitLoop(nest.rows, [&](llvm::Value *o) { emitInnerLoop(nest.inner, o, element); },
           "o");
}

void FunctionLowering::emitInnerLoop(int64_t inner, llvm::Value *row,
                                     const ElementFn &element) {
  llvm::Value *base = b_.CreateMul(row, i64(inner), "", true, true);
  emitLoop(inner, [&](llvm::Value *j) {
    element(b_.CreateAdd(base, j, "", true, true), row, j);
  }, "j");
}

void FunctionLowering::emitAccumulate(llvm::Value *acc, llvm::Value *src,
                                      int64_t count) {
  llvm::Type *f = b_.getFloatTy();
  emitLoop(count, [&](llvm::Value *i) {
    llvm::Value *at = b_.CreateInBoundsGEP(f, acc, i);
    llvm::Value *sum = b_.CreateFAdd(b_.CreateLoad(f, at),
                                     b_.CreateLoad(f, b_.CreateInBoundsGEP(f, src, i)));
    b_.CreateStore(sum, at);
  });
}

void FunctionLowering::callKernel(const char *name, std::vector<llvm::Value *> args) {
  if (!name) {
    fail("internal: the lowering plan names no kernel for an op that calls one");
    return;
  }
  b_.CreateCall(declareKernel(mod_, name), args);
  ++kernelCallSites_;
  kernelCallsPerRun_ += loopTrips_;
}

bool FunctionLowering::lowerBlockBody(const ir::Block &block) {
  for (const auto &op : block.operations()) {
    if (ir::isTerminator(op->kind()))
      break;
    if (!lowerOp(*op))
      return false;
  }
  return error_.empty();
}

/// A scan: copy the initial carried values into their slots and pack the
/// invariant weights of its per-step products, then for each
/// step point the body's sequence arguments at slice t, run the body, copy
/// yielded carried values back into their slots and per-step outputs into
/// row t of the stacked results.
bool FunctionLowering::lowerScan(const ir::Operation &op) {
  if (op.regions().empty())
    return fail("scan without a body");
  const ir::Block &body = op.body();
  unsigned nc = op.scanNumCarried(), ns = op.scanNumSequences();
  unsigned nOut = op.numResults() - nc;
  const ir::Operation *yield = body.terminator();
  if (nc + ns > op.numOperands() || body.numArguments() != op.numOperands() ||
      !yield || yield->numOperands() != nc + nOut)
    return fail("scan operands, body arguments and yield do not match");
  int64_t steps = scanLength(op);
  if (steps < 0)
    return fail("scan has no sequence to fix its length");

  for (unsigned i = 0; i < nc; ++i)
    b_.CreateMemCpy(ptr(body.argument(i)), llvm::MaybeAlign(4), ptr(op.operand(i)),
                    llvm::MaybeAlign(4), bytesOf(op.operand(i)));
  for (unsigned i = nc + ns; i < op.numOperands(); ++i)
    ptr_[body.argument(i)] = ptr(op.operand(i));
  const ScanPlan *scanPlan = plan_.scan(&op);
  if (!scanPlan || scanPlan->outputs.size() != nOut)
    return fail("internal: the lowering plan has no outputs for this scan");
  for (const PackedOperand &packed : plan_.packed)
    if (packed.scan == &op)
      callKernel("rnnc_pack_panels",
                 {ptr(packed.source), bufferPtr(packed.buffer), i64(packed.k),
                  i64(packed.n), i64(packed.transposed ? 1 : 0)});
  for (unsigned k = 0; k < nOut; ++k)
    if (const ir::Operation *sum = scanPlan->timeSums[k])
      b_.CreateMemSet(ptr(sum->result()), b_.getInt8(0), bytesOf(sum->result()),
                      llvm::MaybeAlign(4));

  bool ok = true;
  int64_t outerTrips = loopTrips_;
  loopTrips_ *= steps;
  emitLoop(
      steps,
      [&](llvm::Value *s) {
        llvm::Value *t = op.scanReverse() ? b_.CreateSub(i64(steps - 1), s, "t") : s;
        for (unsigned i = nc; i < nc + ns; ++i) {
          int64_t sliceBytes = bytesOf(op.operand(i)) / steps;
          ptr_[body.argument(i)] =
              b_.CreateInBoundsGEP(b_.getInt8Ty(), ptr(op.operand(i)),
                                   b_.CreateMul(t, i64(sliceBytes)), "slice");
        }
        const std::vector<ScanOutputKind> &outputs = scanPlan->outputs;
        for (unsigned k = 0; k < nOut; ++k)
          if (outputs[k] == ScanOutputKind::ComputedInRow) {
            const ir::Value *y = yield->operand(nc + k);
            ptr_[y] = b_.CreateInBoundsGEP(b_.getInt8Ty(), ptr(op.result(nc + k)),
                                           b_.CreateMul(t, i64(bytesOf(y))), "row");
          }
        if (!lowerBlockBody(body)) {
          ok = false;
          return;
        }
        // Per-step outputs first: one may be a carried argument's old value.
        for (unsigned k = 0; k < nOut; ++k) {
          const ir::Value *y = yield->operand(nc + k);
          switch (outputs[k]) {
          case ScanOutputKind::ComputedInRow:
          case ScanOutputKind::SummedByProducer:
            break; // already there
          case ScanOutputKind::SummedAfterStep:
            emitAccumulate(ptr(scanPlan->timeSums[k]->result()), ptr(y),
                           y->type().numElements());
            break;
          case ScanOutputKind::CopiedToRow: {
            llvm::Value *row =
                b_.CreateInBoundsGEP(b_.getInt8Ty(), ptr(op.result(nc + k)),
                                     b_.CreateMul(t, i64(bytesOf(y))));
            b_.CreateMemCpy(row, llvm::MaybeAlign(4), ptr(y), llvm::MaybeAlign(4),
                            bytesOf(y));
            break;
          }
          }
        }
        // Then carried values; carried-to-carried yields go through a staging
        // slot so no carried slot is overwritten before it is read.
        for (const auto &[index, buffer] : scanPlan->stagedYields)
          b_.CreateMemCpy(bufferPtr(buffer), llvm::MaybeAlign(4),
                          ptr(yield->operand(index)), llvm::MaybeAlign(4),
                          bytesOf(yield->operand(index)));
        for (unsigned i = 0; i < nc; ++i) {
          const ir::Value *y = yield->operand(i);
          if (y == body.argument(i))
            continue;
          llvm::Value *src = ptr(y);
          for (const auto &[index, buffer] : scanPlan->stagedYields)
            if (index == i)
              src = bufferPtr(buffer);
          b_.CreateMemCpy(ptr(body.argument(i)), llvm::MaybeAlign(4), src,
                          llvm::MaybeAlign(4), bytesOf(y));
        }
      },
      op.scanReverse() ? "s" : "t");
  loopTrips_ = outerTrips;
  return ok && error_.empty();
}

Expected<void> FunctionLowering::run() {
  auto *fnType = llvm::FunctionType::get(b_.getInt32Ty(),
                                         {b_.getPtrTy(), b_.getPtrTy()}, false);
  entry_ = llvm::Function::Create(fnType, llvm::Function::ExternalLinkage,
                                  fn_.name(), mod_);
  llvm::Value *argsPtr = entry_->getArg(0);
  llvm::Value *resultsPtr = entry_->getArg(1);
  argsPtr->setName("args");
  resultsPtr->setName("results");
  b_.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "entry", entry_));

  emitEntryPrologue(argsPtr, resultsPtr);
  if (!lowerBlockBody(fn_.body()))
    return Error(error_.empty() ? "code generation failed" : error_);
  const ir::Operation *ret = fn_.body().terminator();
  if (!ret || ret->kind() != OpKind::Return)
    return Error("function '" + fn_.name() + "' does not end in return");
  for (unsigned i = 0; i < ret->numOperands(); ++i) {
    if (plan_.storageOf(ret->operand(i)).kind == ValueStorage::Kind::CallerResult)
      continue; // already there
    llvm::Value *slot = b_.CreateConstInBoundsGEP1_64(b_.getPtrTy(), resultsPtr, i);
    llvm::Value *dst = b_.CreateLoad(b_.getPtrTy(), slot, "result");
    b_.CreateMemMove(dst, llvm::MaybeAlign(4), ptr(ret->operand(i)),
                     llvm::MaybeAlign(4), bytesOf(ret->operand(i)));
  }
  b_.CreateCall(declareKernel(mod_, "rnnc_arena_release"), {arena_});
  b_.CreateRet(b_.getInt32(0));
  if (!error_.empty())
    return Error(error_);
  return {};
}

Expected<LoweredFunction> lowerFunction(llvm::Module &module,
                                        const ir::Function &fn) {
  LoweredFunction lowered{planLowering(fn)};
  if (auto verified = verifyLoweringPlan(fn, lowered.plan); !verified)
    return Error("internal: invalid lowering plan: " +
                 verified.error().message());
  FunctionLowering lowering(module, fn, lowered.plan);
  if (auto ran = lowering.run(); !ran)
    return ran.error();
  lowered.kernelCallSites = lowering.kernelCallSites();
  lowered.kernelCallsPerRun = lowering.kernelCallsPerRun();
  return lowered;
}

} // namespace codegen

/// `module` checked by LLVM's verifier: invalid IR is a bug in rnnc.
static Expected<void> verifyLowered(const llvm::Module &module) {
  std::string text;
  llvm::raw_string_ostream os(text);
  if (llvm::verifyModule(module, &os))
    return Error("internal: generated LLVM IR is invalid: " + os.str());
  return {};
}

Expected<std::unique_ptr<llvm::Module>>
lowerToLLVM(const ir::Function &fn, llvm::LLVMContext &context,
            int64_t *arenaBytes) {
  auto module = std::make_unique<llvm::Module>("rnnc." + fn.name(), context);
  auto lowered = codegen::lowerFunction(*module, fn);
  if (!lowered)
    return lowered.error();
  if (arenaBytes)
    *arenaBytes = lowered->plan.arenaBytes();
  if (auto verified = verifyLowered(*module); !verified)
    return verified.error();
  return module;
}

Expected<void> lowerFunctionInto(llvm::Module &module, const ir::Function &fn) {
  auto lowered = codegen::lowerFunction(module, fn);
  if (!lowered)
    return Error("in @" + fn.name() + ": " + lowered.error().message());
  return {};
}

Expected<PlanStats> planStats(const ir::Function &fn) {
  llvm::LLVMContext context;
  llvm::Module module("rnnc.stats." + fn.name(), context);
  auto lowered = codegen::lowerFunction(module, fn);
  if (!lowered)
    return lowered.error();
  const LoweringPlan &plan = lowered->plan;
  PlanStats stats;
  stats.arenaBytes = plan.placement.arenaBytes;
  stats.unsharedBytes = plan.placement.unsharedBytes;
  stats.peakLiveBytes = plan.placement.peakLiveBytes;
  stats.buffers = static_cast<int64_t>(plan.buffers.size());
  stats.kernelCallSites = lowered->kernelCallSites;
  stats.kernelCallsPerRun = lowered->kernelCallsPerRun;
  return stats;
}

Expected<std::string> emitLLVMText(const ir::Module &irModule) {
  llvm::LLVMContext context;
  llvm::Module module("rnnc." + irModule.name, context);
  for (const auto &fn : irModule.functions())
    if (auto lowered = lowerFunctionInto(module, *fn); !lowered)
      return lowered.error();
  if (auto verified = verifyLowered(module); !verified)
    return verified.error();
  return printLLVMModule(module);
}

std::string printLLVMModule(const llvm::Module &module) {
  std::string text;
  llvm::raw_string_ostream os(text);
  module.print(os, nullptr);
  return os.str();
}

Expected<std::string> emitLLVMText(const ir::Function &fn) {
  llvm::LLVMContext context;
  auto module = lowerToLLVM(fn, context);
  if (!module)
    return module.error();
  return printLLVMModule(**module);
}

} // namespace rnnc::runtime
