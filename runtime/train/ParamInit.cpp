//===- ParamInit.cpp - Filling parameters from their initialisers ---------===//
///
/// \file
/// See ParamInit.h.
///
//===----------------------------------------------------------------------===//
#include "runtime/train/ParamInit.h"

#include <cmath>
#include <fmt/format.h>

namespace rnnc::runtime {

double xavierUniformBound(const std::vector<int64_t> &shape) {
  double fanIn = 1, fanOut = 1;
  if (shape.size() == 1) {
    fanIn = fanOut = static_cast<double>(shape[0]);
  } else if (shape.size() >= 2) {
    fanOut = static_cast<double>(shape.back());
    for (size_t i = 0; i + 1 < shape.size(); ++i)
      fanIn *= static_cast<double>(shape[i]);
  }
  return std::sqrt(6.0 / (fanIn + fanOut));
}

bool initializeParam(FloatSpan values, const std::vector<int64_t> &shape,
                     const ir::ParamInit &init, Rng &rng, std::string *error) {
  auto fail = [&](const std::string &message) {
    if (error)
      *error = message;
    return false;
  };
  size_t expected = 1;
  for (int64_t d : shape)
    expected *= static_cast<size_t>(d);
  if (expected != values.size)
    return fail(fmt::format("parameter buffer has {} elements; its shape needs {}",
                            values.size, expected));
  if (init.kind == "zeros" || init.kind == "ones") {
    float value = init.kind == "ones" ? 1.0f : 0.0f;
    for (size_t i = 0; i < values.size; ++i)
      values.data[i] = value;
  } else if (init.kind == "normal") {
    if (!(init.b >= 0))
      return fail(fmt::format("normal initialiser needs std >= 0, got {}", init.b));
    for (size_t i = 0; i < values.size; ++i)
      values.data[i] = static_cast<float>(rng.normal(init.a, init.b));
  } else if (init.kind == "uniform") {
    if (!(init.b >= init.a))
      return fail(fmt::format("uniform initialiser needs lo <= hi, got ({}, {})",
                              init.a, init.b));
    for (size_t i = 0; i < values.size; ++i)
      values.data[i] = static_cast<float>(rng.uniform(init.a, init.b));
  } else if (init.kind == "xavier") {
    double bound = xavierUniformBound(shape);
    for (size_t i = 0; i < values.size; ++i)
      values.data[i] = static_cast<float>(rng.uniform(-bound, bound));
  } else {
    return fail(fmt::format("unknown initialiser '{}'", init.kind));
  }
  return true;
}

} // namespace rnnc::runtime
