//===- Optimizer.cpp - Gradient clipping, SGD and Adam --------------------===//
///
/// \file
/// Plain loops over float buffers; see Optimizer.h for the formulas.
///
//===----------------------------------------------------------------------===//
#include "runtime/train/Optimizer.h"
#include "runtime/kernels/KernelsParallel.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <fmt/format.h>

namespace rnnc::runtime {

namespace {

/// Sum of squares in double with eight independent partial sums: a single
/// running sum is one long dependency chain the compiler may not reorder,
/// and it made the norm slower than the whole SGD update.
double sumOfSquares(const float *data, size_t size) {
  constexpr size_t kLanes = 8;
  double lanes[kLanes] = {};
  size_t i = 0;
  for (; i + kLanes <= size; i += kLanes)
    for (size_t j = 0; j < kLanes; ++j)
      lanes[j] += static_cast<double>(data[i + j]) * data[i + j];
  double sum = 0;
  for (; i < size; ++i)
    sum += static_cast<double>(data[i]) * data[i];
  for (double lane : lanes)
    sum += lane;
  return sum;
}

} // namespace

namespace {

/// Memory-bound loops count as this many flops per element when deciding
/// whether splitting them across the kernel threads pays.
constexpr double kWorkPerElement = 8;

/// Runs body(i0, i1) over [0, size) on the kernel threads (elementwise
/// updates: the same bits for any split).
void forEachChunk(size_t size, FunctionRef<void(size_t, size_t)> body) {
  parallelChunks(static_cast<int64_t>(size), kWorkPerElement * static_cast<double>(size),
                 [&](int64_t i0, int64_t i1) {
                   body(static_cast<size_t>(i0), static_cast<size_t>(i1));
                 });
}

} // namespace

double globalL2Norm(const std::vector<ConstFloatSpan> &grads) {
  // Fixed blocks whose partial sums add up in block order: the norm has the
  // same bits for any thread count.
  constexpr size_t kBlock = size_t{1} << 14;
  struct Block {
    const float *data;
    size_t size;
  };
  // Cached per calling thread; the workers reach them through these
  // references (a thread_local named in the lambda would be the worker's).
  thread_local std::vector<Block> cachedBlocks;
  thread_local std::vector<double> cachedPartial;
  std::vector<Block> &blocks = cachedBlocks;
  std::vector<double> &partial = cachedPartial;
  blocks.clear();
  size_t elements = 0;
  for (const ConstFloatSpan &g : grads) {
    for (size_t i = 0; i < g.size; i += kBlock)
      blocks.push_back({g.data + i, std::min(kBlock, g.size - i)});
    elements += g.size;
  }
  partial.assign(blocks.size(), 0.0);
  parallelChunks(static_cast<int64_t>(blocks.size()),
                 kWorkPerElement * static_cast<double>(elements),
                 [&](int64_t b0, int64_t b1) {
                   for (int64_t b = b0; b < b1; ++b)
                     partial[static_cast<size_t>(b)] =
                         sumOfSquares(blocks[static_cast<size_t>(b)].data,
                                      blocks[static_cast<size_t>(b)].size);
                 });
  double sum = 0;
  for (double p : partial)
    sum += p;
  return std::sqrt(sum);
}

double clipByGlobalNorm(const std::vector<FloatSpan> &grads, double theta) {
  std::vector<ConstFloatSpan> views(grads.begin(), grads.end());
  double norm = globalL2Norm(views);
  if (theta > 0 && norm > theta) {
    float scale = static_cast<float>(theta / norm);
    for (const FloatSpan &g : grads)
      forEachChunk(g.size, [&](size_t i0, size_t i1) {
        for (size_t i = i0; i < i1; ++i)
          g.data[i] *= scale;
      });
  }
  return norm;
}

Expected<void> Optimizer::checkShapes(const std::vector<FloatSpan> &params,
                                      const std::vector<ConstFloatSpan> &grads) const {
  if (params.size() != grads.size())
    return Error(fmt::format("optimizer got {} parameters but {} gradients",
                             params.size(), grads.size()));
  for (size_t i = 0; i < params.size(); ++i)
    if (params[i].size != grads[i].size)
      return Error(fmt::format("parameter {} has {} elements but its gradient {}",
                               i, params[i].size, grads[i].size));
  return {};
}

Expected<void> SgdOptimizer::step(const std::vector<FloatSpan> &params,
                                  const std::vector<ConstFloatSpan> &grads,
                                  float gradScale) {
  if (Expected<void> shapes = checkShapes(params, grads); !shapes)
    return shapes;
  float lr = static_cast<float>(lr_);
  for (size_t p = 0; p < params.size(); ++p) {
    float *param = params[p].data;
    const float *grad = grads[p].data;
    forEachChunk(params[p].size, [&](size_t i0, size_t i1) {
      for (size_t i = i0; i < i1; ++i)
        param[i] -= lr * (grad[i] * gradScale);
    });
  }
  ++steps_;
  return {};
}

Expected<void> AdamOptimizer::step(const std::vector<FloatSpan> &params,
                                   const std::vector<ConstFloatSpan> &grads,
                                   float gradScale) {
  if (Expected<void> shapes = checkShapes(params, grads); !shapes)
    return shapes;
  if (m_.empty()) {
    for (const FloatSpan &p : params) {
      m_.emplace_back(p.size, 0.0);
      v_.emplace_back(p.size, 0.0);
    }
  } else {
    bool sameLayout = m_.size() == params.size();
    for (size_t p = 0; sameLayout && p < params.size(); ++p)
      sameLayout = m_[p].size() == params[p].size;
    if (!sameLayout)
      return Error("adam: the parameter list changed between steps");
  }
  ++steps_;
  double t = static_cast<double>(steps_);
  double correction1 = 1.0 - std::pow(beta1_, t);
  double correction2 = 1.0 - std::pow(beta2_, t);
  for (size_t p = 0; p < params.size(); ++p) {
    double *m = m_[p].data();
    double *v = v_[p].data();
    float *param = params[p].data;
    const float *grad = grads[p].data;
    forEachChunk(params[p].size, [&](size_t i0, size_t i1) {
      for (size_t i = i0; i < i1; ++i) {
        double g = grad[i] * gradScale;
        m[i] = beta1_ * m[i] + (1.0 - beta1_) * g;
        v[i] = beta2_ * v[i] + (1.0 - beta2_) * g * g;
        double mHat = m[i] / correction1;
        double vHat = v[i] / correction2;
        param[i] -= static_cast<float>(lr_ * mHat / (std::sqrt(vHat) + eps_));
      }
    });
  }
  return {};
}

Expected<void> AdamOptimizer::restoreState(long long steps,
                                           std::vector<std::vector<double>> m,
                                           std::vector<std::vector<double>> v) {
  bool consistent = steps >= 0 && m.size() == v.size();
  for (size_t p = 0; consistent && p < m.size(); ++p)
    consistent = m[p].size() == v[p].size();
  if (!consistent)
    return Error("adam: saved moments do not match each other");
  steps_ = steps;
  m_ = std::move(m);
  v_ = std::move(v);
  return {};
}

Expected<double> clipAndUpdate(float loss, std::vector<std::vector<float>> &params,
                               std::vector<std::vector<float>> &grads,
                               double clip, Optimizer &optimizer) {
  if (!std::isfinite(loss))
    return std::numeric_limits<double>::quiet_NaN(); // nothing updated
  std::vector<FloatSpan> paramSpans;
  std::vector<ConstFloatSpan> gradConst;
  for (size_t i = 0; i < params.size(); ++i)
    paramSpans.emplace_back(params[i]);
  for (const auto &g : grads)
    gradConst.emplace_back(g);
  // The norm doubles as the finiteness check: a sum of squares of finite
  // floats in double cannot overflow, and a NaN or infinity carries through.
  double norm = globalL2Norm(gradConst);
  if (!std::isfinite(norm))
    return norm; // nothing updated
  // Clipping scales the gradients as the update reads them: one pass.
  float scale = clip > 0 && norm > clip ? static_cast<float>(clip / norm) : 1.0f;
  if (Expected<void> stepped = optimizer.step(paramSpans, gradConst, scale);
      !stepped)
    return stepped.error();
  return norm;
}

Expected<std::unique_ptr<Optimizer>> makeOptimizer(const OptimizerConfig &config) {
  if (!(config.lr > 0) || !std::isfinite(config.lr))
    return Error(fmt::format("learning rate must be positive, got {}", config.lr));
  if (config.kind == "sgd")
    return std::unique_ptr<Optimizer>(std::make_unique<SgdOptimizer>(config.lr));
  if (config.kind == "adam") {
    if (!(config.beta1 >= 0 && config.beta1 < 1))
      return Error(fmt::format("adam beta1 must be in [0, 1), got {}", config.beta1));
    if (!(config.beta2 >= 0 && config.beta2 < 1))
      return Error(fmt::format("adam beta2 must be in [0, 1), got {}", config.beta2));
    if (!(config.eps >= 0))
      return Error(fmt::format("adam eps must be non-negative, got {}", config.eps));
    return std::unique_ptr<Optimizer>(std::make_unique<AdamOptimizer>(
        config.lr, config.beta1, config.beta2, config.eps));
  }
  return Error(fmt::format("unknown optimizer '{}' (expected sgd or adam)",
                           config.kind));
}

} // namespace rnnc::runtime
