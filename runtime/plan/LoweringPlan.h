//===- LoweringPlan.h - Every back-end decision, before any LLVM IR -*- C++ -*-===//
///
/// \file
/// The lowering plan of one ir::Function: every decision the code generator
/// takes, made and verified before any LLVM IR exists (DESIGN.md §5).
///
///   - planLowering (LoweringPlanner.cpp) decides, per op, how it is lowered
///     (stored, slice view, absorbed time sum, loss computed with its
///     gradient, a product accumulating in place or reading a packed
///     operand) and which runtime kernel it calls, per elementwise op and
///     fusion its loop nest (LoopPlanner.cpp; a fusion also its
///     product-plus-bias kernel, product home and parallel work), per value
///     where it lives (arena buffer, caller's result buffer, row of a stacked
///     scan output), per scan how each per-step output gets its value, and
///     places the arena buffers (runtime/plan/BufferPlan.h);
///   - verifyLoweringPlan (LoweringPlanVerifier.cpp) checks its invariants;
///   - printLoweringPlan (LoweringPlanPrinter.cpp) writes it as stable text,
///     one line per decision (`rnnc emit --stage=plan`, lit tests);
///   - the LLVM emitter (Codegen*.cpp) only reads it: it decides nothing.
///
/// Plain data, no LLVM. Maps keyed by IR pointers are for lookups only:
/// whatever is iterated (arena values, direct results, staging slots, packed
/// operands) is kept in vectors in program order, so emission and printing
/// are deterministic.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Error.h"
#include "ir/IR.h"
#include "runtime/plan/BufferPlan.h"

#include <cstdint>
#include <iosfwd>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace rnnc::runtime {

/// How one op is lowered. Ops the plan does not mention are Stored.
///
/// Rewrites of the graph are not here: one-hot products become gathers in
/// `simplify`, elementwise ops are grouped into `fusion` kernels (splat
/// constants copied into them) by `fuse-elementwise`. The plan follows the
/// IR it is given, so the printed IR stays the one truth about what is
/// computed; an unoptimised one-hot product is a real product here.
enum class OpLowering {
  Stored,         ///< computes its results into their storage
  SliceView,      ///< a last-axis slice its fusion users read in place
  AbsorbedReduce, ///< a reduce_sum over time summed inside its scan
};

/// The loop nest over the elements of an elementwise op or a fusion: one
/// flat loop (inner == 0, rows == elements), or `rows` rows of an inner loop
/// of `inner` elements, so that an operand broadcast as a suffix (a bias
/// row) is indexed by the inner index alone and the loop vectorises, and a
/// slice view's row starts at row * stride.
struct LoopNest {
  int64_t rows = 0;
  int64_t inner = 0;
  bool flat() const { return inner == 0; }
};

/// A fusion result stored a second time by the fusion's loop, into its
/// columns of a later concat in the same block: the concat does not copy
/// that part (a scan step's merged gate gradients, concatenated for one
/// product, were a serial copy of 32 x 1024 floats at every step).
struct ColumnStore {
  unsigned result = 0;                   ///< The fusion result.
  const ir::Operation *concat = nullptr; ///< Whose buffer it is stored in.
  unsigned part = 0;                     ///< The concat operand it is.
  int64_t column = 0;                    ///< The part's first column.
  int64_t rowStride = 0;                 ///< The concat's row width.
};

/// How a `fusion` op is lowered.
struct FusionPlan {
  /// A matmul plus a row bias and nothing else: one rnnc_matmul_bias call
  /// that starts from the bias rows (the output projection); no loop.
  const ir::Value *rowBias = nullptr;
  /// The result whose buffer the leading product is computed in (it yields
  /// the product), or -1: the first result's, which the loop then
  /// overwrites in place (each element is read before it is stored).
  int productHome = -1;
  /// Per operand: the row stride of a slice view read in place, or 0.
  std::vector<int64_t> rowStride;
  /// The loop is outlined and run by rnnc_parallel_for over loop.rows rows
  /// with this flop estimate (a transcendental counts 24, other ops 1, per
  /// element, times 2); it is split into `chunks` chunks (chunkCount in
  /// runtime/kernels/KernelsParallel.h: 1 = not split), whatever the
  /// thread count.
  int64_t work = 0;
  int64_t chunks = 1;
  /// `dropout` ops in the body: each draws its mask inside the loop from
  /// its counter (ir/DropoutMask.h); no mask is stored.
  int64_t dropoutMasks = 0;
  /// Results also stored into a concat's columns (the loop nest's inner
  /// width is then the part's width).
  std::vector<ColumnStore> columnStores;
};

/// Everything decided about one op.
struct OpPlan {
  OpLowering how = OpLowering::Stored;
  /// The runtime kernel (runtime/kernels/Kernels.h) its code calls, or null:
  /// inline code (elementwise loops, constants, scans) or no code of its own
  /// (a view, a time sum in its scan, a loss its gradient's kernel computes,
  /// a product a product-plus-bias kernel computes).
  const char *kernel = nullptr;
  /// Elementwise ops and fusions with a loop: its nest.
  LoopNest loop;
  /// A matmul_tn / scatter_add adding its result into this time sum.
  const ir::Value *accumulatesInto = nullptr;
  /// A per-step product reading LoweringPlan::packed[packedOperand].
  int packedOperand = -1;
  /// cross_entropy and cross_entropy_grad computed by one kernel call at the
  /// gradient's place: each names the other.
  const ir::Operation *lossPartner = nullptr;
  /// A concat: per operand, whether its fusion stores it in place
  /// (ColumnStore) so that the concat does not copy it; empty: none.
  std::vector<bool> partsStored;
};

/// Where a value lives.
struct ValueStorage {
  enum class Kind {
    None,         ///< nowhere of its own (argument, view, fused, folded...)
    Arena,        ///< arena buffer `buffer`
    CallerResult, ///< the caller's result buffer `resultIndex`
    StackedRow,   ///< row t of output `output` of scan `scan`
  };
  Kind kind = Kind::None;
  int64_t buffer = -1;
  unsigned resultIndex = 0;
  const ir::Operation *scan = nullptr;
  unsigned output = 0; ///< Per-step output index (0 = first after carried).
};

/// How each per-step output of a scan gets its value at every step.
enum class ScanOutputKind {
  ComputedInRow,    ///< its producer writes row t of the stacked result
  CopiedToRow,      ///< copied into row t after the step
  SummedByProducer, ///< its producer adds itself into the time sum
  SummedAfterStep,  ///< added into the time sum after the step
};

struct ScanPlan {
  /// One kind per per-step output, in yield order.
  std::vector<ScanOutputKind> outputs;
  /// Per per-step output: the reduce_sum over time it is summed into, or
  /// null when it is stacked.
  std::vector<const ir::Operation *> timeSums;
  /// (carried index, buffer): yields that pass one carried value to another
  /// go through a staging slot, in carried-index order.
  std::vector<std::pair<unsigned, int64_t>> stagedYields;
};

/// A scan's loop-invariant right operand of per-step products, packed into
/// panels once before the loop (rnnc_pack_panels) and read by
/// rnnc_matmul_packed at every step.
struct PackedOperand {
  const ir::Operation *scan = nullptr;
  const ir::Value *source = nullptr; ///< The scan operand that is packed.
  bool transposed = false;           ///< Packed as its transpose (matmul_nt).
  int64_t k = 0, n = 0;
  int64_t buffer = -1;
};

/// What an arena buffer is for (printing and verification).
enum class BufferRole { Value, CarriedSlot, StackedOutput, TimeSum, YieldStaging, Packed };

struct LoweringPlan {
  std::unordered_map<const ir::Operation *, OpPlan> ops;
  std::unordered_map<const ir::Value *, ValueStorage> storage;
  std::unordered_map<const ir::Operation *, ScanPlan> scans;
  std::unordered_map<const ir::Operation *, FusionPlan> fusions;
  std::vector<PackedOperand> packed;
  /// Values in arena buffers, in the order they were planned (the entry
  /// prologue forms their pointers in this order).
  std::vector<const ir::Value *> arenaValues;
  /// (returned value, result index) computed in the caller's buffer, in
  /// result order.
  std::vector<std::pair<const ir::Value *, unsigned>> directResults;
  /// The buffers asked for (request i is buffer i), their roles, and their
  /// placement in the arena.
  std::vector<BufferRequest> buffers;
  std::vector<BufferRole> roles;
  BufferPlan placement;

  const OpPlan &op(const ir::Operation *op) const;
  OpLowering how(const ir::Operation *o) const { return op(o).how; }
  /// Whether `o` stores nothing and is computed where it is used.
  bool computedAtUsers(const ir::Operation *o) const;
  const ValueStorage &storageOf(const ir::Value *v) const;
  const ScanPlan *scan(const ir::Operation *scan) const;
  const FusionPlan *fusion(const ir::Operation *fusion) const;
  /// Arena offset of buffer `buffer`.
  int64_t offset(int64_t buffer) const {
    return placement.offsets.at(static_cast<size_t>(buffer));
  }
  int64_t arenaBytes() const { return placement.arenaBytes; }
};

/// The width of `v`'s rows: its last axis (1 for a scalar).
inline int64_t lastDim(const ir::Value *v) {
  const ir::TensorType &t = v->type();
  return t.rank() ? t.dim(t.rank() - 1) : 1;
}

/// A scan's number of steps (from its sequences, its stacked outputs or its
/// `length` attribute); -1 when nothing fixes it.
int64_t scanLength(const ir::Operation &scan);

/// Every decision for `fn` (LoweringPlanner.cpp). Never fails: what cannot
/// be lowered is reported by the emitter.
LoweringPlan planLowering(const ir::Function &fn);

/// Checks the plan's invariants (see LoweringPlanVerifier.cpp); an Error
/// naming the first broken one.
Expected<void> verifyLoweringPlan(const ir::Function &fn,
                                  const LoweringPlan &plan);

/// The plan as text, one line per decision (LoweringPlanPrinter.cpp).
void printLoweringPlan(const ir::Function &fn, const LoweringPlan &plan,
                       std::ostream &os);

} // namespace rnnc::runtime
