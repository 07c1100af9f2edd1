//===- Driver.cpp - From model text to compiled programs ------------------===//
///
/// \file
/// Reads as the list of the compiler's steps, in order; each step is one
/// call into the library that owns it.
///
//===----------------------------------------------------------------------===//
#include "runtime/driver/Driver.h"

#include "ir/Printer.h"
#include "passes/Pipeline.h"
#include "runtime/plan/LoweringPlan.h"

#include <iostream>

namespace rnnc::driver {

namespace {

Expected<CheckedModel> checkModel(std::shared_ptr<const SourceBuffer> buffer,
                                  std::ostream &diagnostics) {
  DiagnosticEngine diags(buffer, diagnostics);
  CheckedModel model;
  model.source = buffer;
  model.program = frontend::parseModel(buffer, diags);
  if (!model.program)
    return Error::diagnosed();
  model.defaults = frontend::describeModel(*model.program);
  if (!model.defaults)
    return Error::diagnosed();
  return model;
}

/// Whether the checkpoint holds every parameter of `@forward` with its
/// shape; an Error naming the first that does not.
Expected<void> parametersFit(const ir::Module &module,
                             const runtime::Checkpoint &checkpoint,
                             const std::string &name) {
  const ir::Function *forward = module.function("forward");
  runtime::CheckpointExpectation expected;
  for (unsigned i = 0; i < forward->body().numArguments(); ++i)
    if (forward->argRole(i) == ir::ArgRole::Param) {
      const ir::Value *arg = forward->body().argument(i);
      expected.tensors.push_back({arg->name(), arg->type().shape()});
    }
  return runtime::checkCheckpoint(checkpoint, name, expected);
}

} // namespace

Expected<CheckedModel> checkModelFile(const std::string &path,
                                      std::ostream &diagnostics) {
  auto buffer = frontend::loadSourceFile(path);
  if (!buffer)
    return buffer.error();
  return checkModel(*buffer, diagnostics);
}

Expected<CheckedModel> checkModelText(const std::string &name, std::string text,
                                      std::ostream &diagnostics) {
  return checkModel(std::make_shared<SourceBuffer>(name, std::move(text)),
                    diagnostics);
}

std::vector<std::string> passPipeline(EntryPoint entry) {
  if (entry == EntryPoint::Forward)
    return passes::defaultGeneratePipeline();
  std::vector<std::string> pipeline = {"autodiff"};
  for (std::string &pass : passes::defaultTrainPipeline())
    pipeline.push_back(std::move(pass));
  return pipeline;
}

Expected<CompiledModel> compileModel(const CheckedModel &model,
                                     const frontend::ModelBindings &bindings,
                                     const CompileOptions &options) {
  std::ostream *print = options.printAfterAll;
  DiagnosticEngine diags(model.source,
                         options.diagnostics ? *options.diagnostics : std::cerr);
  CompiledModel compiled;

  // 1. Lower, once, with the bindings.
  compiled.module = frontend::lowerToIR(*model.program, bindings, diags);
  if (!compiled.module)
    return Error::diagnosed();
  if (print) {
    *print << passes::printAfterHeader("lower") << '\n';
    ir::printModule(*compiled.module, *print);
  }
  if (options.checkpoint)
    if (auto fits = parametersFit(*compiled.module, *options.checkpoint,
                                  options.checkpointName);
        !fits)
      return fits.error();

  // 2. The pass pipeline (autodiff first for a train step).
  if (!passes::runPasses(*compiled.module,
                         options.pipeline ? *options.pipeline
                                          : passPipeline(options.entry),
                         diags, print))
    return Error::diagnosed();
  if (options.lastStage == LastStage::Passes)
    return compiled;

  // 3. The entry point's lowering plan, as codegen will make it.
  const char *entryName =
      options.entry == EntryPoint::TrainStep ? "train_step" : "forward";
  if (print) {
    const ir::Function &fn = *compiled.module->function(entryName);
    *print << passes::printAfterHeader(std::string("plan @") + entryName) << '\n';
    runtime::printLoweringPlan(fn, runtime::planLowering(fn), *print);
  }

  // 4. LLVM, O3 and the JIT (printing the module after each).
  if (options.entry == EntryPoint::TrainStep) {
    auto step = runtime::TrainStepProgram::compile(*compiled.module, print);
    if (!step)
      return step.error();
    compiled.trainStep = std::move(*step);
  } else {
    auto forward = runtime::ForwardProgram::compile(*compiled.module, print);
    if (!forward)
      return forward.error();
    compiled.forward = std::move(*forward);
  }
  return compiled;
}

} // namespace rnnc::driver
