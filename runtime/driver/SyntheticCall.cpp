//===- SyntheticCall.cpp - Seeded arguments and a compiled call's buffers ------===//
///
/// \file
/// See SyntheticCall.h. One generator (std::mt19937) for every program that
/// runs a function on made-up data.
///
//===----------------------------------------------------------------------===//
#include "runtime/driver/SyntheticCall.h"

#include <algorithm>
#include <cstring>
#include <random>

namespace rnnc::driver {

std::vector<ir::Tensor> syntheticArguments(const ir::Function &fn, int64_t tokens,
                                           uint64_t seed, double lo, double hi) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> real(lo, hi);
  std::uniform_int_distribution<int64_t> token(0, std::max<int64_t>(tokens, 1) - 1);
  std::vector<ir::Tensor> args;
  for (const auto &arg : fn.body().arguments()) {
    ir::Tensor t = ir::Tensor::filled(arg->type().shape());
    bool isInt = arg->type().elementType() == ir::ElementType::I32;
    for (double &v : t.data)
      v = isInt ? static_cast<double>(token(rng)) : static_cast<float>(real(rng));
    args.push_back(std::move(t));
  }
  return args;
}

static std::vector<uint32_t> toWords(const ir::TensorType &type, const ir::Tensor *src) {
  std::vector<uint32_t> words(static_cast<size_t>(type.numElements()), 0);
  for (size_t i = 0; src && i < words.size(); ++i) {
    if (type.elementType() == ir::ElementType::I32) {
      int32_t v = static_cast<int32_t>(src->data[i]);
      std::memcpy(&words[i], &v, 4);
    } else {
      float v = static_cast<float>(src->data[i]);
      std::memcpy(&words[i], &v, 4);
    }
  }
  return words;
}

SyntheticCall::SyntheticCall(const ir::Function &fn,
                             const std::vector<ir::Tensor> &values) {
  for (size_t i = 0; i < fn.body().numArguments(); ++i)
    args.push_back(toWords(fn.body().argument(i)->type(),
                           i < values.size() ? &values[i] : nullptr));
  for (const ir::Value *v : fn.body().terminator()->operands())
    results.push_back(toWords(v->type(), nullptr));
  for (auto &a : args)
    argPtrs.push_back(a.data());
  for (auto &r : results)
    resultPtrs.push_back(r.data());
}

void SyntheticCall::fillResults(uint32_t word) {
  for (auto &r : results)
    std::fill(r.begin(), r.end(), word);
}

float SyntheticCall::firstResult() const {
  float value;
  std::memcpy(&value, results.at(0).data(), 4);
  return value;
}

std::vector<ir::Tensor> SyntheticCall::resultTensors(const ir::Function &fn) const {
  const ir::Operation *ret = fn.body().terminator();
  std::vector<ir::Tensor> out;
  for (size_t r = 0; r < results.size(); ++r) {
    const ir::TensorType &t = ret->operand(r)->type();
    ir::Tensor tensor = ir::Tensor::filled(t.shape());
    for (size_t i = 0; i < tensor.data.size(); ++i) {
      if (t.elementType() == ir::ElementType::I32) {
        int32_t v;
        std::memcpy(&v, &results[r][i], 4);
        tensor.data[i] = v;
      } else {
        float v;
        std::memcpy(&v, &results[r][i], 4);
        tensor.data[i] = v;
      }
    }
    out.push_back(std::move(tensor));
  }
  return out;
}

} // namespace rnnc::driver
