//===- InterpreterKernels.h - The interpreter's per-op kernels --*- C++ -*-===//
///
/// \file
/// Internal to the reference interpreter (ir/Interpreter.cpp): one function
/// per op over dense double tensors. Each checks its operands' shapes and
/// returns an Error instead of reading out of bounds.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Interpreter.h"

#include <string>
#include <vector>

namespace rnnc::ir::kernels {

using Result = Expected<Tensor>;

/// `[2,3]`.
std::string shapeString(const std::vector<int64_t> &shape);
int64_t product(const std::vector<int64_t> &shape);

Result unary(OpKind k, const Tensor &x);
/// add/sub/mul/div with suffix broadcasting (Ops.def).
Result binary(OpKind k, const Tensor &a, const Tensor &b);
/// matmul, matmul_nt, matmul_tn (Eigen).
Result matmul(OpKind k, const Tensor &a, const Tensor &b);
Result oneHot(const Tensor &idx, int64_t depth);
Result gather(const Tensor &table, const Tensor &idx);
Result scatterAdd(const Tensor &idx, const Tensor &src, int64_t rows);
Result concat(const std::vector<const Tensor *> &parts);
/// slice (isPad = false; `extent` = end) or pad (isPad = true; `extent` = size).
Result sliceOrPad(const Tensor &x, int64_t begin, int64_t extent, bool isPad);
Result reduceSum(const Tensor &x, const std::vector<int64_t> &axes);
/// row_sum or row_max (ir/InterpreterRowKernels.cpp, like the three below).
Result rowReduce(OpKind k, const Tensor &x);
/// dy at the first maximum of each row of x (lowest index among ties).
Result rowMaxGrad(const Tensor &x, const Tensor &dy);
Result rowBroadcast(const Tensor &x, int64_t size);
/// layer_norm of each row; with `dy`, layer_norm_grad.
Result layerNorm(const Tensor &x, const Tensor *dy, double eps);
/// Mean softmax cross-entropy; with `dloss`, its gradient w.r.t. the logits.
Result crossEntropy(const Tensor &logits, const Tensor &labels, const Tensor *dloss);

/// Inverted dropout with ir/DropoutMask.h's mask (InterpreterDropout.cpp).
Result dropout(const Tensor &x, const Tensor &key, double p, int64_t salt);

} // namespace rnnc::ir::kernels
