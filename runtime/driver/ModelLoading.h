//===- ModelLoading.h - From a model file to compiled programs --*- C++ -*-===//
///
/// \file
/// The steps every training-related subcommand shares: read and check a model
/// (from a file or from the source kept in a checkpoint), lower it with
/// concrete bindings, differentiate it, and JIT-compile the train step and a
/// one-character forward step. Diagnostics go to stderr; a null result means
/// the error was already reported.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "frontend/Frontend.h"
#include "ir/IR.h"
#include "runtime/codegen/ModelProgram.h"

#include <memory>
#include <string>

namespace rnnc::tool {

struct LoadedModel {
  std::shared_ptr<const SourceBuffer> source;
  std::unique_ptr<frontend::ast::Program> program;
  /// Sema's defaults before any binding (train config, parameter
  /// initialisers, model name); no function.
  std::unique_ptr<ir::Module> defaults;
};

/// Reads `path` and checks it. Errors are printed.
std::unique_ptr<LoadedModel> loadModelFile(const std::string &path);
/// Checks model source kept in a checkpoint (named `name` in messages).
std::unique_ptr<LoadedModel> loadModelText(const std::string &name,
                                           const std::string &text);

/// Lowers with the bindings; with `trainStep`, also runs autodiff and the
/// default optimisation pipeline (passes/Pipeline.h).
std::unique_ptr<ir::Module> lowerModel(const LoadedModel &model,
                                       const frontend::ModelBindings &bindings,
                                       bool trainStep);

/// Checks that `checkpoint` holds every parameter of the model lowered with
/// `vocab`, with the same shape, before anything is compiled or allocated:
/// an edited (and re-hashed) model source with huge sizes is refused from
/// the tensor shapes. Errors are printed, naming the checkpoint `name`.
bool checkParameterShapes(const LoadedModel &model, int64_t vocab,
                          const runtime::Checkpoint &checkpoint,
                          const std::string &name);

/// The JIT-compiled train step and B = T = 1 forward step.
std::unique_ptr<runtime::TrainStepProgram>
compileTrainStep(const LoadedModel &model, int64_t vocab, int64_t batch,
                 int64_t seqLen);
std::unique_ptr<runtime::ForwardProgram>
compileGenerateStep(const LoadedModel &model, int64_t vocab);

} // namespace rnnc::tool
