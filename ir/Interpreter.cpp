//===- Interpreter.cpp - Reference interpreter of the rnnc IR -------------===//
///
/// \file
/// A straightforward evaluator: walk a block's operations in order (they are
/// in SSA order, so no worklist is needed and nothing recurses over op
/// chains), compute each op with a small kernel over doubles, and check the
/// result shape against the op's declared type. `scan` evaluates its body
/// once per time step and `fusion` once; that nesting is the only recursion,
/// bounded by the nesting depth of bodies in the IR. Kernels: ir/InterpreterKernels.cpp.
///
//===----------------------------------------------------------------------===//
#include "ir/Interpreter.h"

#include "ir/InterpreterKernels.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <unordered_map>

namespace rnnc::ir {

using namespace kernels;

//===----------------------------------------------------------------------===//
// Tensor helpers
//===----------------------------------------------------------------------===//

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

std::string Tensor::shapeStr() const { return shapeString(shape); }

namespace {

//===----------------------------------------------------------------------===//
// Block evaluation
//===----------------------------------------------------------------------===//

using Tensors = Expected<std::vector<Tensor>>;

Tensors runBlock(const Block &block, const std::vector<const Tensor *> &args);

Tensors runScan(const Operation &op, const std::vector<const Tensor *> &in) {
  unsigned nc = op.scanNumCarried(), ns = op.scanNumSequences();
  if (nc + ns > op.numOperands() || op.numResults() < nc)
    return Error("scan segment sizes do not match its operands");
  unsigned nOut = op.numResults() - nc;
  int64_t steps = -1;
  for (unsigned i = nc; i < nc + ns; ++i) {
    if (in[i]->rank() == 0)
      return Error("scan sequence operand is a scalar");
    if (steps >= 0 && in[i]->shape[0] != steps)
      return Error("scan sequences have different lengths");
    steps = in[i]->shape[0];
  }
  if (steps < 0 && nOut > 0 && op.result(nc)->type().rank() > 0)
    steps = op.result(nc)->type().dim(0);
  if (steps < 0)
    steps = op.intAttr("length", -1);
  if (steps < 0)
    return Error("scan has no sequence to fix its length");
  const Block &body = op.body();
  if (body.numArguments() != op.numOperands())
    return Error("scan body takes " + std::to_string(body.numArguments()) +
                 " arguments but the scan has " + std::to_string(op.numOperands()) + " operands");
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
    Tensors out = runBlock(body, args);
    if (!out)
      return out.error();
    if (out->size() != nc + nOut)
      return Error("scan body yields " + std::to_string(out->size()) + " values, expected " +
                   std::to_string(nc + nOut));
    for (unsigned i = 0; i < nc; ++i) {
      if ((*out)[i].shape != carried[i].shape)
        return Error("scan carried value changes shape from " + carried[i].shapeStr() + " to " +
                     (*out)[i].shapeStr());
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
      if (stacked[i].data.size() != width * steps)
        return Error("scan per-step output changes shape");
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
Result runOp(const Operation &op, const std::vector<const Tensor *> &in) {
  OpKind k = op.kind();
  int arity = opKindNumOperands(k);
  if ((arity >= 0 && in.size() != static_cast<size_t>(arity)) || (arity < 0 && in.empty()))
    return Error("wrong number of operands (" + std::to_string(in.size()) + ")");
  if (k == OpKind::Constant)
    return Tensor::filled(op.result()->type().shape(), op.realAttr("value"));
  if (isElementwiseUnary(k)) {
    return unary(k, *in[0]);
  }
  if (isElementwiseBinary(k))
    return binary(k, *in[0], *in[1]);
  if (isMatrixProduct(k))
    return matmul(k, *in[0], *in[1]);
  switch (k) {
  case OpKind::OneHot:
    return oneHot(*in[0], op.intAttr("depth"));
  case OpKind::Gather:
    return gather(*in[0], *in[1]);
  case OpKind::ScatterAdd:
    return scatterAdd(*in[0], *in[1], op.intAttr("rows"));
  case OpKind::Concat:
    return concat(in);
  case OpKind::Slice:
    return sliceOrPad(*in[0], op.intAttr("begin"), op.intAttr("end"), false);
  case OpKind::Pad:
    return sliceOrPad(*in[0], op.intAttr("begin"), op.intAttr("size"), true);
  case OpKind::ReduceSum:
    return reduceSum(*in[0], op.intListAttr("axes"));
  case OpKind::RowSum:
  case OpKind::RowMax:
    return rowReduce(k, *in[0]);
  case OpKind::RowMaxGrad:
    return rowMaxGrad(*in[0], *in[1]);
  case OpKind::RowBroadcast:
    return rowBroadcast(*in[0], op.intAttr("size"));
  case OpKind::LayerNorm:
    return layerNorm(*in[0], nullptr, op.realAttr("epsilon"));
  case OpKind::LayerNormGrad:
    return layerNorm(*in[0], in[1], op.realAttr("epsilon"));
  case OpKind::CrossEntropy:
    return crossEntropy(*in[0], *in[1], nullptr);
  case OpKind::CrossEntropyGrad:
    return crossEntropy(*in[0], *in[1], in[2]);
  case OpKind::Dropout:
    return dropout(*in[0], *in[1], op.realAttr("p"), op.intAttr("salt"));
  default:
    return Error(std::string("cannot interpret op '") + op.name() + "'");
  }
}

Tensors runBlock(const Block &block, const std::vector<const Tensor *> &args) {
  if (args.size() != block.numArguments())
    return Error("expected " + std::to_string(block.numArguments()) + " arguments, got " +
                 std::to_string(args.size()));
  std::unordered_map<const Value *, const Tensor *> env;
  for (unsigned i = 0; i < args.size(); ++i) {
    const Value *arg = block.argument(i);
    if (args[i]->shape != arg->type().shape() ||
        args[i]->data.size() != static_cast<size_t>(args[i]->numElements()))
      return Error("argument " + std::to_string(i) +
                   (arg->name().empty() ? "" : " '" + arg->name() + "'") + " has shape " +
                   args[i]->shapeStr() + ", expected " + shapeString(arg->type().shape()));
    env[arg] = args[i];
  }
  std::deque<Tensor> storage; // stable addresses for env
  for (const auto &opPtr : block.operations()) {
    const Operation &op = *opPtr;
    std::vector<const Tensor *> in;
    for (const Value *v : op.operands()) {
      auto it = env.find(v);
      if (it == env.end())
        return Error(std::string("op '") + op.name() + "' uses a value not defined before it");
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
      Tensors r = runScan(op, in);
      if (!r)
        return r.error();
      results = std::move(*r);
    } else if (op.kind() == OpKind::Fusion) {
      if (op.regions().size() != 1)
        return Error("fusion without a body");
      Tensors r = runBlock(op.body(), in); // a fusion is its body
      if (!r)
        return r.error();
      results = std::move(*r);
    } else {
      Result r = runOp(op, in);
      if (!r)
        return Error(std::string(op.name()) + ": " + r.error().message());
      results.push_back(std::move(*r));
    }
    if (results.size() != op.numResults())
      return Error(std::string(op.name()) + ": computed " + std::to_string(results.size()) +
                   " results, declared " + std::to_string(op.numResults()));
    for (unsigned i = 0; i < results.size(); ++i) {
      std::vector<int64_t> declared = op.result(i)->type().shape();
      if (results[i].shape != declared)
        return Error(std::string(op.name()) + ": result " + std::to_string(i) + " has shape " +
                     results[i].shapeStr() + " but is declared " + shapeString(declared));
      storage.push_back(std::move(results[i]));
      env[op.result(i)] = &storage.back();
    }
  }
  return Error("block has no terminator");
}

} // namespace

Expected<std::vector<Tensor>> interpretBlock(const Block &block, const std::vector<Tensor> &args) {
  std::vector<const Tensor *> ptrs;
  for (const Tensor &t : args)
    ptrs.push_back(&t);
  return runBlock(block, ptrs);
}

Expected<std::vector<Tensor>> interpret(const Function &fn, const std::vector<Tensor> &args) {
  auto r = interpretBlock(fn.body(), args);
  if (!r)
    return Error("in @" + fn.name() + ": " + r.error().message());
  return r;
}

} // namespace rnnc::ir
