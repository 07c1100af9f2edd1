//===- CodegenLowering.h - State of one IR-to-LLVM lowering -----*- C++ -*-===//
///
/// \file
/// Private to the code generator (Codegen.cpp drives: entry block, scan
/// loops, return; CodegenOps.cpp, CodegenElementwise.cpp and
/// CodegenFusion.cpp emit the individual ops).
///
/// The emitter decides nothing: which values share storage, which are
/// computed in the caller's result buffers or in a stacked row, which
/// slices are views, which products read a packed weight, which fusion is a
/// product plus a row bias, each loop's nest and parallel work, which loss
/// is computed with its gradient and how each scan output gets its value
/// all come from the LoweringPlan (runtime/plan/LoweringPlan.h, made by
/// LoweringPlanner.cpp and checked by LoweringPlanVerifier.cpp before any
/// LLVM IR exists). FunctionLowering translates that plan: it holds only
/// the LLVM state of the emission (builder, the pointer of each value at
/// the insertion point, kernel call counts).
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Error.h"
#include "ir/IR.h"
#include "runtime/plan/LoweringPlan.h"

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>

#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace rnnc::runtime::codegen {

struct FusionLoop; // CodegenFusion.cpp

/// The scalar f32 code of one elementwise op (`in` holds one value per
/// operand); shared by the fused loops of CodegenElementwise.cpp and
/// CodegenFusion.cpp.
llvm::Value *emitElementwiseScalar(llvm::IRBuilder<> &b, ir::OpKind kind,
                                   const std::vector<llvm::Value *> &in);

class FunctionLowering {
public:
  /// `plan` must be `fn`'s verified plan and outlive the lowering.
  FunctionLowering(llvm::Module &module, const ir::Function &fn,
                   const LoweringPlan &plan);
  /// Emits the entry function; an Error on unsupported input. The op
  /// emitters below return false after `fail` recorded the first message,
  /// which run() returns.
  Expected<void> run();

  // --- Used by the op emitters (CodegenOps.cpp) ----------------------------
  bool lowerOp(const ir::Operation &op);
  bool lowerElementwise(const ir::Operation &op);
  bool lowerMatrixOp(const ir::Operation &op);
  bool lowerIndexOp(const ir::Operation &op);
  bool lowerShapeOp(const ir::Operation &op);
  bool lowerLossOp(const ir::Operation &op);
  bool lowerConstant(const ir::Operation &op);
  bool lowerScan(const ir::Operation &op);
  /// A `fusion` op: one rnnc_matmul_bias call, or its leading product (if
  /// any) then one loop computing every yielded value (CodegenFusion.cpp).
  bool lowerFusion(const ir::Operation &op);

  /// The buffer holding `v` at the current insertion point.
  llvm::Value *ptr(const ir::Value *v);
  /// Emits `for (i = 0; i < count; ++i) body(i)` (count > 0 is a constant).
  void emitLoop(int64_t count, const std::function<void(llvm::Value *)> &body,
                const char *name = "i");
  /// The loop nest `nest`, calling element(full, row, j) at each element
  /// (a flat loop passes its index as all three).
  using ElementFn = std::function<void(llvm::Value *, llvm::Value *, llvm::Value *)>;
  void emitLoopNest(const LoopNest &nest, const ElementFn &element);
  /// `for (j = 0; j < inner; ++j) element(row * inner + j, row, j)`.
  void emitInnerLoop(int64_t inner, llvm::Value *row, const ElementFn &element);
  /// acc[i] += src[i] for i < count, as a loop.
  void emitAccumulate(llvm::Value *acc, llvm::Value *src, int64_t count);
  /// Calls the kernel `name` (an op's is the plan's OpPlan::kernel); every
  /// argument is a pointer or an i64.
  void callKernel(const char *name, std::vector<llvm::Value *> args);
  llvm::Value *i64(int64_t v) { return b_.getInt64(v); }
  llvm::Value *f32(double v) {
    return llvm::ConstantFP::get(b_.getFloatTy(), v);
  }
  int64_t bytesOf(const ir::Value *v) const {
    return v->type().numElements() * 4;
  }
  bool fail(const std::string &message);

  /// Whether `op` is a last-axis slice its fusion users read in place (a
  /// strided view of its operand: no copy, no buffer).
  bool isSliceView(const ir::Operation *op) const {
    return plan_.how(op) == OpLowering::SliceView;
  }
  /// Where `op` writes its result: its own buffer, or (accumulate = 1) the
  /// time-summed accumulator of a scan output it feeds.
  llvm::Value *resultBuffer(const ir::Operation &op, int64_t &accumulate);
  bool isAbsorbedReduce(const ir::Operation *op) const {
    return plan_.how(op) == OpLowering::AbsorbedReduce;
  }

  const LoweringPlan &plan() const { return plan_; }
  /// Kernel calls emitted, and made by one call of the function.
  int64_t kernelCallSites() const { return kernelCallSites_; }
  int64_t kernelCallsPerRun() const { return kernelCallsPerRun_; }

  llvm::IRBuilder<> &builder() { return b_; }
  llvm::LLVMContext &context() { return ctx_; }
  llvm::Module &module() { return mod_; }

private:
  bool lowerBlockBody(const ir::Block &block);
  void emitEntryPrologue(llvm::Value *argsPtr, llvm::Value *resultsPtr);
  /// The arena bytes of buffer `buffer`.
  llvm::Value *bufferPtr(int64_t buffer);
  /// Stores op(operands) at element `full` (index `j` in its row).
  void emitElementwiseElement(const ir::Operation &op,
                              const std::unordered_map<const ir::Value *, llvm::Value *> &uniform,
                              llvm::Value *full, llvm::Value *j);
  // A fusion's loop, in steps (CodegenFusion.cpp).
  bool collectFusionReads(FusionLoop &loop);
  llvm::Value *loadFusionValue(const FusionLoop &loop, const ir::Value *v,
                               llvm::Value *full, llvm::Value *row, llvm::Value *j);
  void emitFusionElement(const FusionLoop &loop, llvm::Value *full, llvm::Value *row,
                         llvm::Value *j);
  llvm::Function *emitFusionLoopFunction(FusionLoop &loop,
                                         const std::vector<const ir::Value *> &passed,
                                         const std::vector<size_t> &slotOf, size_t slots);
  void emitFusionLoop(FusionLoop &loop);

  llvm::Module &mod_;
  llvm::LLVMContext &ctx_;
  llvm::IRBuilder<> b_;
  const ir::Function &fn_;
  const LoweringPlan &plan_;
  llvm::Function *entry_ = nullptr;
  llvm::Value *arena_ = nullptr;
  int64_t kernelCallSites_ = 0, kernelCallsPerRun_ = 0;
  int64_t loopTrips_ = 1; ///< Iterations of the loops around the insertion point.
  /// Where each value is at the insertion point.
  std::unordered_map<const ir::Value *, llvm::Value *> ptr_;
  std::string error_;
};

/// One function emitted from its plan.
struct LoweredFunction {
  LoweringPlan plan;
  int64_t kernelCallSites = 0, kernelCallsPerRun = 0;
};

/// Plans `fn`, verifies the plan (a broken invariant is an internal error:
/// nothing is emitted) and emits the entry `@<fn.name()>` into `module`;
/// an Error on failure.
Expected<LoweredFunction> lowerFunction(llvm::Module &module,
                                        const ir::Function &fn);

} // namespace rnnc::runtime::codegen
