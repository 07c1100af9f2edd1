//===- ModelProgram.h - A model's JIT-compiled functions --------*- C++ -*-===//
///
/// \file
/// The bridge between the compiler and the training loop. A ModelProgram
/// holds the JIT-compiled `@train_step` (forward + loss + backward over a
/// T x B minibatch) or `@forward` (inference, usually B = T = 1) of one model,
/// and the layout of its parameters and states read off the IR, so the
/// runtime binds buffers by name and shape rather than by convention.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/IR.h"
#include "runtime/data/Checkpoint.h"
#include "runtime/codegen/JIT.h"

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rnnc::runtime {

/// One named tensor the program reads or writes.
struct TensorSlot {
  std::string name;
  std::vector<int64_t> shape;
  int64_t numElements() const;
};

/// Parameters and states of a model as a function's arguments list them.
struct ModelLayout {
  std::vector<TensorSlot> params;
  std::vector<TensorSlot> states; ///< shape [B, ...]
  int64_t vocab = 0, batch = 0, seqLen = 0;

  /// Reads the layout off `@forward` or `@train_step`: params, states and the
  /// i32[T,B] token input.
  static std::optional<ModelLayout> fromFunction(const ir::Function &fn,
                                                 std::string *error);
};

/// Plain float buffers for every parameter (and per-state buffers).
using TensorBuffers = std::vector<std::vector<float>>;
TensorBuffers allocateBuffers(const std::vector<TensorSlot> &slots);
void zeroBuffers(TensorBuffers &buffers);

/// Copies every slot's tensor from `checkpoint` into `buffers` (parallel to
/// `slots`). False with `*error` if one is missing or has another shape.
bool loadFromCheckpoint(const Checkpoint &checkpoint,
                        const std::vector<TensorSlot> &slots,
                        TensorBuffers &buffers, std::string *error);

/// The JIT-compiled `@train_step`: loss, next states and gradients.
class TrainStepProgram {
public:
  /// `printAfterEach`: as CompiledFunction::compile.
  static std::unique_ptr<TrainStepProgram> compile(const ir::Module &module,
                                        std::string *error,
                                        std::ostream *printAfterEach = nullptr);
  const CompiledFunction &function() const { return *fn_; }
  const ModelLayout &layout() const { return layout_; }
  double compileMillis() const { return fn_->compileMillis(); }

  /// Whether this thread can have the step's working memory (arena); false
  /// with `*error` = "the train step needs 40.1 GB of working memory
  /// (arena), ...; reduce --batch or --seq-len" otherwise. Call it before
  /// training: once had, the arena is kept for every later step.
  bool reserveArena(std::string *error) const;

  /// One step on a time-major minibatch (x, y: T*B ids). Reads `params` and
  /// `states`; writes the final states into `nextStates` and the gradients
  /// into `grads` (same layout as params). Returns the mean loss, or NaN
  /// with nothing written when the arena cannot be had (reserveArena says
  /// why).
  float run(const TensorBuffers &params, const TensorBuffers &states,
            const int32_t *x, const int32_t *y, TensorBuffers &nextStates,
            TensorBuffers &grads) const;

private:
  std::unique_ptr<CompiledFunction> fn_;
  ModelLayout layout_;
};

/// The JIT-compiled `@forward`: logits for T x B tokens, states carried.
class ForwardProgram {
public:
  /// `printAfterEach`: as CompiledFunction::compile.
  static std::unique_ptr<ForwardProgram> compile(const ir::Module &module,
                                        std::string *error,
                                        std::ostream *printAfterEach = nullptr);
  const CompiledFunction &function() const { return *fn_; }
  const ModelLayout &layout() const { return layout_; }

  /// Whether this thread can have the program's working memory (arena);
  /// false with `*error` = "generating needs ... of working memory" if not.
  bool reserveArena(std::string *error) const;

  /// Runs T*B tokens from `states` (updated in place); `logits` gets
  /// T*B*V values. False, with nothing written, when the arena cannot be had.
  [[nodiscard]] bool run(const TensorBuffers &params, TensorBuffers &states,
           const int32_t *x, float *logits) const;

private:
  std::unique_ptr<CompiledFunction> fn_;
  ModelLayout layout_;
  mutable TensorBuffers scratchStates_;
};

} // namespace rnnc::runtime
