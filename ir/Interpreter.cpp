//===- Interpreter.cpp - Reference interpreter of the rnnc IR -------------===//
///
/// \file
/// A straightforward evaluator: walk a block's operations in order (they are
/// in SSA order, so no worklist is needed and nothing recurses over op
/// chains), compute each op with a small kernel over doubles, and check the
/// result shape against the op's declared type. `scan` evaluates its body
/// once per time step; that nesting is the only recursion, bounded by the
/// nesting depth of scans in the IR. Matrix products go through Eigen maps.
///
//===----------------------------------------------------------------------===//
#include "ir/Interpreter.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <deque>
#include <unordered_map>

namespace rnnc::ir {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMatrixMap = Eigen::Map<const RowMatrix>;
using MatrixMap = Eigen::Map<RowMatrix>;

//===----------------------------------------------------------------------===//
// Tensor helpers
//===----------------------------------------------------------------------===//

static int64_t product(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

Tensor Tensor::filled(std::vector<int64_t> shape, double value) {
  int64_t n = product(shape);
  return Tensor(std::move(shape), std::vector<double>(static_cast<size_t>(n), value));
}

int64_t Tensor::numElements() const { return product(shape); }

static size_t flatIndex(const std::vector<int64_t> &shape,
                        const std::vector<int64_t> &index) {
  size_t flat = 0;
  for (size_t i = 0; i < shape.size(); ++i)
    flat = flat * static_cast<size_t>(shape[i]) + static_cast<size_t>(index[i]);
  return flat;
}

double &Tensor::at(const std::vector<int64_t> &index) {
  return data[flatIndex(shape, index)];
}
double Tensor::at(const std::vector<int64_t> &index) const {
  return data[flatIndex(shape, index)];
}

static std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string Tensor::shapeStr() const { return shapeString(shape); }

//===----------------------------------------------------------------------===//
// Kernels: each returns nullopt and sets `err` on bad operands.
//===----------------------------------------------------------------------===//

namespace {

using Result = std::optional<Tensor>;

Result fail(std::string &err, std::string msg) {
  err = std::move(msg);
  return std::nullopt;
}

double applyUnary(OpKind k, double x) {
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
  default:
    return x;
  }
}

double applyBinary(OpKind k, double a, double b) {
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

bool isSuffix(const std::vector<int64_t> &shortShape,
              const std::vector<int64_t> &longShape) {
  if (shortShape.size() > longShape.size())
    return false;
  size_t off = longShape.size() - shortShape.size();
  for (size_t i = 0; i < shortShape.size(); ++i)
    if (shortShape[i] != longShape[off + i])
      return false;
  return true;
}

Result binary(OpKind k, const Tensor &a, const Tensor &b, std::string &err) {
  bool aLong = isSuffix(b.shape, a.shape);
  if (!aLong && !isSuffix(a.shape, b.shape))
    return fail(err, "cannot broadcast " + a.shapeStr() + " and " + b.shapeStr());
  const Tensor &big = aLong ? a : b;
  size_t na = a.data.size(), nb = b.data.size();
  Tensor r = Tensor::filled(big.shape);
  for (size_t i = 0; i < r.data.size(); ++i)
    r.data[i] = applyBinary(k, a.data[i % na], b.data[i % nb]);
  return r;
}

Result matmul(OpKind k, const Tensor &a, const Tensor &b, std::string &err) {
  std::string shapes = a.shapeStr() + " and " + b.shapeStr();
  if (a.rank() < 1 || b.rank() < 1)
    return fail(err, "matrix product of a scalar: " + shapes);
  int64_t aCols = a.shape.back(), bCols = b.shape.back();
  int64_t aRows = aCols ? a.numElements() / aCols : 0;
  int64_t bRows = bCols ? b.numElements() / bCols : 0;
  ConstMatrixMap A(a.data.data(), aRows, aCols), B(b.data.data(), bRows, bCols);
  std::vector<int64_t> lead(a.shape.begin(), a.shape.end() - 1);
  if (k == OpKind::MatMul) {
    if (b.rank() != 2 || b.shape[0] != aCols)
      return fail(err, "matmul shape mismatch: " + shapes);
    lead.push_back(bCols);
    Tensor r = Tensor::filled(lead);
    MatrixMap(r.data.data(), aRows, bCols).noalias() = A * B;
    return r;
  }
  if (k == OpKind::MatMulNT) {
    if (b.rank() != 2 || bCols != aCols)
      return fail(err, "matmul_nt shape mismatch: " + shapes);
    lead.push_back(bRows);
    Tensor r = Tensor::filled(lead);
    MatrixMap(r.data.data(), aRows, bRows).noalias() = A * B.transpose();
    return r;
  }
  // MatMulTN: rows of both operands pair up.
  std::vector<int64_t> bLead(b.shape.begin(), b.shape.end() - 1);
  if (lead != bLead)
    return fail(err, "matmul_tn shape mismatch: " + shapes);
  Tensor r = Tensor::filled({aCols, bCols});
  MatrixMap(r.data.data(), aCols, bCols).noalias() = A.transpose() * B;
  return r;
}

bool tokenInRange(double id, int64_t limit, std::string &err) {
  if (id >= 0 && id < static_cast<double>(limit) && id == std::floor(id))
    return true;
  err = "token id " + std::to_string(static_cast<long long>(id)) +
        " out of range [0, " + std::to_string(limit) + ")";
  return false;
}

Result oneHot(const Tensor &idx, int64_t depth, std::string &err) {
  std::vector<int64_t> shape = idx.shape;
  shape.push_back(depth);
  Tensor r = Tensor::filled(shape);
  for (size_t i = 0; i < idx.data.size(); ++i) {
    if (!tokenInRange(idx.data[i], depth, err))
      return std::nullopt;
    r.data[i * depth + static_cast<size_t>(idx.data[i])] = 1.0;
  }
  return r;
}

Result gather(const Tensor &table, const Tensor &idx, std::string &err) {
  if (table.rank() != 2)
    return fail(err, "gather table must be rank 2, got " + table.shapeStr());
  int64_t rows = table.shape[0], width = table.shape[1];
  std::vector<int64_t> shape = idx.shape;
  shape.push_back(width);
  Tensor r = Tensor::filled(shape);
  for (size_t i = 0; i < idx.data.size(); ++i) {
    if (!tokenInRange(idx.data[i], rows, err))
      return std::nullopt;
    size_t row = static_cast<size_t>(idx.data[i]);
    std::copy_n(table.data.begin() + row * width, width, r.data.begin() + i * width);
  }
  return r;
}

Result scatterAdd(const Tensor &idx, const Tensor &src, int64_t rows,
                  std::string &err) {
  if (src.rank() != idx.rank() + 1 ||
      !std::equal(idx.shape.begin(), idx.shape.end(), src.shape.begin()))
    return fail(err, "scatter_add shape mismatch: " + idx.shapeStr() + " and " +
                         src.shapeStr());
  int64_t width = src.shape.back();
  Tensor r = Tensor::filled({rows, width});
  for (size_t i = 0; i < idx.data.size(); ++i) {
    if (!tokenInRange(idx.data[i], rows, err))
      return std::nullopt;
    size_t row = static_cast<size_t>(idx.data[i]);
    for (int64_t j = 0; j < width; ++j)
      r.data[row * width + j] += src.data[i * width + j];
  }
  return r;
}

Result concat(const std::vector<const Tensor *> &parts, std::string &err) {
  if (parts.empty() || parts[0]->rank() == 0)
    return fail(err, "concat needs operands of rank >= 1");
  std::vector<int64_t> lead(parts[0]->shape.begin(), parts[0]->shape.end() - 1);
  int64_t width = 0;
  for (const Tensor *p : parts) {
    if (p->rank() != lead.size() + 1 ||
        !std::equal(lead.begin(), lead.end(), p->shape.begin()))
      return fail(err, "concat shape mismatch: " + parts[0]->shapeStr() + " and " +
                           p->shapeStr());
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
Result sliceOrPad(const Tensor &x, int64_t begin, int64_t extent, bool isPad,
                  std::string &err) {
  if (x.rank() == 0)
    return fail(err, "slice/pad of a scalar");
  int64_t width = x.shape.back();
  int64_t outWidth = isPad ? extent : extent - begin;
  int64_t span = isPad ? width : outWidth;
  if (begin < 0 || span < 0 || begin + span > (isPad ? outWidth : width))
    return fail(err, "slice/pad bounds [" + std::to_string(begin) + ", " +
                         std::to_string(extent) + ") invalid for " + x.shapeStr());
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

Result reduceSum(const Tensor &x, const std::vector<int64_t> &axes,
                 std::string &err) {
  std::vector<bool> reduced(x.rank(), false);
  for (int64_t a : axes) {
    if (a < 0 || a >= static_cast<int64_t>(x.rank()) || reduced[a])
      return fail(err, "reduce_sum axis " + std::to_string(a) + " invalid for " +
                           x.shapeStr());
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
Result crossEntropy(const Tensor &logits, const Tensor &labels,
                    const Tensor *dloss, std::string &err) {
  if (logits.rank() != labels.rank() + 1 ||
      !std::equal(labels.shape.begin(), labels.shape.end(), logits.shape.begin()))
    return fail(err, "cross_entropy shape mismatch: " + logits.shapeStr() +
                         " and " + labels.shapeStr());
  if (dloss && dloss->data.size() != 1)
    return fail(err, "cross_entropy_grad expects a scalar dloss");
  int64_t classes = logits.shape.back();
  size_t positions = labels.data.size();
  Tensor grad = dloss ? Tensor::filled(logits.shape) : Tensor();
  double scale = dloss ? dloss->data[0] / static_cast<double>(positions) : 0.0;
  double total = 0;
  for (size_t p = 0; p < positions; ++p) {
    if (!tokenInRange(labels.data[p], classes, err))
      return std::nullopt;
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

//===----------------------------------------------------------------------===//
// Block evaluation
//===----------------------------------------------------------------------===//

using MaybeTensors = std::optional<std::vector<Tensor>>;

MaybeTensors runBlock(const Block &block, const std::vector<const Tensor *> &args,
                      std::string &err);

MaybeTensors runScan(const Operation &op, const std::vector<const Tensor *> &in,
                     std::string &err) {
  unsigned nc = op.scanNumCarried(), ns = op.scanNumSequences();
  if (nc + ns > op.numOperands() || op.numResults() < nc) {
    err = "scan segment sizes do not match its operands";
    return std::nullopt;
  }
  unsigned nOut = op.numResults() - nc;
  int64_t steps = -1;
  for (unsigned i = nc; i < nc + ns; ++i) {
    if (in[i]->rank() == 0) {
      err = "scan sequence operand is a scalar";
      return std::nullopt;
    }
    if (steps >= 0 && in[i]->shape[0] != steps) {
      err = "scan sequences have different lengths";
      return std::nullopt;
    }
    steps = in[i]->shape[0];
  }
  if (steps < 0 && nOut > 0 && op.result(nc)->type().rank() > 0)
    steps = op.result(nc)->type().dim(0);
  if (steps < 0)
    steps = op.intAttr("length", -1);
  if (steps < 0) {
    err = "scan has no sequence to fix its length";
    return std::nullopt;
  }
  const Block &body = op.body();
  if (body.numArguments() != op.numOperands()) {
    err = "scan body takes " + std::to_string(body.numArguments()) +
          " arguments but the scan has " + std::to_string(op.numOperands()) +
          " operands";
    return std::nullopt;
  }
  std::vector<Tensor> carried;
  for (unsigned i = 0; i < nc; ++i)
    carried.push_back(*in[i]);
  std::vector<Tensor> slices(ns);
  std::vector<Tensor> stacked(nOut);
  for (int64_t s = 0; s < steps; ++s) {
    int64_t t = op.scanReverse() ? steps - 1 - s : s;
    for (unsigned i = 0; i < ns; ++i) {
      const Tensor &seq = *in[nc + i];
      int64_t width = seq.numElements() / steps;
      slices[i].shape.assign(seq.shape.begin() + 1, seq.shape.end());
      slices[i].data.assign(seq.data.begin() + t * width,
                            seq.data.begin() + (t + 1) * width);
    }
    std::vector<const Tensor *> args;
    for (const Tensor &c : carried)
      args.push_back(&c);
    for (const Tensor &sl : slices)
      args.push_back(&sl);
    for (unsigned i = nc + ns; i < op.numOperands(); ++i)
      args.push_back(in[i]);
    MaybeTensors out = runBlock(body, args, err);
    if (!out)
      return std::nullopt;
    if (out->size() != nc + nOut) {
      err = "scan body yields " + std::to_string(out->size()) + " values, expected " +
            std::to_string(nc + nOut);
      return std::nullopt;
    }
    for (unsigned i = 0; i < nc; ++i) {
      if ((*out)[i].shape != carried[i].shape) {
        err = "scan carried value changes shape from " + carried[i].shapeStr() +
              " to " + (*out)[i].shapeStr();
        return std::nullopt;
      }
      carried[i] = std::move((*out)[i]);
    }
    for (unsigned i = 0; i < nOut; ++i) {
      const Tensor &step = (*out)[nc + i];
      if (s == 0) {
        std::vector<int64_t> shape{steps};
        shape.insert(shape.end(), step.shape.begin(), step.shape.end());
        stacked[i] = Tensor::filled(shape);
      }
      size_t width = step.data.size();
      if (stacked[i].data.size() != width * steps) {
        err = "scan per-step output changes shape";
        return std::nullopt;
      }
      std::copy(step.data.begin(), step.data.end(), stacked[i].data.begin() + t * width);
    }
  }
  for (unsigned i = 0; i < nOut && steps == 0; ++i)
    stacked[i] = Tensor::filled(op.result(nc + i)->type().shape());
  for (Tensor &s : stacked)
    carried.push_back(std::move(s));
  return carried;
}

/// Computes one non-scan op.
Result runOp(const Operation &op, const std::vector<const Tensor *> &in,
             std::string &err) {
  OpKind k = op.kind();
  if (k == OpKind::Constant)
    return Tensor::filled(op.result()->type().shape(), op.realAttr("value"));
  if (isElementwiseUnary(k)) {
    Tensor r = *in[0];
    for (double &v : r.data)
      v = applyUnary(k, v);
    return r;
  }
  if (isElementwiseBinary(k))
    return binary(k, *in[0], *in[1], err);
  switch (k) {
  case OpKind::MatMul:
  case OpKind::MatMulNT:
  case OpKind::MatMulTN:
    return matmul(k, *in[0], *in[1], err);
  case OpKind::OneHot:
    return oneHot(*in[0], op.intAttr("depth"), err);
  case OpKind::Gather:
    return gather(*in[0], *in[1], err);
  case OpKind::ScatterAdd:
    return scatterAdd(*in[0], *in[1], op.intAttr("rows"), err);
  case OpKind::Concat:
    return concat(in, err);
  case OpKind::Slice:
    return sliceOrPad(*in[0], op.intAttr("begin"), op.intAttr("end"), false, err);
  case OpKind::Pad:
    return sliceOrPad(*in[0], op.intAttr("begin"), op.intAttr("size"), true, err);
  case OpKind::ReduceSum:
    return reduceSum(*in[0], op.intListAttr("axes"), err);
  case OpKind::CrossEntropy:
    return crossEntropy(*in[0], *in[1], nullptr, err);
  case OpKind::CrossEntropyGrad:
    return crossEntropy(*in[0], *in[1], in[2], err);
  default:
    return fail(err, std::string("cannot interpret op '") + op.name() + "'");
  }
}

MaybeTensors runBlock(const Block &block, const std::vector<const Tensor *> &args,
                      std::string &err) {
  if (args.size() != block.numArguments()) {
    err = "expected " + std::to_string(block.numArguments()) + " arguments, got " +
          std::to_string(args.size());
    return std::nullopt;
  }
  std::unordered_map<const Value *, const Tensor *> env;
  for (unsigned i = 0; i < args.size(); ++i) {
    const Value *arg = block.argument(i);
    if (args[i]->shape != arg->type().shape() ||
        args[i]->data.size() != static_cast<size_t>(args[i]->numElements())) {
      err = "argument " + std::to_string(i) +
            (arg->name().empty() ? "" : " '" + arg->name() + "'") + " has shape " +
            args[i]->shapeStr() + ", expected " + shapeString(arg->type().shape());
      return std::nullopt;
    }
    env[arg] = args[i];
  }
  std::deque<Tensor> storage; // stable addresses for env
  for (const auto &opPtr : block.operations()) {
    const Operation &op = *opPtr;
    std::vector<const Tensor *> in;
    for (const Value *v : op.operands()) {
      auto it = env.find(v);
      if (it == env.end()) {
        err = std::string("op '") + op.name() + "' uses a value not defined before it";
        return std::nullopt;
      }
      in.push_back(it->second);
    }
    if (isTerminator(op.kind())) {
      std::vector<Tensor> out;
      for (const Tensor *t : in)
        out.push_back(*t);
      return out;
    }
    std::vector<Tensor> results;
    if (op.kind() == OpKind::Scan) {
      MaybeTensors r = runScan(op, in, err);
      if (!r)
        return std::nullopt;
      results = std::move(*r);
    } else {
      Result r = runOp(op, in, err);
      if (!r) {
        err = std::string(op.name()) + ": " + err;
        return std::nullopt;
      }
      results.push_back(std::move(*r));
    }
    if (results.size() != op.numResults()) {
      err = std::string(op.name()) + ": computed " + std::to_string(results.size()) +
            " results, declared " + std::to_string(op.numResults());
      return std::nullopt;
    }
    for (unsigned i = 0; i < results.size(); ++i) {
      std::vector<int64_t> declared = op.result(i)->type().shape();
      if (results[i].shape != declared) {
        err = std::string(op.name()) + ": result " + std::to_string(i) + " has shape " +
              results[i].shapeStr() + " but is declared " + shapeString(declared);
        return std::nullopt;
      }
      storage.push_back(std::move(results[i]));
      env[op.result(i)] = &storage.back();
    }
  }
  err = "block has no terminator";
  return std::nullopt;
}

} // namespace

std::optional<std::vector<Tensor>> interpretBlock(const Block &block,
                                                  const std::vector<Tensor> &args,
                                                  std::string *error) {
  std::vector<const Tensor *> ptrs;
  for (const Tensor &t : args)
    ptrs.push_back(&t);
  std::string err;
  MaybeTensors r = runBlock(block, ptrs, err);
  if (!r && error)
    *error = err;
  return r;
}

std::optional<std::vector<Tensor>> interpret(const Function &fn,
                                             const std::vector<Tensor> &args,
                                             std::string *error) {
  auto r = interpretBlock(fn.body(), args, error);
  if (!r && error)
    *error = "in @" + fn.name() + ": " + *error;
  return r;
}

} // namespace rnnc::ir
