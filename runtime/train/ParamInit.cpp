//===- ParamInit.cpp - Filling parameters from their initialisers ---------===//
///
/// \file
/// See ParamInit.h.
///
//===----------------------------------------------------------------------===//
#include "runtime/train/ParamInit.h"

#include <Eigen/QR>
#include <cmath>
#include <fmt/format.h>
#include <fmt/ranges.h>

namespace rnnc::runtime {

namespace {

std::string shapeText(const std::vector<int64_t> &shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

/// orthogonal(gain), as torch.nn.init.orthogonal_: view the parameter as
/// [rows, cols] (rows = shape[0], the trailing axes flattened), 1. draw
/// rows * cols normals(0, 1) in row-major order, 2. transpose when rows <
/// cols so the matrix is tall, 3. QR it (Householder, in double), 4. make Q
/// unique by multiplying each column by the sign of R's diagonal entry,
/// 5. transpose back and scale by gain. The columns (tall) or rows (wide) of
/// the result are orthogonal with norm `gain`.
Expected<void> fillOrthogonal(FloatSpan values, const std::vector<int64_t> &shape,
                              double gain, Rng &rng) {
  if (shape.size() < 2)
    return Error(fmt::format("orthogonal initialiser needs at least 2 dimensions, got {}",
                             shapeText(shape)));
  if (!(gain > 0) || !std::isfinite(gain))
    return Error(fmt::format("orthogonal initialiser needs gain > 0, got {}", gain));
  using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Index rows = shape[0],
                     cols = static_cast<Eigen::Index>(values.size) / std::max<Eigen::Index>(rows, 1);
  if (rows == 0 || cols == 0)
    return {};
  Matrix drawn(rows, cols);
  for (Eigen::Index i = 0; i < rows; ++i)
    for (Eigen::Index j = 0; j < cols; ++j)
      drawn(i, j) = rng.normal(0, 1);
  const bool wide = rows < cols;
  Eigen::MatrixXd tall = wide ? Eigen::MatrixXd(drawn.transpose()) : Eigen::MatrixXd(drawn);
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(tall);
  const Eigen::Index m = tall.rows(), n = tall.cols();
  Eigen::MatrixXd q = qr.householderQ() * Eigen::MatrixXd::Identity(m, n);
  const Eigen::MatrixXd &r = qr.matrixQR(); // R is its upper triangle
  for (Eigen::Index j = 0; j < n; ++j)
    if (r(j, j) < 0)
      q.col(j) = -q.col(j);
  Matrix result = wide ? Matrix(q.transpose()) : Matrix(q);
  for (Eigen::Index i = 0; i < rows; ++i)
    for (Eigen::Index j = 0; j < cols; ++j)
      values.data[i * cols + j] = static_cast<float>(gain * result(i, j));
  return {};
}

/// identity(scale): scale on the diagonal of a square matrix, zero elsewhere.
Expected<void> fillIdentity(FloatSpan values, const std::vector<int64_t> &shape,
                            double scale) {
  if (shape.size() != 2 || shape[0] != shape[1])
    return Error(fmt::format("identity initialiser needs a square 2-D shape, got {}",
                             shapeText(shape)));
  if (!(scale > 0) || !std::isfinite(scale))
    return Error(fmt::format("identity initialiser needs scale > 0, got {}", scale));
  for (size_t i = 0; i < values.size; ++i)
    values.data[i] = 0.0f;
  for (int64_t i = 0; i < shape[0]; ++i)
    values.data[i * shape[0] + i] = static_cast<float>(scale);
  return {};
}

} // namespace

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

Expected<void> initializeParam(FloatSpan values, const std::vector<int64_t> &shape,
                               const ir::ParamInit &init, Rng &rng) {
  size_t expected = 1;
  for (int64_t d : shape)
    expected *= static_cast<size_t>(d);
  if (expected != values.size)
    return Error(fmt::format("parameter buffer has {} elements; its shape needs {}",
                             values.size, expected));
  if (init.kind == "zeros" || init.kind == "ones") {
    float value = init.kind == "ones" ? 1.0f : 0.0f;
    for (size_t i = 0; i < values.size; ++i)
      values.data[i] = value;
  } else if (init.kind == "normal") {
    if (!(init.b >= 0))
      return Error(fmt::format("normal initialiser needs std >= 0, got {}", init.b));
    for (size_t i = 0; i < values.size; ++i)
      values.data[i] = static_cast<float>(rng.normal(init.a, init.b));
  } else if (init.kind == "uniform") {
    if (!(init.b >= init.a))
      return Error(fmt::format("uniform initialiser needs lo <= hi, got ({}, {})",
                               init.a, init.b));
    for (size_t i = 0; i < values.size; ++i)
      values.data[i] = static_cast<float>(rng.uniform(init.a, init.b));
  } else if (init.kind == "xavier") {
    double bound = xavierUniformBound(shape);
    for (size_t i = 0; i < values.size; ++i)
      values.data[i] = static_cast<float>(rng.uniform(-bound, bound));
  } else if (init.kind == "orthogonal" || init.kind == "identity") {
    return init.kind == "orthogonal" ? fillOrthogonal(values, shape, init.a, rng)
                                     : fillIdentity(values, shape, init.a);
  } else {
    return Error(fmt::format("unknown initialiser '{}'", init.kind));
  }
  return {};
}

} // namespace rnnc::runtime
