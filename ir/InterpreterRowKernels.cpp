//===- InterpreterRowKernels.cpp - The interpreter's row ops --------------===//
///
/// \file
/// The reference for the row ops of ir/Ops.def (the last axis is a row):
/// sums, maxima, broadcasts and layer normalisation, in double precision,
/// written as the textbook formulas (two passes for mean and variance) so
/// the generated kernels have a plain oracle.
///
//===----------------------------------------------------------------------===//
#include "ir/InterpreterKernels.h"

#include <cmath>

namespace rnnc::ir::kernels {

namespace {

int64_t rowWidth(const Tensor &x) { return x.rank() ? x.shape.back() : 1; }
int64_t rowCount(const Tensor &x) {
  int64_t w = rowWidth(x);
  return w ? x.numElements() / w : 0;
}

/// Mean and 1 / sqrt(biased variance + eps) of row `i` of `x`.
std::pair<double, double> rowMoments(const Tensor &x, int64_t i, double eps) {
  int64_t n = rowWidth(x);
  const double *row = x.data.data() + i * n;
  double mean = 0, var = 0;
  for (int64_t j = 0; j < n; ++j)
    mean += row[j];
  mean /= static_cast<double>(n);
  for (int64_t j = 0; j < n; ++j)
    var += (row[j] - mean) * (row[j] - mean);
  var /= static_cast<double>(n);
  return {mean, 1.0 / std::sqrt(var + eps)};
}

} // namespace

Result rowReduce(OpKind k, const Tensor &x) {
  if (x.rank() < 1 || rowWidth(x) < 1)
    return Error("row reduction of " + x.shapeStr());
  int64_t n = rowWidth(x), rows = rowCount(x);
  std::vector<int64_t> shape = x.shape;
  shape.back() = 1;
  Tensor r = Tensor::filled(shape);
  for (int64_t i = 0; i < rows; ++i) {
    const double *row = x.data.data() + i * n;
    double acc = row[0];
    for (int64_t j = 1; j < n; ++j)
      acc = k == OpKind::RowSum ? acc + row[j] : std::max(acc, row[j]);
    r.data[i] = acc;
  }
  return r;
}

Result rowMaxGrad(const Tensor &x, const Tensor &dy) {
  int64_t n = rowWidth(x), rows = rowCount(x);
  if (x.rank() < 1 || dy.rank() != x.rank() || rowWidth(dy) != 1 || rowCount(dy) != rows)
    return Error("row_max_grad shape mismatch: " + x.shapeStr() + " and " + dy.shapeStr());
  Tensor r = Tensor::filled(x.shape);
  for (int64_t i = 0; i < rows; ++i) {
    const double *row = x.data.data() + i * n;
    int64_t first = 0; // ties: the lowest index wins
    for (int64_t j = 1; j < n; ++j)
      if (row[j] > row[first])
        first = j;
    r.data[i * n + first] = dy.data[i];
  }
  return r;
}

Result rowBroadcast(const Tensor &x, int64_t size) {
  if (x.rank() < 1 || rowWidth(x) != 1 || size <= 0)
    return Error("row_broadcast of " + x.shapeStr() + " to " + std::to_string(size));
  std::vector<int64_t> shape = x.shape;
  shape.back() = size;
  Tensor r = Tensor::filled(shape);
  for (size_t i = 0; i < x.data.size(); ++i)
    for (int64_t j = 0; j < size; ++j)
      r.data[i * size + j] = x.data[i];
  return r;
}

Result layerNorm(const Tensor &x, const Tensor *dy, double eps) {
  if (x.rank() < 1 || rowWidth(x) < 1 || (dy && dy->shape != x.shape))
    return Error("layer_norm shape mismatch: " + x.shapeStr() +
                 (dy ? " and " + dy->shapeStr() : ""));
  int64_t n = rowWidth(x), rows = rowCount(x);
  Tensor r = Tensor::filled(x.shape);
  std::vector<double> xhat(static_cast<size_t>(n));
  for (int64_t i = 0; i < rows; ++i) {
    auto [mean, inv] = rowMoments(x, i, eps);
    for (int64_t j = 0; j < n; ++j)
      xhat[j] = (x.data[i * n + j] - mean) * inv;
    if (!dy) {
      std::copy(xhat.begin(), xhat.end(), r.data.begin() + i * n);
      continue;
    }
    const double *g = dy->data.data() + i * n;
    double meanG = 0, meanGX = 0;
    for (int64_t j = 0; j < n; ++j) {
      meanG += g[j];
      meanGX += g[j] * xhat[j];
    }
    meanG /= static_cast<double>(n);
    meanGX /= static_cast<double>(n);
    for (int64_t j = 0; j < n; ++j)
      r.data[i * n + j] = inv * (g[j] - meanG - xhat[j] * meanGX);
  }
  return r;
}

} // namespace rnnc::ir::kernels
