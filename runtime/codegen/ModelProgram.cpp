//===- ModelProgram.cpp - A model's JIT-compiled functions ----------------===//
#include "runtime/codegen/ModelProgram.h"

namespace rnnc::runtime {

Expected<ModelLayout> readLayout(const ir::Function &fn) {
  ModelLayout layout;
  bool haveInput = false;
  for (unsigned i = 0; i < fn.body().numArguments(); ++i) {
    const ir::Value *arg = fn.body().argument(i);
    const ir::TensorType &type = arg->type();
    switch (fn.argRole(i)) {
    case ir::ArgRole::Param:
      layout.params.push_back({arg->name(), type.shape()});
      break;
    case ir::ArgRole::State:
      layout.states.push_back({arg->name(), type.shape()});
      break;
    case ir::ArgRole::Input:
      if (type.rank() != 2 || type.elementType() != ir::ElementType::I32)
        return Error("@" + fn.name() + ": the input must be i32[T,B], not " +
                     type.str());
      layout.seqLen = type.dim(0);
      layout.batch = type.dim(1);
      haveInput = true;
      break;
    case ir::ArgRole::Label:
      break;
    }
  }
  if (!haveInput)
    return Error("@" + fn.name() + " has no token input");
  // The vocabulary size is the last axis of the logits / of the output layer.
  const ir::Operation *ret = fn.body().terminator();
  for (unsigned i = 0; ret && i < fn.resultNames.size(); ++i)
    if (fn.resultNames[i] == "logits")
      layout.vocab = ret->operand(i)->type().dims().back().size;
  return layout;
}

TrainStepProgram::TrainStepProgram(std::unique_ptr<CompiledFunction> fn,
                                   ModelLayout layout)
    : TrainStep(std::move(layout), fn->arenaBytes(), "the train step",
                "; reduce --batch or --seq-len"),
      fn_(std::move(fn)) {}

Expected<std::unique_ptr<TrainStepProgram>>
TrainStepProgram::compile(const ir::Module &module,
                          std::ostream *printAfterEach) {
  const ir::Function *step = module.function("train_step");
  const ir::Function *forward = module.function("forward");
  if (!step || !forward)
    return Error("the module has no @train_step (run the autodiff pass first)");
  auto layout = readLayout(*step);
  if (!layout)
    return layout.error();
  auto forwardLayout = readLayout(*forward);
  if (!forwardLayout)
    return forwardLayout.error();
  layout->vocab = forwardLayout->vocab;
  auto fn = CompiledFunction::compile(*step, printAfterEach);
  if (!fn)
    return fn.error();
  return std::unique_ptr<TrainStepProgram>(
      new TrainStepProgram(std::move(*fn), std::move(*layout)));
}

bool TrainStepProgram::call(void **args, void **results) const {
  return fn_->run(args, results);
}

ForwardProgram::ForwardProgram(std::unique_ptr<CompiledFunction> fn,
                               ModelLayout layout)
    : ForwardStep(std::move(layout), fn->arenaBytes(), "generating"),
      fn_(std::move(fn)) {}

Expected<std::unique_ptr<ForwardProgram>>
ForwardProgram::compile(const ir::Module &module, std::ostream *printAfterEach) {
  const ir::Function *forward = module.function("forward");
  if (!forward)
    return Error("the module has no @forward");
  auto layout = readLayout(*forward);
  if (!layout)
    return layout.error();
  auto fn = CompiledFunction::compile(*forward, printAfterEach);
  if (!fn)
    return fn.error();
  return std::unique_ptr<ForwardProgram>(
      new ForwardProgram(std::move(*fn), std::move(*layout)));
}

bool ForwardProgram::call(void **args, void **results) const {
  return fn_->run(args, results);
}

} // namespace rnnc::runtime
