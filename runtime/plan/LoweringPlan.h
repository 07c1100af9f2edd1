//===- LoweringPlan.h - Every back-end decision, before any LLVM IR -*- C++ -*-===//
///
/// \file
/// The lowering plan of one ir::Function: every decision the code generator
/// takes, made and verified before any LLVM IR exists (DESIGN.md §5).
///
///   - planLowering (LoweringPlanner.cpp) decides, per op, how it is lowered
///     (stored, folded one-hot, inlined constant, fused into its user's loop,
///     slice view, absorbed time sum, loss computed with its gradient, a
///     product accumulating in place or reading a packed operand), per value
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
enum class OpLowering {
  Stored,          ///< computes its results into their storage
  FoldedOneHot,    ///< a one-hot folded into its users: gather / scatter-add
  InlinedConstant, ///< an f32 constant inlined into its elementwise users
  FusedIntoUser,   ///< an elementwise op recomputed inside its user's loop
  SliceView,       ///< a last-axis slice its fusion users read in place
  AbsorbedReduce,  ///< a reduce_sum over time summed inside its scan
};

/// Everything decided about one op.
struct OpPlan {
  OpLowering how = OpLowering::Stored;
  /// FusedIntoUser: depth of its fused tree (1 for a leaf producer).
  int fusedDepth = 0;
  /// A matmul_tn / scatter_add adding its result into this time sum.
  const ir::Value *accumulatesInto = nullptr;
  /// A per-step product reading LoweringPlan::packed[packedOperand].
  int packedOperand = -1;
  /// cross_entropy and cross_entropy_grad computed by one kernel call at the
  /// gradient's place: each names the other.
  const ir::Operation *lossPartner = nullptr;
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
  /// Arena offset of buffer `buffer`.
  int64_t offset(int64_t buffer) const {
    return placement.offsets.at(static_cast<size_t>(buffer));
  }
  int64_t arenaBytes() const { return placement.arenaBytes; }
};

/// A scan's number of steps (from its sequences, its stacked outputs or its
/// `length` attribute); -1 when nothing fixes it.
int64_t scanLength(const ir::Operation &scan);

/// Every decision for `fn` (LoweringPlanner.cpp). Never fails: what cannot
/// be lowered is reported by the emitter.
LoweringPlan planLowering(const ir::Function &fn);

/// Checks the plan's invariants (see LoweringPlanVerifier.cpp); false with
/// `*error` naming the first broken one.
bool verifyLoweringPlan(const ir::Function &fn, const LoweringPlan &plan,
                        std::string *error);

/// The plan as text, one line per decision (LoweringPlanPrinter.cpp).
void printLoweringPlan(const ir::Function &fn, const LoweringPlan &plan,
                       std::ostream &os);

} // namespace rnnc::runtime
