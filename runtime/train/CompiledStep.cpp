//===- CompiledStep.cpp - The compiled step training calls ----------------===//
#include "runtime/train/CompiledStep.h"

#include "ir/DropoutMask.h"

#include "runtime/kernels/Kernels.h"

#include <algorithm>

namespace rnnc::runtime {

int64_t TensorSlot::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
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

Expected<void> loadFromCheckpoint(const Checkpoint &checkpoint,
                                  const std::vector<TensorSlot> &slots,
                                  TensorBuffers &buffers) {
  buffers.resize(slots.size());
  for (size_t i = 0; i < slots.size(); ++i) {
    const NamedTensor *t = checkpoint.find(slots[i].name);
    if (!t || t->isF64 || t->shape != slots[i].shape)
      return Error("the checkpoint has no parameter '" + slots[i].name +
                   "' of the model's shape");
    buffers[i] = t->data;
  }
  return {};
}

CompiledStep::CompiledStep(ModelLayout layout, int64_t arenaBytes,
                           std::string what, std::string advice)
    : layout_(std::move(layout)), arenaBytes_(arenaBytes),
      what_(std::move(what)), advice_(std::move(advice)) {}

Expected<void> CompiledStep::reserveArena() const {
  if (rnnc_arena_acquire(arenaBytes_))
    return {};
  return Error(arenaShortfall());
}

std::string CompiledStep::arenaShortfall() const {
  return what_ + " " + describeArenaShortfall(arenaBytes_) + advice_;
}

std::vector<int32_t> dropoutKeyWords(const DropoutCounter &counter, int64_t seqLen) {
  std::vector<int32_t> words;
  words.reserve(static_cast<size_t>(seqLen) * ir::kKeyWords);
  auto bits = [](uint64_t v) { return static_cast<int32_t>(static_cast<uint32_t>(v)); };
  for (int64_t t = 0; t < seqLen; ++t) {
    words.push_back(bits(counter.seed));
    words.push_back(bits(counter.seed >> 32));
    words.push_back(bits(counter.step));
    words.push_back(bits(static_cast<uint64_t>(counter.rowOffset)));
    words.push_back(bits(static_cast<uint64_t>(t)));
  }
  return words;
}

bool TrainStep::run(const TensorBuffers &params, const TensorBuffers &states,
                    const int32_t *x, const int32_t *y,
                    TensorBuffers &nextStates, TensorBuffers &grads,
                    float *loss, const DropoutCounter &dropout) const {
  // Arguments: params, states, x, [dropout key,] y. Results: loss, states,
  // grads.
  std::vector<void *> args, results;
  for (auto &p : params)
    args.push_back(const_cast<float *>(p.data()));
  for (auto &s : states)
    args.push_back(const_cast<float *>(s.data()));
  args.push_back(const_cast<int32_t *>(x));
  std::vector<int32_t> key;
  if (layout().dropoutKey) {
    key = dropoutKeyWords(dropout, layout().seqLen);
    args.push_back(key.data());
  }
  args.push_back(const_cast<int32_t *>(y));
  results.push_back(loss);
  for (auto &s : nextStates)
    results.push_back(s.data());
  for (auto &g : grads)
    results.push_back(g.data());
  return call(args.data(), results.data());
}

ForwardStep::ForwardStep(ModelLayout layout, int64_t arenaBytes,
                         std::string what, std::string advice)
    : CompiledStep(std::move(layout), arenaBytes, std::move(what),
                   std::move(advice)),
      scratchStates_(allocateBuffers(this->layout().states)) {}

bool ForwardStep::run(const TensorBuffers &params, TensorBuffers &states,
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
  if (!call(args.data(), results.data()))
    return false;
  std::swap(states, scratchStates_);
  return true;
}

} // namespace rnnc::runtime
