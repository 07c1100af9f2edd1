//===- ModelLoading.cpp - From a model file to compiled programs ----------===//
#include "runtime/driver/ModelLoading.h"

#include "passes/Autodiff.h"
#include "passes/Pipeline.h"

#include <iostream>

namespace rnnc::tool {

static std::unique_ptr<LoadedModel>
checkModel(std::shared_ptr<const SourceBuffer> buffer) {
  auto model = std::make_unique<LoadedModel>();
  model->source = buffer;
  DiagnosticEngine diags(buffer, std::cerr);
  model->program = frontend::parseModel(buffer, diags);
  if (!model->program)
    return nullptr;
  model->defaults = frontend::describeModel(*model->program);
  if (!model->defaults)
    return nullptr;
  return model;
}

std::unique_ptr<LoadedModel> loadModelFile(const std::string &path) {
  std::string error;
  auto buffer = frontend::loadSourceFile(path, &error);
  if (!buffer) {
    std::cerr << "rnnc: error: " << error << '\n';
    return nullptr;
  }
  return checkModel(buffer);
}

std::unique_ptr<LoadedModel> loadModelText(const std::string &name,
                                           const std::string &text) {
  return checkModel(std::make_shared<SourceBuffer>(name, text));
}

std::unique_ptr<ir::Module> lowerModel(const LoadedModel &model,
                                       const frontend::ModelBindings &bindings,
                                       bool trainStep) {
  DiagnosticEngine diags(model.source, std::cerr);
  auto module = frontend::lowerToIR(*model.program, bindings, diags);
  if (!module)
    return nullptr;
  std::string error;
  if (trainStep && !passes::buildTrainStep(*module, &error)) {
    std::cerr << "rnnc: error: autodiff: " << error << '\n';
    return nullptr;
  }
  if (!passes::runPasses(*module,
                         trainStep ? passes::defaultTrainPipeline()
                                   : passes::defaultGeneratePipeline(),
                         diags, nullptr))
    return nullptr;
  return module;
}

bool checkParameterShapes(const LoadedModel &model, int64_t vocab,
                          const runtime::Checkpoint &checkpoint,
                          const std::string &name) {
  auto module = lowerModel(model, {vocab, 1, 1}, false);
  if (!module)
    return false;
  const ir::Function *forward = module->function("forward");
  if (!forward)
    return true; // compileGenerateStep reports it
  runtime::CheckpointExpectation expected;
  for (unsigned i = 0; i < forward->body().numArguments(); ++i)
    if (forward->argRole(i) == ir::ArgRole::Param) {
      const ir::Value *arg = forward->body().argument(i);
      expected.tensors.push_back({arg->name(), arg->type().shape()});
    }
  std::string error;
  if (runtime::checkCheckpoint(checkpoint, name, expected, &error))
    return true;
  std::cerr << "rnnc: error: " << error << '\n';
  return false;
}

std::unique_ptr<runtime::TrainStepProgram>
compileTrainStep(const LoadedModel &model, int64_t vocab, int64_t batch,
                 int64_t seqLen) {
  auto module = lowerModel(model, {vocab, batch, seqLen}, true);
  if (!module)
    return nullptr;
  std::string error;
  auto program = runtime::TrainStepProgram::compile(*module, &error);
  if (!program)
    std::cerr << "rnnc: error: " << error << '\n';
  return program;
}

std::unique_ptr<runtime::ForwardProgram>
compileGenerateStep(const LoadedModel &model, int64_t vocab) {
  auto module = lowerModel(model, {vocab, 1, 1}, false);
  if (!module)
    return nullptr;
  std::string error;
  auto program = runtime::ForwardProgram::compile(*module, &error);
  if (!program)
    std::cerr << "rnnc: error: " << error << '\n';
  return program;
}

} // namespace rnnc::tool
