//===- CompiledStep.h - The compiled step training calls --------*- C++ -*-===//
///
/// \file
/// The small interface between training and code generation. A compiled
/// `@train_step` (forward + loss + backward over a T x B minibatch) or
/// `@forward` (inference, usually B = T = 1) is one entry point taking its
/// arguments and results as pointer arrays in the IR's order, plus the
/// layout of its parameters and states. The JIT's programs
/// (runtime/codegen/ModelProgram.h) and an AOT object's descriptor entries
/// (runtime/capi/ModelContext.cpp) implement `call`; the trainer and the
/// generator see only TrainStep and ForwardStep, so runtime/train/ needs
/// neither LLVM nor codegen, and the arguments are packed here, once.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Error.h"
#include "runtime/data/Checkpoint.h"

#include <cstdint>
#include <string>
#include <vector>

namespace rnnc::runtime {

/// One named tensor a step reads or writes.
struct TensorSlot {
  std::string name;
  std::vector<int64_t> shape;
  int64_t numElements() const;
};

/// Parameters and states of a model as a step's arguments list them.
struct ModelLayout {
  std::vector<TensorSlot> params;
  std::vector<TensorSlot> states; ///< shape [B, ...]
  int64_t vocab = 0, batch = 0, seqLen = 0;
  /// The train step takes the dropout key (i32[T, 5], role key) after the
  /// tokens: the model uses dropout.
  bool dropoutKey = false;
};

/// What a train step's dropout masks are drawn from (ir/DropoutMask.h):
/// the run's seed, the number of updates before this one (the optimizer's
/// step count, which a checkpoint carries, so a resumed run continues the
/// same masks) and the global batch row of this step's row 0 (a
/// data-parallel rank taking rows [r0, r0 + b) passes r0).
struct DropoutCounter {
  uint64_t seed = 0;
  uint64_t step = 0;
  int64_t rowOffset = 0;
};

/// The key words of `counter` for each of `seqLen` time steps, [T, 5].
std::vector<int32_t> dropoutKeyWords(const DropoutCounter &counter, int64_t seqLen);

/// Plain float buffers for every parameter (and per-state buffers).
using TensorBuffers = std::vector<std::vector<float>>;
TensorBuffers allocateBuffers(const std::vector<TensorSlot> &slots);
void zeroBuffers(TensorBuffers &buffers);

/// Copies every slot's tensor from `checkpoint` into `buffers` (parallel to
/// `slots`). An Error if one is missing or has another shape.
Expected<void> loadFromCheckpoint(const Checkpoint &checkpoint,
                                  const std::vector<TensorSlot> &slots,
                                  TensorBuffers &buffers);

class CompiledStep {
public:
  /// `what` names the step in the arena message ("the train step needs
  /// 40.1 GB of working memory (arena), ..."), `advice` follows it.
  CompiledStep(ModelLayout layout, int64_t arenaBytes, std::string what,
               std::string advice = "");
  virtual ~CompiledStep() = default;
  CompiledStep(const CompiledStep &) = delete;
  CompiledStep &operator=(const CompiledStep &) = delete;

  const ModelLayout &layout() const { return layout_; }
  int64_t arenaBytes() const { return arenaBytes_; }

  /// Whether this thread can have the step's working memory (arena); an
  /// Error saying arenaShortfall() otherwise. Call it before running: once
  /// had, the arena is kept for every later call.
  Expected<void> reserveArena() const;
  std::string arenaShortfall() const;

protected:
  /// Runs the entry point: `args` and `results` point at the buffers in the
  /// IR function's order. False, with nothing written, when its arena
  /// cannot be had.
  virtual bool call(void **args, void **results) const = 0;

private:
  ModelLayout layout_;
  int64_t arenaBytes_;
  std::string what_, advice_;
};

/// A compiled `@train_step`: loss, next states and gradients.
class TrainStep : public CompiledStep {
public:
  using CompiledStep::CompiledStep;

  /// One step on a time-major minibatch (x, y: T*B ids). Reads `params` and
  /// `states`; writes the final states into `nextStates` and the gradients
  /// into `grads` (same layout as params) and the mean loss into `*loss`.
  /// False, with nothing written, when the arena cannot be had.
  /// A model with dropout draws its masks from `dropout`.
  [[nodiscard]] bool run(const TensorBuffers &params,
                         const TensorBuffers &states, const int32_t *x,
                         const int32_t *y, TensorBuffers &nextStates,
                         TensorBuffers &grads, float *loss,
                         const DropoutCounter &dropout = {}) const;
};

/// A compiled `@forward`: logits for T x B tokens, states carried.
class ForwardStep : public CompiledStep {
public:
  ForwardStep(ModelLayout layout, int64_t arenaBytes, std::string what,
              std::string advice = "");

  /// Runs T*B tokens from `states` (updated in place); `logits` gets
  /// T*B*V values. False, with nothing written, when the arena cannot be had.
  [[nodiscard]] bool run(const TensorBuffers &params, TensorBuffers &states,
                         const int32_t *x, float *logits) const;

private:
  mutable TensorBuffers scratchStates_;
};

} // namespace rnnc::runtime
