//===- ShapeInferenceSupport.h - Helpers of the shape rules -----*- C++ -*-===//
///
/// \file
/// What ShapeInference.cpp and ShapeInferenceRowOps.cpp share: the result
/// type of a rule, its failure message, and how a type is named in one.
/// Private to ir/.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Error.h"
#include "ir/IR.h"

#include <string>
#include <vector>

namespace rnnc::ir::shape_rules {

using Types = std::vector<TensorType>;
using Result = Expected<Types>;

/// The failure of a rule: `message` prefixed by the op name.
inline Error fail(OpKind kind, const std::string &message) {
  return Error(std::string(opKindName(kind)) + ": " + message);
}

/// `f32[2,3]`: the element type and the shape, as messages name a type.
inline std::string show(const TensorType &t) {
  return std::string(elementTypeName(t.elementType())) + t.shapeStr();
}

} // namespace rnnc::ir::shape_rules
