//===- CodegenLowering.h - State of one IR-to-LLVM lowering -----*- C++ -*-===//
///
/// \file
/// Private to the code generator (Codegen.cpp drives: entry block, scan
/// loops, return; CodegenStorage.cpp plans where values live; CodegenOps.cpp,
/// CodegenElementwise.cpp and CodegenFusion.cpp emit the individual ops).
///
/// Storage: every op result that needs memory gets a buffer in one arena,
/// requested before emission over the function body and every nested scan
/// body (a worklist, not recursion) and placed by runtime/BufferPlan.h:
/// buffers never live at the same time share bytes. A scan's carried body
/// arguments own a slot that its final carried results alias; sequence
/// slices and invariants are pointers into the operands' buffers. One-hot
/// values that only feed the left side of matmul / matmul_tn, and constants
/// that only feed elementwise ops, get no storage: they are folded into a row
/// gather / scatter-add or into the loop as an immediate. Elementwise ops
/// fused into their user's loop (CodegenElementwise.cpp) get no storage.
///
/// Returned values a top-level op computes (a gradient, the loss) are
/// computed straight into the caller's result buffers (planDirectResults);
/// a state's new value is not, since its buffer may be the state argument.
///
/// Scan outputs: a per-step output whose only use is `reduce_sum` over the
/// time axis is never stacked; it is summed into the reduction's result as
/// the loop runs (and a matmul_tn / scatter-add producing it accumulates in
/// place). Any other per-step output produced by a body op is written
/// straight into row t of the stacked result, where the rest of the step
/// reads it (and a carried or second yield of it copies it from).
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/IR.h"
#include "runtime/BufferPlan.h"

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>

#include <functional>
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace rnnc::runtime::codegen {

/// The scalar f32 code of one elementwise op (`in` holds one value per
/// operand); shared by the fused loops of CodegenElementwise.cpp and
/// CodegenFusion.cpp.
llvm::Value *emitElementwiseScalar(llvm::IRBuilder<> &b, ir::OpKind kind,
                                   const std::vector<llvm::Value *> &in);

/// A cross_entropy and the cross_entropy_grad of the same logits and labels
/// in one block become one kernel call at the gradient's place, provided
/// nothing reads the loss before that place (CodegenOps.cpp). Returns the
/// partner of `lossOrGrad` (either op of the pair), or null when they cannot
/// fuse.
const ir::Operation *fusedLossPartner(const ir::Operation &lossOrGrad);

/// A scan's number of steps (from its sequences, its stacked outputs or its
/// `length` attribute); -1 when nothing fixes it.
int64_t scanLength(const ir::Operation &scan);

class FunctionLowering {
public:
  FunctionLowering(llvm::Module &module, const ir::Function &fn);
  /// Emits the entry function; false with `error` set on unsupported input.
  bool run(std::string &error);

  // --- Used by the op emitters (CodegenOps.cpp) ----------------------------
  bool lowerOp(const ir::Operation &op);
  bool lowerElementwise(const ir::Operation &op);
  bool lowerMatrixOp(const ir::Operation &op);
  bool lowerIndexOp(const ir::Operation &op);
  bool lowerShapeOp(const ir::Operation &op);
  bool lowerLossOp(const ir::Operation &op);
  bool lowerConstant(const ir::Operation &op);
  bool lowerScan(const ir::Operation &op);
  /// A fusion that is a matmul plus a row bias, as one kernel call; false
  /// (nothing emitted) for any other fusion.
  bool lowerProductPlusBias(const ir::Operation &op);
  /// A `fusion` op: its leading product (if any), then one loop computing
  /// every yielded value (CodegenFusion.cpp).
  bool lowerFusion(const ir::Operation &op);

  /// The buffer holding `v` at the current insertion point.
  llvm::Value *ptr(const ir::Value *v);
  /// Emits `for (i = 0; i < count; ++i) body(i)` (count > 0 is a constant).
  void emitLoop(int64_t count, const std::function<void(llvm::Value *)> &body,
                const char *name = "i");
  /// acc[i] += src[i] for i < count, as a loop.
  void emitAccumulate(llvm::Value *acc, llvm::Value *src, int64_t count);
  /// Calls the kernel `name`; every argument is a pointer or an i64.
  void callKernel(const char *name, std::vector<llvm::Value *> args);
  llvm::Value *i64(int64_t v) { return b_.getInt64(v); }
  llvm::Value *f32(double v) {
    return llvm::ConstantFP::get(b_.getFloatTy(), v);
  }
  int64_t bytesOf(const ir::Value *v) const {
    return v->type().numElements() * 4;
  }
  bool fail(const std::string &message);

  /// Whether `op` is a one-hot folded into its matmul users.
  bool isFoldedOneHot(const ir::Operation *op) const {
    return foldedOneHots_.count(op) != 0;
  }
  /// Whether `op` is a last-axis slice its fusion users read in place (a
  /// strided view of its operand: no copy, no buffer).
  bool isSliceView(const ir::Operation *op) const {
    return sliceViews_.count(op) != 0;
  }
  /// Where `op` writes its result: its own buffer, or (accumulate = 1) the
  /// time-summed accumulator of a scan output it feeds.
  llvm::Value *resultBuffer(const ir::Operation &op, int64_t &accumulate);
  bool isAbsorbedReduce(const ir::Operation *op) const {
    return absorbedReduces_.count(op) != 0;
  }
  /// Whether `op` is an elementwise op computed inside its user's loop.
  bool isFusedProducer(const ir::Operation *op) const {
    return fusedDepth_.count(op) != 0;
  }
  /// Whether `op` is a constant inlined into its elementwise users.
  bool isInlinedConstant(const ir::Operation *op) const {
    return inlinedConstants_.count(op) != 0;
  }

  /// The arena plan (after run()).
  const BufferPlan &bufferPlan() const { return plan_; }
  const std::vector<BufferRequest> &bufferRequests() const { return requests_; }
  /// Kernel calls emitted, and made by one call of the function.
  int64_t kernelCallSites() const { return kernelCallSites_; }
  int64_t kernelCallsPerRun() const { return kernelCallsPerRun_; }

  llvm::IRBuilder<> &builder() { return b_; }
  llvm::LLVMContext &context() { return ctx_; }
  llvm::Module &module() { return mod_; }

private:
  void planStorage();
  void planScanOutputs(const ir::Operation &scan);
  void planPackedProducts(const ir::Operation &scan);
  void planDirectResults();
  void planElementwiseFusion(const ir::Operation &op);
  /// A new buffer (its number, until placeBuffers turns it into an offset);
  /// with `liveAcross`, live at least while that op (a scan) runs.
  int64_t allocate(int64_t bytes, const ir::Operation *liveAcross = nullptr);
  /// Keeps `v` in buffer number `buffer`.
  void assign(const ir::Value *v, int64_t buffer);
  void placeBuffers();
  bool lowerBlockBody(const ir::Block &block);
  void emitEntryPrologue(llvm::Value *argsPtr, llvm::Value *resultsPtr);

  llvm::Module &mod_;
  llvm::LLVMContext &ctx_;
  llvm::IRBuilder<> b_;
  const ir::Function &fn_;
  llvm::Function *entry_ = nullptr;
  llvm::Value *arena_ = nullptr;
  int64_t arenaBytes_ = 0;
  std::vector<BufferRequest> requests_;
  BufferPlan plan_;
  int64_t kernelCallSites_ = 0, kernelCallsPerRun_ = 0;
  int64_t loopTrips_ = 1; ///< Iterations of the loops around the insertion point.
  std::unordered_map<const ir::Value *, int64_t> offset_;
  std::vector<const ir::Value *> planOrder_; ///< Deterministic print order.
  std::unordered_map<const ir::Value *, llvm::Value *> ptr_;
  /// Staging slots for scan yields that pass one carried value to another.
  std::map<std::pair<const ir::Operation *, unsigned>, int64_t> yieldStage_;
  std::unordered_set<const ir::Operation *> foldedOneHots_;
  std::unordered_set<const ir::Operation *> sliceViews_;
  /// Returned value -> its index in the results array, when it is computed
  /// straight into the caller's buffer (planDirectResults).
  std::unordered_map<const ir::Value *, unsigned> directResults_;
  std::unordered_set<const ir::Operation *> inlinedConstants_;
  /// Fused elementwise producer -> depth of its fused tree.
  std::unordered_map<const ir::Operation *, int> fusedDepth_;
  /// Scan result -> the reduce_sum over time it is accumulated into.
  std::unordered_map<const ir::Value *, const ir::Operation *> accumulatedOutputs_;
  std::unordered_set<const ir::Operation *> absorbedReduces_;
  /// Body op -> accumulator value it adds its result into.
  std::unordered_map<const ir::Operation *, const ir::Value *> accumulateInto_;
  /// A scan's loop-invariant right operand of per-step products, packed into
  /// panels once before the loop (rnnc_pack_panels) and read by
  /// rnnc_matmul_packed at every step.
  struct PackedOperand {
    const ir::Operation *scan;
    const ir::Value *source; ///< The scan operand that is packed.
    bool transposed;         ///< Packed as its transpose (matmul_nt).
    int64_t k, n;
    int64_t at; ///< Buffer number, then arena offset.
  };
  std::vector<PackedOperand> packedOperands_;
  /// Per-step product -> its packed right operand (index into the above).
  std::unordered_map<const ir::Operation *, size_t> packedProducts_;
  /// Body value -> (scan, output index) whose stacked row it is computed in:
  /// one row per value, however many outputs yield it.
  std::unordered_map<const ir::Value *, std::pair<const ir::Operation *, unsigned>>
      directStacked_;
  /// How each per-step output of a scan gets its value at every step.
  enum class ScanOutputKind {
    ComputedInRow,    ///< its producer writes row t of the stacked result
    CopiedToRow,      ///< copied into row t after the step
    SummedByProducer, ///< its producer adds itself into the time sum
    SummedAfterStep,  ///< added into the time sum after the step
  };
  /// Scan -> one kind per per-step output, in yield order (planScanOutputs).
  std::unordered_map<const ir::Operation *, std::vector<ScanOutputKind>> scanOutputs_;
  std::string error_;
};

} // namespace rnnc::runtime::codegen
