//===- ShapeInference.h - Result types of every IR op -----------*- C++ -*-===//
///
/// \file
/// One place that knows each op's typing rule (see ir/Ops.def): given an op
/// kind, its operand types and attributes, compute the result types or say
/// why the op is ill-typed. The verifier and the IR text parser check ops
/// with these functions, and ir/Builder.h, through which the front end and
/// the passes make every op, types them with it, so the rules cannot drift
/// apart. Dimension names survive where they can
/// (`[B,H] @ [H,V]` gives `[B,V]`); they are documentation only.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Error.h"
#include "ir/IR.h"

#include <optional>
#include <string>
#include <vector>

namespace rnnc::ir {

/// Result types of an op of `kind` applied to `operandTypes` with `attrs`,
/// or an Error whose message names the op (e.g. `matmul: expects [..., K]
/// and [K, N], got [B,V] and [H,H]`). `constant` (its type is declared, not
/// inferred) and `scan` (its types come from its body) are errors here: use
/// inferScanResultTypes, or inferResultTypes(const Operation&).
Expected<std::vector<TensorType>>
inferResultTypes(OpKind kind, const std::vector<TensorType> &operandTypes,
                 const AttributeMap &attrs);

/// The types a scan body's arguments must have: carried types, one time
/// slice of each sequence (leading axis dropped), then the invariants.
Expected<std::vector<TensorType>>
scanBodyArgumentTypes(const std::vector<TensorType> &operandTypes,
                      const AttributeMap &attrs);

/// Scan result types from its operands and the types its body yields:
/// the carried types, then each per-step output stacked to [T, ...], where T
/// is the leading dimension of the sequences (all must agree). Checks that
/// the yielded carried types equal the carried operand types.
Expected<std::vector<TensorType>>
inferScanResultTypes(const std::vector<TensorType> &operandTypes, const AttributeMap &attrs,
                     const std::vector<TensorType> &yieldTypes);

/// Result types of an existing op: dispatches to the rules above, taking a
/// constant's declared type and a scan's or fusion's body yield into account
/// (a fusion's results are exactly the types its body yields).
Expected<std::vector<TensorType>> inferResultTypes(const Operation &op);

/// The typing rule of the ops with the RowOp trait (ir/Ops.def: row_sum,
/// row_max, row_max_grad, row_broadcast, layer_norm, layer_norm_grad;
/// ir/ShapeInferenceRowOps.cpp), called by inferResultTypes after the
/// operand count is checked.
Expected<std::vector<TensorType>>
inferRowOpTypes(OpKind kind, const std::vector<TensorType> &operandTypes,
                const AttributeMap &attrs);

/// The first attribute of `attrs` that `kind` does not take, or nullptr.
const std::string *unknownAttribute(OpKind kind, const AttributeMap &attrs);

/// "begin, end" or "none", for messages.
std::string describeAttributeNames(OpKind kind);

/// The broadcast result of two operand shapes (equal, or one a suffix of the
/// other), with names merged; nullopt if incompatible.
std::optional<TensorType> broadcastTypes(const TensorType &a,
                                         const TensorType &b);

} // namespace rnnc::ir
