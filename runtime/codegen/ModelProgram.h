//===- ModelProgram.h - A model's JIT-compiled functions --------*- C++ -*-===//
///
/// \file
/// The JIT's side of runtime/train/CompiledStep.h: a ModelProgram holds the
/// JIT-compiled `@train_step` or `@forward` of one model, with the layout of
/// its parameters and states read off the IR, so the runtime binds buffers
/// by name and shape rather than by convention.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/IR.h"
#include "runtime/codegen/JIT.h"
#include "runtime/train/CompiledStep.h"

#include <iosfwd>
#include <memory>
#include <string>

namespace rnnc::runtime {

/// Reads the layout off `@forward` or `@train_step`: params, states and the
/// i32[T,B] token input.
Expected<ModelLayout> readLayout(const ir::Function &fn);

/// The JIT-compiled `@train_step`.
class TrainStepProgram : public TrainStep {
public:
  /// `printAfterEach`: as CompiledFunction::compile.
  static Expected<std::unique_ptr<TrainStepProgram>>
  compile(const ir::Module &module, std::ostream *printAfterEach = nullptr);
  const CompiledFunction &function() const { return *fn_; }
  double compileMillis() const { return fn_->compileMillis(); }

private:
  TrainStepProgram(std::unique_ptr<CompiledFunction> fn, ModelLayout layout);
  bool call(void **args, void **results) const override;

  std::unique_ptr<CompiledFunction> fn_;
};

/// The JIT-compiled `@forward`.
class ForwardProgram : public ForwardStep {
public:
  /// `printAfterEach`: as CompiledFunction::compile.
  static Expected<std::unique_ptr<ForwardProgram>>
  compile(const ir::Module &module, std::ostream *printAfterEach = nullptr);
  const CompiledFunction &function() const { return *fn_; }

private:
  ForwardProgram(std::unique_ptr<CompiledFunction> fn, ModelLayout layout);
  bool call(void **args, void **results) const override;

  std::unique_ptr<CompiledFunction> fn_;
};

} // namespace rnnc::runtime
