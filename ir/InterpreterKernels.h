//===- InterpreterKernels.h - The interpreter's per-op kernels --*- C++ -*-===//
///
/// \file
/// Internal to the reference interpreter (ir/Interpreter.cpp): one function
/// per op over dense double tensors. Each checks its operands' shapes and
/// returns nullopt with a message in `err` instead of reading out of bounds.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Interpreter.h"

#include <optional>
#include <string>
#include <vector>

namespace rnnc::ir::kernels {

using Result = std::optional<Tensor>;

/// Sets `err` and returns nullopt.
Result fail(std::string &err, std::string msg);
/// `[2,3]`.
std::string shapeString(const std::vector<int64_t> &shape);
int64_t product(const std::vector<int64_t> &shape);

Result unary(OpKind k, const Tensor &x);
/// add/sub/mul/div with suffix broadcasting (Ops.def).
Result binary(OpKind k, const Tensor &a, const Tensor &b, std::string &err);
/// matmul, matmul_nt, matmul_tn (Eigen).
Result matmul(OpKind k, const Tensor &a, const Tensor &b, std::string &err);
Result oneHot(const Tensor &idx, int64_t depth, std::string &err);
Result gather(const Tensor &table, const Tensor &idx, std::string &err);
Result scatterAdd(const Tensor &idx, const Tensor &src, int64_t rows,
                  std::string &err);
Result concat(const std::vector<const Tensor *> &parts, std::string &err);
/// slice (isPad = false; `extent` = end) or pad (isPad = true; `extent` = size).
Result sliceOrPad(const Tensor &x, int64_t begin, int64_t extent, bool isPad,
                  std::string &err);
Result reduceSum(const Tensor &x, const std::vector<int64_t> &axes,
                 std::string &err);
/// row_sum or row_max (ir/InterpreterRowKernels.cpp, like the three below).
Result rowReduce(OpKind k, const Tensor &x, std::string &err);
/// dy at the first maximum of each row of x (lowest index among ties).
Result rowMaxGrad(const Tensor &x, const Tensor &dy, std::string &err);
Result rowBroadcast(const Tensor &x, int64_t size, std::string &err);
/// layer_norm of each row; with `dy`, layer_norm_grad.
Result layerNorm(const Tensor &x, const Tensor *dy, double eps, std::string &err);
/// Mean softmax cross-entropy; with `dloss`, its gradient w.r.t. the logits.
Result crossEntropy(const Tensor &logits, const Tensor &labels,
                    const Tensor *dloss, std::string &err);

/// Inverted dropout with ir/DropoutMask.h's mask (InterpreterDropout.cpp).
Result dropout(const Tensor &x, const Tensor &key, double p, int64_t salt,
               std::string &err);

} // namespace rnnc::ir::kernels
