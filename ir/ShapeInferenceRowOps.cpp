//===- ShapeInferenceRowOps.cpp - Typing rules of the row ops -------------===//
///
/// \file
/// The row ops of ir/Ops.def treat the last axis as a row: row_sum and
/// row_max keep it with size 1 (so the result broadcasts back through
/// row_broadcast), layer_norm and the two adjoints keep the operand's type.
/// Kept apart from ShapeInference.cpp so the normalisation ops read as one
/// group; inferResultTypes dispatches here.
///
//===----------------------------------------------------------------------===//
#include "ir/ShapeInference.h"
#include "ir/ShapeInferenceSupport.h"

#include <cmath>

namespace rnnc::ir {

namespace {

using namespace shape_rules;

/// `t` with its last axis replaced by `last`.
TensorType withLast(const TensorType &t, Dim last) {
  std::vector<Dim> dims = t.dims();
  dims.back() = std::move(last);
  return TensorType(t.elementType(), std::move(dims));
}

/// Equal element type and sizes except the last axis.
bool sameRows(const TensorType &a, const TensorType &b) {
  if (a.elementType() != b.elementType() || a.rank() != b.rank())
    return false;
  for (size_t i = 0; i + 1 < a.rank(); ++i)
    if (a.dim(i) != b.dim(i))
      return false;
  return true;
}

} // namespace

Expected<std::vector<TensorType>> inferRowOpTypes(OpKind kind, const std::vector<TensorType> &t,
                                                  const AttributeMap &attrs) {
  for (const TensorType &x : t)
    if (x.elementType() != ElementType::F32 || x.rank() < 1)
      return fail(kind, "operands must be f32 of rank >= 1, got " + show(x));
  const TensorType &x = t[0];
  switch (kind) {
  case OpKind::RowSum:
  case OpKind::RowMax:
    return Types{withLast(x, Dim{1, ""})};
  case OpKind::RowMaxGrad:
    if (!sameRows(x, t[1]) || t[1].dims().back().size != 1)
      return fail(kind,
                  "expects [..., n] and [..., 1], got " + x.shapeStr() + " and " + t[1].shapeStr());
    return Types{x};
  case OpKind::RowBroadcast: {
    auto it = attrs.find("size");
    const int64_t *size = it == attrs.end() ? nullptr : std::get_if<int64_t>(&it->second);
    if (!size)
      return fail(kind, "missing integer attribute 'size'");
    if (*size <= 0)
      return fail(kind, "size must be positive");
    if (x.dims().back().size != 1)
      return fail(kind, "operand must be [..., 1], got " + x.shapeStr());
    return Types{withLast(x, Dim{*size, ""})};
  }
  case OpKind::LayerNorm:
  case OpKind::LayerNormGrad: {
    auto it = attrs.find("epsilon");
    std::optional<double> eps;
    if (it != attrs.end()) {
      if (auto *d = std::get_if<double>(&it->second))
        eps = *d;
      else if (auto *i = std::get_if<int64_t>(&it->second))
        eps = static_cast<double>(*i);
    }
    if (!eps)
      return fail(kind, "missing numeric attribute 'epsilon'");
    if (!(*eps > 0) || !std::isfinite(*eps))
      return fail(kind, "epsilon must be positive and finite");
    if (kind == OpKind::LayerNormGrad && t[1] != x)
      return fail(kind, "expects two operands of one shape, got " + x.shapeStr() + " and " +
                            t[1].shapeStr());
    return Types{x};
  }
  default:
    return fail(kind, "not a row op");
  }
}

} // namespace rnnc::ir
