//===- RandomCall.h - A compiled function's buffers, on made-up data -*- C++ -*-===//
///
/// \file
/// The buffers to call a JIT-compiled function with, for programs that run
/// one on made-up data (bench/jit_train_step, test/alloc): every f32
/// argument drawn from N(0, stddev), every i32 argument a token id in
/// [0, vocab), one buffer per result, and the pointer arrays
/// CompiledFunction::run takes. Allocated once, here.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/IR.h"
#include "runtime/codegen/JIT.h"

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

namespace rnnc::support {

struct RandomCall {
  std::vector<std::vector<uint32_t>> args, results;
  std::vector<void *> argPtrs, resultPtrs;

  RandomCall(const ir::Function &fn, uint32_t seed, float stddev, int64_t vocab) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, stddev);
    std::uniform_int_distribution<int32_t> token(0, static_cast<int32_t>(vocab - 1));
    for (const auto &arg : fn.body().arguments()) {
      std::vector<uint32_t> words(static_cast<size_t>(arg->type().numElements()));
      for (uint32_t &w : words) {
        if (arg->type().elementType() == ir::ElementType::I32) {
          int32_t v = token(rng);
          std::memcpy(&w, &v, 4);
        } else {
          float v = normal(rng);
          std::memcpy(&w, &v, 4);
        }
      }
      args.push_back(std::move(words));
    }
    for (const ir::Value *v : fn.body().terminator()->operands())
      results.emplace_back(static_cast<size_t>(v->type().numElements()));
    for (auto &a : args)
      argPtrs.push_back(a.data());
    for (auto &r : results)
      resultPtrs.push_back(r.data());
  }

  bool run(const runtime::CompiledFunction &fn) const {
    return fn.run(argPtrs.data(), resultPtrs.data());
  }
  /// Result 0 (a train step's loss) as a float.
  float firstResult() const {
    float value;
    std::memcpy(&value, results.at(0).data(), 4);
    return value;
  }
};

} // namespace rnnc::support
