//===- ShapeInference.cpp - Result types of every IR op -------------------===//
///
/// \file
/// The typing rule of each op in ir/Ops.def. Every rule checks operand
/// count, element types, ranks and attributes before it computes a shape, so
/// callers may pass anything (e.g. text straight from the IR parser).
///
//===----------------------------------------------------------------------===//
#include "ir/ShapeInference.h"
#include "ir/ShapeInferenceSupport.h"

#include "ir/DropoutMask.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace rnnc::ir {

namespace {

using namespace shape_rules;

/// The types an op's one body yields (scan, fusion).
Result bodyYieldTypes(const Operation &op, std::string *error) {
  if (op.regions().size() != 1)
    return fail(op.kind(), error, "must have exactly one body");
  Operation *term = op.body().terminator();
  if (!term || term->kind() != OpKind::Yield)
    return fail(op.kind(), error, "body must end with 'yield'");
  Types yieldTypes;
  for (Value *v : term->operands())
    yieldTypes.push_back(v->type());
  return yieldTypes;
}

/// Reads an integer attribute; false (with a message) if missing or not int.
bool getInt(const AttributeMap &attrs, const std::string &key, int64_t &out,
            std::string &why) {
  auto it = attrs.find(key);
  if (it == attrs.end()) {
    why = "missing integer attribute '" + key + "'";
    return false;
  }
  if (auto *i = std::get_if<int64_t>(&it->second)) {
    out = *i;
    return true;
  }
  why = "attribute '" + key + "' must be an integer";
  return false;
}

/// Dimensions `[begin, end)` of `t`.
std::vector<Dim> dimsRange(const TensorType &t, size_t begin, size_t end) {
  return std::vector<Dim>(t.dims().begin() + begin, t.dims().begin() + end);
}

/// Equal sizes of the leading `n` dims.
bool samePrefix(const TensorType &a, const TensorType &b, size_t n) {
  if (a.rank() < n || b.rank() < n)
    return false;
  for (size_t i = 0; i < n; ++i)
    if (a.dim(i) != b.dim(i))
      return false;
  return true;
}

/// Fills unnamed dims of `dims` from `other` where sizes agree.
void mergeNames(std::vector<Dim> &dims, const std::vector<Dim> &other) {
  for (size_t i = 0; i < dims.size() && i < other.size(); ++i)
    if (dims[i].name.empty() && dims[i].size == other[i].size)
      dims[i].name = other[i].name;
}

/// Shape rule of the three products; nullopt if the shapes do not fit.
Result inferMatMul(OpKind kind, const Types &t) {
  const TensorType &a = t[0], &b = t[1];
  if (kind == OpKind::MatMulTN) {
    if (a.rank() < 1 || a.rank() != b.rank() || !samePrefix(a, b, a.rank() - 1))
      return std::nullopt;
    return Types{TensorType::f32({a.dims().back(), b.dims().back()})};
  }
  if (a.rank() < 1 || b.rank() != 2)
    return std::nullopt;
  std::vector<Dim> dims = dimsRange(a, 0, a.rank() - 1);
  if (kind == OpKind::MatMul) {
    if (a.dims().back().size != b.dim(0))
      return std::nullopt;
    dims.push_back(b.dims()[1]);
  } else { // MatMulNT
    if (a.dims().back().size != b.dim(1))
      return std::nullopt;
    dims.push_back(b.dims()[0]);
  }
  return Types{TensorType::f32(std::move(dims))};
}

/// Wraps inferMatMul with a message showing both shapes.
Result checkMatMul(OpKind kind, const Types &t, std::string *error) {
  if (t[0].elementType() != ElementType::F32 ||
      t[1].elementType() != ElementType::F32)
    return fail(kind, error,
                "operands must be f32, got " + show(t[0]) + " and " +
                    show(t[1]));
  if (Result r = inferMatMul(kind, t))
    return r;
  const char *rule = kind == OpKind::MatMul ? "expects [..., K] and [K, N]"
                     : kind == OpKind::MatMulNT
                         ? "expects [..., N] and [K, N]"
                         : "expects [..., K] and [..., N]";
  return fail(kind, error,
              std::string(rule) + ", got " + t[0].shapeStr() + " and " +
                  t[1].shapeStr());
}

Result inferIndexing(OpKind kind, const Types &t, const AttributeMap &attrs,
                     std::string *error) {
  std::string why;
  switch (kind) {
  case OpKind::OneHot: {
    int64_t depth;
    if (!getInt(attrs, "depth", depth, why))
      return fail(kind, error, why);
    if (depth <= 0)
      return fail(kind, error, "depth must be positive");
    if (t[0].elementType() != ElementType::I32)
      return fail(kind, error, "indices must be i32, got " + show(t[0]));
    std::vector<Dim> dims = t[0].dims();
    dims.push_back(Dim{depth, ""});
    return Types{TensorType::f32(std::move(dims))};
  }
  case OpKind::Gather: {
    const TensorType &table = t[0], &idx = t[1];
    if (table.rank() != 2)
      return fail(kind, error, "table must be [V, E], got " + table.shapeStr());
    if (idx.elementType() != ElementType::I32)
      return fail(kind, error, "indices must be i32, got " + show(idx));
    std::vector<Dim> dims = idx.dims();
    dims.push_back(table.dims()[1]);
    return Types{TensorType(table.elementType(), std::move(dims))};
  }
  case OpKind::ScatterAdd: {
    const TensorType &idx = t[0], &src = t[1];
    int64_t rows;
    if (!getInt(attrs, "rows", rows, why))
      return fail(kind, error, why);
    if (rows <= 0)
      return fail(kind, error, "rows must be positive");
    if (idx.elementType() != ElementType::I32)
      return fail(kind, error, "indices must be i32, got " + show(idx));
    if (src.rank() != idx.rank() + 1 || !samePrefix(idx, src, idx.rank()))
      return fail(kind, error,
                  "source must be indices shape + [E], got " + idx.shapeStr() +
                      " and " + src.shapeStr());
    return Types{
        TensorType(src.elementType(), {Dim{rows, ""}, src.dims().back()})};
  }
  case OpKind::Slice:
  case OpKind::Pad: {
    const TensorType &x = t[0];
    if (x.rank() < 1)
      return fail(kind, error, "operand must have rank >= 1");
    int64_t begin, end;
    const char *endKey = kind == OpKind::Slice ? "end" : "size";
    if (!getInt(attrs, "begin", begin, why) || !getInt(attrs, endKey, end, why))
      return fail(kind, error, why);
    int64_t last = x.dims().back().size;
    std::vector<Dim> dims = dimsRange(x, 0, x.rank() - 1);
    if (kind == OpKind::Slice) {
      if (begin < 0 || begin >= end || end > last)
        return fail(
            kind, error,
            "bounds [" + std::to_string(begin) + ", " + std::to_string(end) +
                ") out of range for last axis of size " + std::to_string(last));
      dims.push_back(Dim{end - begin, ""});
    } else {
      if (begin < 0 || end < last || begin > end - last) // no overflow
        return fail(kind, error,
                    "cannot place " + std::to_string(last) + " elements at " +
                        std::to_string(begin) + " in size " +
                        std::to_string(end));
      dims.push_back(Dim{end, ""});
    }
    return Types{TensorType(x.elementType(), std::move(dims))};
  }
  case OpKind::ReduceSum: {
    const TensorType &x = t[0];
    auto it = attrs.find("axes");
    auto *axes = it == attrs.end()
                     ? nullptr
                     : std::get_if<std::vector<int64_t>>(&it->second);
    if (!axes)
      return fail(kind, error, "missing integer list attribute 'axes'");
    std::set<int64_t> drop;
    for (int64_t a : *axes) {
      if (a < 0 || a >= static_cast<int64_t>(x.rank()))
        return fail(kind, error,
                    "axis " + std::to_string(a) + " out of range for rank " +
                        std::to_string(x.rank()));
      if (!drop.insert(a).second)
        return fail(kind, error, "axis " + std::to_string(a) + " repeated");
    }
    std::vector<Dim> dims;
    for (size_t i = 0; i < x.rank(); ++i)
      if (!drop.count(static_cast<int64_t>(i)))
        dims.push_back(x.dims()[i]);
    return Types{TensorType(x.elementType(), std::move(dims))};
  }
  default:
    return fail(kind, error, "not an indexing op");
  }
}

Result inferConcat(const Types &t, std::string *error) {
  if (t.empty())
    return fail(OpKind::Concat, error, "needs at least one operand");
  const TensorType &first = t[0];
  if (first.rank() < 1)
    return fail(OpKind::Concat, error, "operands must have rank >= 1");
  size_t lead = first.rank() - 1;
  int64_t total = 0;
  for (const TensorType &x : t) {
    if (x.elementType() != first.elementType() || x.rank() != first.rank() ||
        !samePrefix(x, first, lead))
      return fail(OpKind::Concat, error,
                  "operands differ before the last axis: " + first.shapeStr() +
                      " and " + x.shapeStr());
    total += x.dims().back().size;
  }
  std::vector<Dim> dims = dimsRange(first, 0, lead);
  dims.push_back(Dim{total, t.size() == 1 ? first.dims().back().name : ""});
  return Types{TensorType(first.elementType(), std::move(dims))};
}

/// dropout(x: f32[L..., B, C...], key: i32[L..., kKeyWords]) -> x.
Result inferDropout(const Types &t, const AttributeMap &attrs, std::string *error) {
  const OpKind kind = OpKind::Dropout;
  const TensorType &x = t[0], &key = t[1];
  std::string why;
  int64_t salt;
  if (!getInt(attrs, "salt", salt, why))
    return fail(kind, error, why);
  auto p = attrs.find("p");
  const double *pv = p == attrs.end() ? nullptr : std::get_if<double>(&p->second);
  if (!pv || !(*pv >= 0.0 && *pv < 1.0))
    return fail(kind, error, "attribute 'p' must be a real in [0, 1)");
  if (x.elementType() != ElementType::F32)
    return fail(kind, error, "operand must be f32, got " + show(x));
  if (key.elementType() != ElementType::I32 || key.rank() < 1 ||
      key.dims().back().size != kKeyWords)
    return fail(kind, error,
                "key must be i32[..., " + std::to_string(kKeyWords) + "], got " +
                    show(key));
  if (x.rank() < key.rank() + 1 || !samePrefix(x, key, key.rank() - 1))
    return fail(kind, error,
                "operand must be the key's leading axes + [B, ...], got " +
                    x.shapeStr() + " and " + key.shapeStr());
  return Types{x};
}

Result inferLoss(OpKind kind, const Types &t, std::string *error) {
  const TensorType &logits = t[0], &labels = t[1];
  if (logits.elementType() != ElementType::F32)
    return fail(kind, error, "logits must be f32, got " + show(logits));
  if (labels.elementType() != ElementType::I32)
    return fail(kind, error, "labels must be i32, got " + show(labels));
  if (logits.rank() != labels.rank() + 1 ||
      !samePrefix(logits, labels, labels.rank()))
    return fail(kind, error,
                "logits must be labels shape + [V], got " + logits.shapeStr() +
                    " and " + labels.shapeStr());
  if (kind == OpKind::CrossEntropy)
    return Types{TensorType::f32({})};
  if (t[2] != TensorType::f32({}))
    return fail(kind, error, "loss gradient must be f32[], got " + show(t[2]));
  return Types{logits};
}

} // namespace

const std::string *unknownAttribute(OpKind kind, const AttributeMap &attrs) {
  const std::vector<std::string> &known = opKindAttributeNames(kind);
  for (const auto &entry : attrs)
    if (std::find(known.begin(), known.end(), entry.first) == known.end())
      return &entry.first;
  return nullptr;
}

std::string describeAttributeNames(OpKind kind) {
  std::string list;
  for (const std::string &name : opKindAttributeNames(kind))
    list += (list.empty() ? "" : ", ") + name;
  return list.empty() ? "none" : list;
}

std::optional<TensorType> broadcastTypes(const TensorType &a,
                                         const TensorType &b) {
  if (a.elementType() != b.elementType())
    return std::nullopt;
  const TensorType &lng = a.rank() >= b.rank() ? a : b;
  const TensorType &shrt = a.rank() >= b.rank() ? b : a;
  size_t off = lng.rank() - shrt.rank();
  for (size_t i = 0; i < shrt.rank(); ++i)
    if (shrt.dim(i) != lng.dim(off + i))
      return std::nullopt;
  std::vector<Dim> dims = lng.dims();
  std::vector<Dim> tail = dimsRange(lng, off, lng.rank());
  mergeNames(tail, shrt.dims());
  std::copy(tail.begin(), tail.end(), dims.begin() + off);
  return TensorType(lng.elementType(), std::move(dims));
}

std::optional<std::vector<TensorType>>
inferResultTypes(OpKind kind, const std::vector<TensorType> &t,
                 const AttributeMap &attrs, std::string *error) {
  int expected = opKindNumOperands(kind);
  if (expected >= 0 && static_cast<int>(t.size()) != expected)
    return fail(kind, error,
                "expects " + std::to_string(expected) + " operand(s), got " +
                    std::to_string(t.size()));
  if (isElementwiseUnary(kind)) {
    if (t[0].elementType() != ElementType::F32)
      return fail(kind, error, "operand must be f32, got " + show(t[0]));
    return Types{t[0]};
  }
  if (isElementwiseBinary(kind)) {
    if (auto r = broadcastTypes(t[0], t[1]))
      return Types{*r};
    return fail(kind, error,
                "cannot broadcast " + show(t[0]) + " and " + show(t[1]));
  }
  switch (kind) {
  case OpKind::MatMul:
  case OpKind::MatMulNT:
  case OpKind::MatMulTN:
    return checkMatMul(kind, t, error);
  case OpKind::OneHot:
  case OpKind::Gather:
  case OpKind::ScatterAdd:
  case OpKind::Slice:
  case OpKind::Pad:
  case OpKind::ReduceSum:
    return inferIndexing(kind, t, attrs, error);
  case OpKind::Concat:
    return inferConcat(t, error);
  case OpKind::RowSum:
  case OpKind::RowMax:
  case OpKind::RowMaxGrad:
  case OpKind::RowBroadcast:
  case OpKind::LayerNorm:
  case OpKind::LayerNormGrad:
    return inferRowOpTypes(kind, t, attrs, error);
  case OpKind::CrossEntropy:
  case OpKind::CrossEntropyGrad:
    return inferLoss(kind, t, error);
  case OpKind::Dropout:
    return inferDropout(t, attrs, error);
  case OpKind::Yield:
  case OpKind::Return:
    return Types{};
  case OpKind::Constant:
    return fail(kind, error,
                "the type of a constant is declared, not inferred");
  case OpKind::Scan:
    return fail(kind, error, "scan result types come from its body");
  case OpKind::Fusion:
    return fail(kind, error, "fusion result types come from its body");
  default:
    return fail(kind, error, "no typing rule");
  }
}

std::optional<std::vector<TensorType>>
scanBodyArgumentTypes(const std::vector<TensorType> &t,
                      const AttributeMap &attrs, std::string *error) {
  std::string why;
  int64_t carried, sequences, reverse;
  if (!getInt(attrs, "carried", carried, why) ||
      !getInt(attrs, "sequences", sequences, why) ||
      !getInt(attrs, "reverse", reverse, why))
    return fail(OpKind::Scan, error, why);
  if (carried < 0 || sequences < 1 ||
      carried + sequences > static_cast<int64_t>(t.size()))
    return fail(OpKind::Scan, error,
                "segments carried = " + std::to_string(carried) +
                    ", sequences = " + std::to_string(sequences) +
                    " do not fit " + std::to_string(t.size()) +
                    " operand(s) (at least one sequence is required)");
  if (reverse != 0 && reverse != 1)
    return fail(OpKind::Scan, error, "reverse must be 0 or 1");
  Types args;
  int64_t steps = -1;
  for (size_t i = 0; i < t.size(); ++i) {
    bool isSeq = static_cast<int64_t>(i) >= carried &&
                 static_cast<int64_t>(i) < carried + sequences;
    if (!isSeq) {
      args.push_back(t[i]);
      continue;
    }
    if (t[i].rank() < 1)
      return fail(OpKind::Scan, error,
                  "sequence operand #" + std::to_string(i) +
                      " must have a leading [T] axis");
    if (steps >= 0 && t[i].dim(0) != steps)
      return fail(OpKind::Scan, error,
                  "sequences disagree on the number of steps: " +
                      std::to_string(steps) + " and " +
                      std::to_string(t[i].dim(0)));
    steps = t[i].dim(0);
    args.push_back(t[i].dropLeading());
  }
  return args;
}

std::optional<std::vector<TensorType>> inferScanResultTypes(
    const std::vector<TensorType> &t, const AttributeMap &attrs,
    const std::vector<TensorType> &yieldTypes, std::string *error) {
  if (!scanBodyArgumentTypes(t, attrs, error))
    return std::nullopt;
  size_t carried = static_cast<size_t>(std::get<int64_t>(attrs.at("carried")));
  if (yieldTypes.size() < carried)
    return fail(OpKind::Scan, error,
                "body yields " + std::to_string(yieldTypes.size()) +
                    " value(s), fewer than the " + std::to_string(carried) +
                    " carried");
  Types results;
  for (size_t i = 0; i < carried; ++i) {
    if (yieldTypes[i] != t[i])
      return fail(OpKind::Scan, error,
                  "body yields " + show(yieldTypes[i]) + " for carried #" +
                      std::to_string(i) + " of type " + show(t[i]));
    results.push_back(t[i]);
  }
  Dim steps = t[carried].dims()[0];
  for (size_t i = carried; i < yieldTypes.size(); ++i)
    results.push_back(yieldTypes[i].withLeading(steps));
  return results;
}

std::optional<std::vector<TensorType>> inferResultTypes(const Operation &op,
                                                        std::string *error) {
  Types operandTypes;
  for (Value *v : op.operands())
    operandTypes.push_back(v->type());
  if (const std::string *key = unknownAttribute(op.kind(), op.attrs()))
    return fail(op.kind(), error,
                "unknown attribute '" + *key + "' (it takes " +
                    describeAttributeNames(op.kind()) + ")");
  if (op.kind() == OpKind::Constant) {
    if (!op.operands().empty())
      return fail(op.kind(), error, "takes no operands");
    auto it = op.attrs().find("value");
    if (it == op.attrs().end() ||
        !(std::holds_alternative<double>(it->second) ||
          std::holds_alternative<int64_t>(it->second)))
      return fail(op.kind(), error, "missing numeric attribute 'value'");
    if (auto *d = std::get_if<double>(&it->second); d && !std::isfinite(*d))
      return fail(op.kind(), error, "attribute 'value' must be finite");
    if (op.numResults() != 1)
      return fail(op.kind(), error, "must have exactly one result");
    return Types{op.result()->type()};
  }
  if (op.kind() == OpKind::Scan) {
    Result yieldTypes = bodyYieldTypes(op, error);
    if (!yieldTypes)
      return std::nullopt;
    return inferScanResultTypes(operandTypes, op.attrs(), *yieldTypes, error);
  }
  if (op.kind() == OpKind::Fusion) {
    // Results are the yielded values; the body's arguments mirror the
    // operands (checked by the verifier and the parser).
    Result yieldTypes = bodyYieldTypes(op, error);
    if (yieldTypes && yieldTypes->empty())
      return fail(op.kind(), error, "body must yield at least one value");
    return yieldTypes;
  }
  return inferResultTypes(op.kind(), operandTypes, op.attrs(), error);
}

} // namespace rnnc::ir
