//===- Optimizer.h - Gradient clipping, SGD and Adam ------------*- C++ -*-===//
///
/// \file
/// The update half of a training step over plain float buffers (the JIT-ed
/// train step hands out raw pointers into its arena):
///  - clipping by global L2 norm: if ||g|| over all gradients exceeds theta,
///    every gradient is scaled by theta/||g|| (d2l `grad_clipping`);
///  - SGD, p -= lr * g (d2l `sgd` without its division by batch size: the
///    loss is already a mean);
///  - Adam (Kingma & Ba, as torch.optim.Adam): bias-corrected first and second
///    moments kept per parameter.
/// Norms and Adam's moments are accumulated in double.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Error.h"

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rnnc::runtime {

/// A view of a float buffer owned elsewhere.
struct FloatSpan {
  float *data = nullptr;
  size_t size = 0;
  FloatSpan() = default;
  FloatSpan(float *data, size_t size) : data(data), size(size) {}
  FloatSpan(std::vector<float> &v) : data(v.data()), size(v.size()) {}
};

/// A read-only view of a float buffer owned elsewhere.
struct ConstFloatSpan {
  const float *data = nullptr;
  size_t size = 0;
  ConstFloatSpan() = default;
  ConstFloatSpan(const float *data, size_t size) : data(data), size(size) {}
  ConstFloatSpan(const std::vector<float> &v) : data(v.data()), size(v.size()) {}
  ConstFloatSpan(FloatSpan s) : data(s.data), size(s.size) {}
};

/// sqrt(sum of g^2) over every element of every buffer.
double globalL2Norm(const std::vector<ConstFloatSpan> &grads);

/// Scales all gradients by theta/norm when their global norm exceeds theta
/// (theta <= 0 disables clipping). Returns the norm before clipping.
double clipByGlobalNorm(const std::vector<FloatSpan> &grads, double theta);

/// Hyper-parameters of an optimizer (mirrors the `train` block).
struct OptimizerConfig {
  std::string kind = "sgd"; ///< "sgd" or "adam"
  double lr = 0.1;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8; ///< adam only
};

/// Updates parameters in place from their gradients. `params[i]` pairs with
/// `grads[i]`; the list must keep the same order and sizes across steps.
class Optimizer {
public:
  virtual ~Optimizer() = default;
  /// One update. An Error if the lists do not match in length or sizes;
  /// nothing is changed then.
  Expected<void> step(const std::vector<FloatSpan> &params,
                      const std::vector<ConstFloatSpan> &grads) {
    return step(params, grads, 1.0f);
  }
  /// One update from the gradients scaled by `gradScale` (the clipping
  /// factor, applied on the fly: the gradients are not written).
  virtual Expected<void> step(const std::vector<FloatSpan> &params,
                              const std::vector<ConstFloatSpan> &grads,
                              float gradScale) = 0;
  /// Number of successful steps so far.
  long long stepCount() const { return steps_; }
  /// Resume: the step count a checkpoint recorded.
  void restoreStepCount(long long steps) { steps_ = steps; }
  double learningRate() const { return lr_; }
  void setLearningRate(double lr) { lr_ = lr; }

protected:
  explicit Optimizer(double lr) : lr_(lr) {}
  Expected<void> checkShapes(const std::vector<FloatSpan> &params,
                             const std::vector<ConstFloatSpan> &grads) const;
  double lr_;
  long long steps_ = 0;
};

/// p -= lr * g.
class SgdOptimizer : public Optimizer {
public:
  explicit SgdOptimizer(double lr) : Optimizer(lr) {}
  using Optimizer::step;
  Expected<void> step(const std::vector<FloatSpan> &params,
                      const std::vector<ConstFloatSpan> &grads,
                      float gradScale) override;
};

/// m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
/// p -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps).
class AdamOptimizer : public Optimizer {
public:
  AdamOptimizer(double lr, double beta1, double beta2, double eps)
      : Optimizer(lr), beta1_(beta1), beta2_(beta2), eps_(eps) {}
  using Optimizer::step;
  Expected<void> step(const std::vector<FloatSpan> &params,
                      const std::vector<ConstFloatSpan> &grads,
                      float gradScale) override;
  /// Parameters with moments: 0 before the first step, then all of them.
  size_t momentCount() const { return m_.size(); }
  /// The moments of parameter `index` (empty before the first step).
  const std::vector<double> &firstMoment(size_t index) const { return m_.at(index); }
  const std::vector<double> &secondMoment(size_t index) const { return v_.at(index); }
  /// Restores the state saved from a checkpoint (resume): the step count and
  /// both moments per parameter. Fails if the lists differ in length.
  Expected<void> restoreState(long long steps, std::vector<std::vector<double>> m,
                              std::vector<std::vector<double>> v);

private:
  double beta1_, beta2_, eps_;
  std::vector<std::vector<double>> m_, v_;
};

/// One update of the training loop: step `optimizer` with `grads` clipped to
/// global L2 norm `clip` (0: no clipping; the scale is applied as the update
/// reads them, `grads` keep their values). Returns the norm before clipping,
/// or an Error if the buffers do not match. When `loss` or a gradient is not
/// finite nothing is updated and the result is NaN or infinite: the caller
/// reports it.
Expected<double> clipAndUpdate(float loss, std::vector<std::vector<float>> &params,
                               std::vector<std::vector<float>> &grads,
                               double clip, Optimizer &optimizer);

/// An optimizer from its config; unknown kinds or bad values (lr <= 0,
/// betas outside [0,1), eps < 0) are an error.
Expected<std::unique_ptr<Optimizer>> makeOptimizer(const OptimizerConfig &config);

} // namespace rnnc::runtime
