//===- Driver.h - From model text to compiled programs ----------*- C++ -*-===//
///
/// \file
/// The compiler's table of contents. Every user of the compiler — the
/// `rnnc` subcommands, the tests, the bench, the ahead-of-time compiler —
/// goes through these two steps, so all compile a model alike:
///
///   checkModel*   parse -> sema (no size bound yet)
///   compileModel  lower (once, with the bindings) -> the named pass
///                 pipeline (autodiff is its first pass for a train step)
///                 -> lowering plan -> LLVM -> O3 -> JIT
///
/// Errors with a location in the model are written to the diagnostics
/// stream as they are found and returned as Error::diagnosed(); any other
/// failure is returned as an Error with its message.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "frontend/Frontend.h"
#include "ir/Error.h"
#include "ir/IR.h"
#include "runtime/codegen/ModelProgram.h"
#include "runtime/data/Checkpoint.h"

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rnnc::driver {

/// A model parsed and checked, before any size is bound.
struct CheckedModel {
  std::shared_ptr<const SourceBuffer> source;
  std::unique_ptr<frontend::ast::Program> program;
  /// The model's name, train block and parameter initialisers (a module
  /// with no function).
  std::unique_ptr<ir::Module> defaults;
};

/// Reads `path` and checks it.
Expected<CheckedModel> checkModelFile(const std::string &path,
                                      std::ostream &diagnostics);
/// Checks model text named `name` in messages (e.g. the source kept in a
/// checkpoint).
Expected<CheckedModel> checkModelText(const std::string &name, std::string text,
                                      std::ostream &diagnostics);

/// The function a compilation is for; it picks the pass pipeline.
enum class EntryPoint {
  Forward,   ///< `@forward` as lowered (generation: no pass runs)
  TrainStep, ///< `@train_step`: autodiff, then the optimising passes
};

/// The last step compileModel runs.
enum class LastStage {
  Passes, ///< stop with the IR after the pipeline (emit, AOT, stats)
  JIT,    ///< plan, LLVM, O3 and link the entry point
};

struct CompileOptions {
  EntryPoint entry = EntryPoint::TrainStep;
  LastStage lastStage = LastStage::JIT;
  /// The passes to run instead of passPipeline(entry) (tests that check a
  /// prefix of the pipeline, or autodiff alone as a reference).
  std::optional<std::vector<std::string>> pipeline;
  /// Where located errors go.
  std::ostream *diagnostics = nullptr; ///< null: std::cerr
  /// `--print-after-all`: the IR after lowering and after every pass, then
  /// (with LastStage::JIT) the entry point's lowering plan and its LLVM
  /// module after codegen and after O3 (the module that runs).
  std::ostream *printAfterAll = nullptr;
  /// A checkpoint whose parameters the model must take (same names and
  /// shapes), checked right after lowering, before anything is compiled or
  /// allocated: an edited (and re-hashed) model source with huge sizes is
  /// refused from the tensor shapes. Named `checkpointName` in messages.
  const runtime::Checkpoint *checkpoint = nullptr;
  std::string checkpointName;
};

/// The passes compileModel runs for `entry`, in order.
std::vector<std::string> passPipeline(EntryPoint entry);

struct CompiledModel {
  /// The IR after the pipeline: `@forward`, and `@train_step` for a train
  /// step.
  std::unique_ptr<ir::Module> module;
  /// With LastStage::JIT, the compiled entry point (the other is null).
  std::unique_ptr<runtime::TrainStepProgram> trainStep;
  std::unique_ptr<runtime::ForwardProgram> forward;
};

/// Lowers `model` once with `bindings` and compiles it as `options` say.
Expected<CompiledModel> compileModel(const CheckedModel &model,
                                     const frontend::ModelBindings &bindings,
                                     const CompileOptions &options = {});

} // namespace rnnc::driver
