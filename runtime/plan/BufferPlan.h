//===- BufferPlan.h - Arena offsets shared by values never live together -*- C++ -*-===//
///
/// \file
/// The generated code keeps every intermediate of a call in one arena whose
/// size is fixed at compile time. The lowering plan (LoweringPlan.h) asks
/// for one buffer per stored value (a BufferRequest: its size, the IR values
/// kept in it, and the scan it must outlive); planBuffers numbers the program points, gives each buffer
/// a live interval, and lets buffers whose intervals do not overlap share
/// bytes. Rules:
///   - program order is a walk of the function body in which an op with a
///     region (a scan) has a begin and an end point enclosing its body's
///     ops; a use inside a region counts at the enclosing op's end point in
///     the defining block, so a value a scan body reads lives through the
///     whole loop;
///   - a use by an op that stores nothing (a fused elementwise producer, a
///     one-hot folded into a product, a slice view; the lowering plan says
///     which) counts at that op's own uses: its operands are read where it
///     is computed;
///   - a buffer tied to a scan (carried slots, stacked and time-summed
///     outputs, staging slots) is live from the scan's begin to its end at
///     least, since the loop writes it before or after its values exist;
///     likewise a value written at a later op's place (a loss computed with
///     its gradient) is live until that op.
/// Buffers whose intervals touch never share, so no kernel reads an operand
/// from the bytes it is writing. Placement is greedy by size (largest
/// first, each at the lowest offset free of overlapping buffers).
///
/// No dependency on the code generator: the plan keeps the placement, and
/// `rnnc compile --stats` (planStats, runtime/codegen/Codegen.h) reads it there.
/// Tests: test/unit/BufferPlanTest.cpp, test/unit/LoweringPlanTest.cpp,
/// test/lit/compile/stats*.test, and every JIT-vs-interpreter test.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/IR.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace rnnc::runtime {

/// One buffer the code generator needs.
struct BufferRequest {
  int64_t bytes = 0;
  /// The values kept in the buffer: live from the first definition to the
  /// last use of any of them.
  std::vector<const ir::Value *> values;
  /// When set, the buffer is live at least from this op's begin to its end
  /// too (a scan that writes it in its loop; an op at whose place the value
  /// is computed, later than its own).
  const ir::Operation *liveAcross = nullptr;
};

/// Buffer alignment in the arena (a cache line; AVX-512 loads).
constexpr int64_t kBufferAlignment = 64;

struct BufferPlan {
  std::vector<int64_t> offsets; ///< One per request, in request order.
  /// Each request's live interval [first, last] in program points (same
  /// order); buffers whose intervals touch never share bytes.
  std::vector<std::pair<int64_t, int64_t>> liveRanges;
  int64_t arenaBytes = 0;       ///< With sharing.
  int64_t unsharedBytes = 0;    ///< Every buffer on its own.
  /// The most bytes live at one program point: no placement can do better.
  int64_t peakLiveBytes = 0;
};

/// Whether an op stores nothing itself and is computed where it is used.
using ComputedAtUsers = std::function<bool(const ir::Operation *)>;

/// Offsets for `requests` within `fn`'s arena (see the file comment).
BufferPlan planBuffers(const ir::Function &fn,
                       const std::vector<BufferRequest> &requests,
                       const ComputedAtUsers &computedAtUsers);

} // namespace rnnc::runtime
