//===- ModelProgram.cpp - A model's JIT-compiled functions ----------------===//
#include "runtime/codegen/ModelProgram.h"
#include "runtime/kernels/Kernels.h"

#include <algorithm>
#include <limits>

namespace rnnc::runtime {

int64_t TensorSlot::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::optional<ModelLayout> ModelLayout::fromFunction(const ir::Function &fn,
                                                     std::string *error) {
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
      if (type.rank() != 2 || type.elementType() != ir::ElementType::I32) {
        *error = "@" + fn.name() + ": the input must be i32[T,B], not " + type.str();
        return std::nullopt;
      }
      layout.seqLen = type.dim(0);
      layout.batch = type.dim(1);
      haveInput = true;
      break;
    case ir::ArgRole::Label:
      break;
    }
  }
  if (!haveInput) {
    *error = "@" + fn.name() + " has no token input";
    return std::nullopt;
  }
  // The vocabulary size is the last axis of the logits / of the output layer.
  const ir::Operation *ret = fn.body().terminator();
  for (unsigned i = 0; ret && i < fn.resultNames.size(); ++i)
    if (fn.resultNames[i] == "logits")
      layout.vocab = ret->operand(i)->type().dims().back().size;
  return layout;
}

TensorBuffers allocateBuffers(const std::vector<TensorSlot> &slots) {
  TensorBuffers buffers;
  for (const TensorSlot &s : slots)
    buffers.emplace_back(static_cast<size_t>(s.numElements()), 0.0f);
  return buffers;
}

void zeroBuffers(TensorBuffers &buffers) {
  for (auto &b : buffers)
    std::fill(b.begin(), b.end(), 0.0f);
}

bool loadFromCheckpoint(const Checkpoint &checkpoint,
                        const std::vector<TensorSlot> &slots,
                        TensorBuffers &buffers, std::string *error) {
  buffers.resize(slots.size());
  for (size_t i = 0; i < slots.size(); ++i) {
    const NamedTensor *t = checkpoint.find(slots[i].name);
    if (!t || t->isF64 || t->shape != slots[i].shape) {
      *error = "the checkpoint has no parameter '" + slots[i].name +
               "' of the model's shape";
      return false;
    }
    buffers[i] = t->data;
  }
  return true;
}

std::unique_ptr<TrainStepProgram>
TrainStepProgram::compile(const ir::Module &module, std::string *error,
                          std::ostream *printAfterEach) {
  const ir::Function *step = module.function("train_step");
  const ir::Function *forward = module.function("forward");
  if (!step || !forward) {
    *error = "the module has no @train_step (run the autodiff pass first)";
    return nullptr;
  }
  auto program = std::unique_ptr<TrainStepProgram>(new TrainStepProgram());
  auto layout = ModelLayout::fromFunction(*step, error);
  auto forwardLayout = ModelLayout::fromFunction(*forward, error);
  if (!layout || !forwardLayout)
    return nullptr;
  program->layout_ = std::move(*layout);
  program->layout_.vocab = forwardLayout->vocab;
  program->fn_ = CompiledFunction::compile(*step, error, printAfterEach);
  if (!program->fn_)
    return nullptr;
  return program;
}

float TrainStepProgram::run(const TensorBuffers &params,
                            const TensorBuffers &states, const int32_t *x,
                            const int32_t *y, TensorBuffers &nextStates,
                            TensorBuffers &grads) const {
  // Arguments: params, states, x, y. Results: loss, states, grads.
  std::vector<void *> args, results;
  for (auto &p : params)
    args.push_back(const_cast<float *>(p.data()));
  for (auto &s : states)
    args.push_back(const_cast<float *>(s.data()));
  args.push_back(const_cast<int32_t *>(x));
  args.push_back(const_cast<int32_t *>(y));
  float loss = 0;
  results.push_back(&loss);
  for (auto &s : nextStates)
    results.push_back(s.data());
  for (auto &g : grads)
    results.push_back(g.data());
  if (!fn_->run(args.data(), results.data()))
    return std::numeric_limits<float>::quiet_NaN();
  return loss;
}

bool TrainStepProgram::reserveArena(std::string *error) const {
  if (rnnc_arena_acquire(fn_->arenaBytes()))
    return true;
  *error = "the train step " + describeArenaShortfall(fn_->arenaBytes()) +
           "; reduce --batch or --seq-len";
  return false;
}

bool ForwardProgram::reserveArena(std::string *error) const {
  if (rnnc_arena_acquire(fn_->arenaBytes()))
    return true;
  *error = "generating " + describeArenaShortfall(fn_->arenaBytes());
  return false;
}

std::unique_ptr<ForwardProgram>
ForwardProgram::compile(const ir::Module &module, std::string *error,
                          std::ostream *printAfterEach) {
  const ir::Function *forward = module.function("forward");
  if (!forward) {
    *error = "the module has no @forward";
    return nullptr;
  }
  auto program = std::unique_ptr<ForwardProgram>(new ForwardProgram());
  auto layout = ModelLayout::fromFunction(*forward, error);
  if (!layout)
    return nullptr;
  program->layout_ = std::move(*layout);
  program->scratchStates_ = allocateBuffers(program->layout_.states);
  program->fn_ = CompiledFunction::compile(*forward, error, printAfterEach);
  if (!program->fn_)
    return nullptr;
  return program;
}

bool ForwardProgram::run(const TensorBuffers &params, TensorBuffers &states,
                         const int32_t *x, float *logits) const {
  // Arguments: params, states, x. Results: logits, states.
  std::vector<void *> args, results;
  for (auto &p : params)
    args.push_back(const_cast<float *>(p.data()));
  for (auto &s : states)
    args.push_back(s.data());
  args.push_back(const_cast<int32_t *>(x));
  results.push_back(logits);
  for (auto &s : scratchStates_)
    results.push_back(s.data());
  if (!fn_->run(args.data(), results.data()))
    return false;
  std::swap(states, scratchStates_);
  return true;
}

} // namespace rnnc::runtime
