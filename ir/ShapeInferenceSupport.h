//===- ShapeInferenceSupport.h - Helpers of the shape rules -----*- C++ -*-===//
///
/// \file
/// What ShapeInference.cpp and ShapeInferenceRowOps.cpp share: the result
/// type of a rule, its failure message, and how a type is named in one.
/// Private to ir/.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/IR.h"

#include <optional>
#include <string>
#include <vector>

namespace rnnc::ir::shape_rules {

using Types = std::vector<TensorType>;
using Result = std::optional<Types>;

/// Records `message` prefixed by the op name and returns failure.
inline Result fail(OpKind kind, std::string *error, const std::string &message) {
  if (error)
    *error = std::string(opKindName(kind)) + ": " + message;
  return std::nullopt;
}

/// `f32[2,3]`: the element type and the shape, as messages name a type.
inline std::string show(const TensorType &t) {
  return std::string(elementTypeName(t.elementType())) + t.shapeStr();
}

} // namespace rnnc::ir::shape_rules
