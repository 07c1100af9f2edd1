//===- InterpreterKernels.cpp - The interpreter's per-op kernels ----------===//
///
/// \file
/// Plain loops over row-major doubles, Eigen maps for the matrix products.
/// Exactness matters more than speed here: this is the oracle.
///
//===----------------------------------------------------------------------===//
#include "ir/InterpreterKernels.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>

namespace rnnc::ir::kernels {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMatrixMap = Eigen::Map<const RowMatrix>;
using MatrixMap = Eigen::Map<RowMatrix>;

int64_t product(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

static double applyUnary(OpKind k, double x) {
  switch (k) {
  case OpKind::Neg:
    return -x;
  case OpKind::Tanh:
    return std::tanh(x);
  case OpKind::Sigmoid:
    return 1.0 / (1.0 + std::exp(-x));
  case OpKind::Relu:
    return x > 0 ? x : 0.0;
  case OpKind::Exp:
    return std::exp(x);
  case OpKind::Log:
    return std::log(x);
  case OpKind::Step:
    return x > 0 ? 1.0 : 0.0;
  case OpKind::Sqrt:
    return std::sqrt(x);
  case OpKind::Abs:
    return std::fabs(x);
  case OpKind::Sign:
    return x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0;
  default:
    return x;
  }
}

static double applyBinary(OpKind k, double a, double b) {
  switch (k) {
  case OpKind::Add:
    return a + b;
  case OpKind::Sub:
    return a - b;
  case OpKind::Mul:
    return a * b;
  case OpKind::Div:
    return a / b;
  default:
    return a;
  }
}

static bool isSuffix(const std::vector<int64_t> &shortShape,
              const std::vector<int64_t> &longShape) {
  if (shortShape.size() > longShape.size())
    return false;
  size_t off = longShape.size() - shortShape.size();
  for (size_t i = 0; i < shortShape.size(); ++i)
    if (shortShape[i] != longShape[off + i])
      return false;
  return true;
}

Result binary(OpKind k, const Tensor &a, const Tensor &b) {
  bool aLong = isSuffix(b.shape, a.shape);
  if (!aLong && !isSuffix(a.shape, b.shape))
    return Error("cannot broadcast " + a.shapeStr() + " and " + b.shapeStr());
  const Tensor &big = aLong ? a : b;
  size_t na = a.data.size(), nb = b.data.size();
  Tensor r = Tensor::filled(big.shape);
  for (size_t i = 0; i < r.data.size(); ++i)
    r.data[i] = applyBinary(k, a.data[i % na], b.data[i % nb]);
  return r;
}

Result matmul(OpKind k, const Tensor &a, const Tensor &b) {
  std::string shapes = a.shapeStr() + " and " + b.shapeStr();
  if (a.rank() < 1 || b.rank() < 1)
    return Error("matrix product of a scalar: " + shapes);
  int64_t aCols = a.shape.back(), bCols = b.shape.back();
  int64_t aRows = aCols ? a.numElements() / aCols : 0;
  int64_t bRows = bCols ? b.numElements() / bCols : 0;
  ConstMatrixMap A(a.data.data(), aRows, aCols), B(b.data.data(), bRows, bCols);
  std::vector<int64_t> lead(a.shape.begin(), a.shape.end() - 1);
  if (k == OpKind::MatMul) {
    if (b.rank() != 2 || b.shape[0] != aCols)
      return Error("matmul shape mismatch: " + shapes);
    lead.push_back(bCols);
    Tensor r = Tensor::filled(lead);
    MatrixMap(r.data.data(), aRows, bCols).noalias() = A * B;
    return r;
  }
  if (k == OpKind::MatMulNT) {
    if (b.rank() != 2 || bCols != aCols)
      return Error("matmul_nt shape mismatch: " + shapes);
    lead.push_back(bRows);
    Tensor r = Tensor::filled(lead);
    MatrixMap(r.data.data(), aRows, bRows).noalias() = A * B.transpose();
    return r;
  }
  // MatMulTN: rows of both operands pair up.
  std::vector<int64_t> bLead(b.shape.begin(), b.shape.end() - 1);
  if (lead != bLead)
    return Error("matmul_tn shape mismatch: " + shapes);
  Tensor r = Tensor::filled({aCols, bCols});
  MatrixMap(r.data.data(), aCols, bCols).noalias() = A.transpose() * B;
  return r;
}

/// Success if `id` is a token id below `limit`.
static Expected<void> checkToken(double id, int64_t limit) {
  if (id >= 0 && id < static_cast<double>(limit) && id == std::floor(id))
    return {};
  return Error("token id " + std::to_string(static_cast<long long>(id)) + " out of range [0, " +
               std::to_string(limit) + ")");
}

Result oneHot(const Tensor &idx, int64_t depth) {
  if (depth <= 0)
    return Error("depth must be positive");
  std::vector<int64_t> shape = idx.shape;
  shape.push_back(depth);
  Tensor r = Tensor::filled(shape);
  for (size_t i = 0; i < idx.data.size(); ++i) {
    if (auto ok = checkToken(idx.data[i], depth); !ok)
      return ok.error();
    r.data[i * depth + static_cast<size_t>(idx.data[i])] = 1.0;
  }
  return r;
}

Result gather(const Tensor &table, const Tensor &idx) {
  if (table.rank() != 2)
    return Error("gather table must be rank 2, got " + table.shapeStr());
  int64_t rows = table.shape[0], width = table.shape[1];
  std::vector<int64_t> shape = idx.shape;
  shape.push_back(width);
  Tensor r = Tensor::filled(shape);
  for (size_t i = 0; i < idx.data.size(); ++i) {
    if (auto ok = checkToken(idx.data[i], rows); !ok)
      return ok.error();
    size_t row = static_cast<size_t>(idx.data[i]);
    std::copy_n(table.data.begin() + row * width, width, r.data.begin() + i * width);
  }
  return r;
}

Result scatterAdd(const Tensor &idx, const Tensor &src, int64_t rows) {
  if (rows <= 0)
    return Error("rows must be positive");
  if (src.rank() != idx.rank() + 1 ||
      !std::equal(idx.shape.begin(), idx.shape.end(), src.shape.begin()))
    return Error("scatter_add shape mismatch: " + idx.shapeStr() + " and " + src.shapeStr());
  int64_t width = src.shape.back();
  Tensor r = Tensor::filled({rows, width});
  for (size_t i = 0; i < idx.data.size(); ++i) {
    if (auto ok = checkToken(idx.data[i], rows); !ok)
      return ok.error();
    size_t row = static_cast<size_t>(idx.data[i]);
    for (int64_t j = 0; j < width; ++j)
      r.data[row * width + j] += src.data[i * width + j];
  }
  return r;
}

Result concat(const std::vector<const Tensor *> &parts) {
  if (parts.empty() || parts[0]->rank() == 0)
    return Error("concat needs operands of rank >= 1");
  std::vector<int64_t> lead(parts[0]->shape.begin(), parts[0]->shape.end() - 1);
  int64_t width = 0;
  for (const Tensor *p : parts) {
    if (p->rank() != lead.size() + 1 ||
        !std::equal(lead.begin(), lead.end(), p->shape.begin()))
      return Error("concat shape mismatch: " + parts[0]->shapeStr() + " and " + p->shapeStr());
    width += p->shape.back();
  }
  std::vector<int64_t> shape = lead;
  shape.push_back(width);
  Tensor r = Tensor::filled(shape);
  int64_t rows = product(lead), offset = 0;
  for (const Tensor *p : parts) {
    int64_t w = p->shape.back();
    for (int64_t i = 0; i < rows; ++i)
      std::copy_n(p->data.begin() + i * w, w, r.data.begin() + i * width + offset);
    offset += w;
  }
  return r;
}

/// slice (isPad = false): out[..., j] = x[..., begin + j], j < end - begin.
/// pad (isPad = true): out[..., begin + j] = x[..., j], zeros elsewhere.
Result sliceOrPad(const Tensor &x, int64_t begin, int64_t extent, bool isPad) {
  if (x.rank() == 0)
    return Error("slice/pad of a scalar");
  int64_t width = x.shape.back();
  int64_t outWidth = isPad ? extent : extent - begin;
  int64_t span = isPad ? width : outWidth;
  if (begin < 0 || span < 0 || begin + span > (isPad ? outWidth : width))
    return Error("slice/pad bounds [" + std::to_string(begin) + ", " + std::to_string(extent) +
                 ") invalid for " + x.shapeStr());
  std::vector<int64_t> shape = x.shape;
  shape.back() = outWidth;
  Tensor r = Tensor::filled(shape);
  int64_t rows = width ? x.numElements() / width : product(shape) / std::max<int64_t>(outWidth, 1);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < span; ++j) {
      if (isPad)
        r.data[i * outWidth + begin + j] = x.data[i * width + j];
      else
        r.data[i * outWidth + j] = x.data[i * width + begin + j];
    }
  return r;
}

Result reduceSum(const Tensor &x, const std::vector<int64_t> &axes) {
  std::vector<bool> reduced(x.rank(), false);
  for (int64_t a : axes) {
    if (a < 0 || a >= static_cast<int64_t>(x.rank()) || reduced[a])
      return Error("reduce_sum axis " + std::to_string(a) + " invalid for " + x.shapeStr());
    reduced[a] = true;
  }
  std::vector<int64_t> shape;
  for (size_t i = 0; i < x.rank(); ++i)
    if (!reduced[i])
      shape.push_back(x.shape[i]);
  Tensor r = Tensor::filled(shape);
  std::vector<int64_t> index(x.rank(), 0);
  for (size_t flat = 0; flat < x.data.size(); ++flat) {
    size_t out = 0;
    for (size_t i = 0; i < x.rank(); ++i)
      if (!reduced[i])
        out = out * static_cast<size_t>(x.shape[i]) + static_cast<size_t>(index[i]);
    r.data[out] += x.data[flat];
    for (size_t i = x.rank(); i-- > 0;) { // odometer increment
      if (++index[i] < x.shape[i])
        break;
      index[i] = 0;
    }
  }
  return r;
}

/// Softmax cross-entropy; with `dloss` set, its gradient w.r.t. the logits.
Result crossEntropy(const Tensor &logits, const Tensor &labels, const Tensor *dloss) {
  if (logits.rank() != labels.rank() + 1 ||
      !std::equal(labels.shape.begin(), labels.shape.end(), logits.shape.begin()))
    return Error("cross_entropy shape mismatch: " + logits.shapeStr() + " and " +
                 labels.shapeStr());
  if (dloss && dloss->data.size() != 1)
    return Error("cross_entropy_grad expects a scalar dloss");
  int64_t classes = logits.shape.back();
  size_t positions = labels.data.size();
  Tensor grad = dloss ? Tensor::filled(logits.shape) : Tensor();
  double scale = dloss ? dloss->data[0] / static_cast<double>(positions) : 0.0;
  double total = 0;
  for (size_t p = 0; p < positions; ++p) {
    if (auto ok = checkToken(labels.data[p], classes); !ok)
      return ok.error();
    const double *row = logits.data.data() + p * classes;
    double maxv = *std::max_element(row, row + classes), sum = 0;
    for (int64_t c = 0; c < classes; ++c)
      sum += std::exp(row[c] - maxv);
    size_t label = static_cast<size_t>(labels.data[p]);
    total += std::log(sum) + maxv - row[label];
    if (dloss) {
      for (int64_t c = 0; c < classes; ++c)
        grad.data[p * classes + c] = scale * std::exp(row[c] - maxv) / sum;
      grad.data[p * classes + label] -= scale;
    }
  }
  if (dloss)
    return grad;
  return Tensor::scalar(positions ? total / static_cast<double>(positions) : 0.0);
}

Result unary(OpKind k, const Tensor &x) {
  Tensor r = x;
  for (double &v : r.data)
    v = applyUnary(k, v);
  return r;
}

} // namespace rnnc::ir::kernels
