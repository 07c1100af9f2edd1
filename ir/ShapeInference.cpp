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
Result bodyYieldTypes(const Operation &op) {
  if (op.regions().size() != 1)
    return fail(op.kind(), "must have exactly one body");
  Operation *term = op.body().terminator();
  if (!term || term->kind() != OpKind::Yield)
    return fail(op.kind(), "body must end with 'yield'");
  Types yieldTypes;
  for (Value *v : term->operands())
    yieldTypes.push_back(v->type());
  return yieldTypes;
}

/// Reads an integer attribute; an Error (message without the op name) if it
/// is missing or not an integer.
Expected<int64_t> getInt(const AttributeMap &attrs, const std::string &key) {
  auto it = attrs.find(key);
  if (it == attrs.end())
    return Error("missing integer attribute '" + key + "'");
  if (auto *i = std::get_if<int64_t>(&it->second))
    return *i;
  return Error("attribute '" + key + "' must be an integer");
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
std::optional<Types> inferMatMul(OpKind kind, const Types &t) {
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
Result checkMatMul(OpKind kind, const Types &t) {
  if (t[0].elementType() != ElementType::F32 ||
      t[1].elementType() != ElementType::F32)
    return fail(kind, "operands must be f32, got " + show(t[0]) + " and " + show(t[1]));
  if (std::optional<Types> r = inferMatMul(kind, t))
    return *r;
  const char *rule = kind == OpKind::MatMul ? "expects [..., K] and [K, N]"
                     : kind == OpKind::MatMulNT
                         ? "expects [..., N] and [K, N]"
                         : "expects [..., K] and [..., N]";
  return fail(kind, std::string(rule) + ", got " + t[0].shapeStr() + " and " + t[1].shapeStr());
}

Result inferIndexing(OpKind kind, const Types &t, const AttributeMap &attrs) {
  switch (kind) {
  case OpKind::OneHot: {
    Expected<int64_t> depth = getInt(attrs, "depth");
    if (!depth)
      return fail(kind, depth.error().message());
    if (*depth <= 0)
      return fail(kind, "depth must be positive");
    if (t[0].elementType() != ElementType::I32)
      return fail(kind, "indices must be i32, got " + show(t[0]));
    std::vector<Dim> dims = t[0].dims();
    dims.push_back(Dim{*depth, ""});
    return Types{TensorType::f32(std::move(dims))};
  }
  case OpKind::Gather: {
    const TensorType &table = t[0], &idx = t[1];
    if (table.rank() != 2)
      return fail(kind, "table must be [V, E], got " + table.shapeStr());
    if (idx.elementType() != ElementType::I32)
      return fail(kind, "indices must be i32, got " + show(idx));
    std::vector<Dim> dims = idx.dims();
    dims.push_back(table.dims()[1]);
    return Types{TensorType(table.elementType(), std::move(dims))};
  }
  case OpKind::ScatterAdd: {
    const TensorType &idx = t[0], &src = t[1];
    Expected<int64_t> rows = getInt(attrs, "rows");
    if (!rows)
      return fail(kind, rows.error().message());
    if (*rows <= 0)
      return fail(kind, "rows must be positive");
    if (idx.elementType() != ElementType::I32)
      return fail(kind, "indices must be i32, got " + show(idx));
    if (src.rank() != idx.rank() + 1 || !samePrefix(idx, src, idx.rank()))
      return fail(kind, "source must be indices shape + [E], got " + idx.shapeStr() + " and " +
                            src.shapeStr());
    return Types{TensorType(src.elementType(), {Dim{*rows, ""}, src.dims().back()})};
  }
  case OpKind::Slice:
  case OpKind::Pad: {
    const TensorType &x = t[0];
    if (x.rank() < 1)
      return fail(kind, "operand must have rank >= 1");
    const char *endKey = kind == OpKind::Slice ? "end" : "size";
    Expected<int64_t> beginAttr = getInt(attrs, "begin");
    if (!beginAttr)
      return fail(kind, beginAttr.error().message());
    Expected<int64_t> endAttr = getInt(attrs, endKey);
    if (!endAttr)
      return fail(kind, endAttr.error().message());
    int64_t begin = *beginAttr, end = *endAttr;
    int64_t last = x.dims().back().size;
    std::vector<Dim> dims = dimsRange(x, 0, x.rank() - 1);
    if (kind == OpKind::Slice) {
      if (begin < 0 || begin >= end || end > last)
        return fail(kind, "bounds [" + std::to_string(begin) + ", " + std::to_string(end) +
                              ") out of range for last axis of size " + std::to_string(last));
      dims.push_back(Dim{end - begin, ""});
    } else {
      if (begin < 0 || end < last || begin > end - last) // no overflow
        return fail(kind, "cannot place " + std::to_string(last) + " elements at " +
                              std::to_string(begin) + " in size " + std::to_string(end));
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
      return fail(kind, "missing integer list attribute 'axes'");
    std::set<int64_t> drop;
    for (int64_t a : *axes) {
      if (a < 0 || a >= static_cast<int64_t>(x.rank()))
        return fail(kind, "axis " + std::to_string(a) + " out of range for rank " +
                              std::to_string(x.rank()));
      if (!drop.insert(a).second)
        return fail(kind, "axis " + std::to_string(a) + " repeated");
    }
    std::vector<Dim> dims;
    for (size_t i = 0; i < x.rank(); ++i)
      if (!drop.count(static_cast<int64_t>(i)))
        dims.push_back(x.dims()[i]);
    return Types{TensorType(x.elementType(), std::move(dims))};
  }
  default:
    return fail(kind, "not an indexing op");
  }
}

Result inferConcat(const Types &t) {
  if (t.empty())
    return fail(OpKind::Concat, "needs at least one operand");
  const TensorType &first = t[0];
  if (first.rank() < 1)
    return fail(OpKind::Concat, "operands must have rank >= 1");
  size_t lead = first.rank() - 1;
  int64_t total = 0;
  for (const TensorType &x : t) {
    if (x.elementType() != first.elementType() || x.rank() != first.rank() ||
        !samePrefix(x, first, lead))
      return fail(OpKind::Concat, "operands differ before the last axis: " + first.shapeStr() +
                                      " and " + x.shapeStr());
    total += x.dims().back().size;
  }
  std::vector<Dim> dims = dimsRange(first, 0, lead);
  dims.push_back(Dim{total, t.size() == 1 ? first.dims().back().name : ""});
  return Types{TensorType(first.elementType(), std::move(dims))};
}

/// dropout(x: f32[L..., B, C...], key: i32[L..., kKeyWords]) -> x.
Result inferDropout(const Types &t, const AttributeMap &attrs) {
  const OpKind kind = OpKind::Dropout;
  const TensorType &x = t[0], &key = t[1];
  if (Expected<int64_t> salt = getInt(attrs, "salt"); !salt)
    return fail(kind, salt.error().message());
  auto p = attrs.find("p");
  const double *pv = p == attrs.end() ? nullptr : std::get_if<double>(&p->second);
  if (!pv || !(*pv >= 0.0 && *pv < 1.0))
    return fail(kind, "attribute 'p' must be a real in [0, 1)");
  if (x.elementType() != ElementType::F32)
    return fail(kind, "operand must be f32, got " + show(x));
  if (key.elementType() != ElementType::I32 || key.rank() < 1 ||
      key.dims().back().size != kKeyWords)
    return fail(kind, "key must be i32[..., " + std::to_string(kKeyWords) + "], got " + show(key));
  if (x.rank() < key.rank() + 1 || !samePrefix(x, key, key.rank() - 1))
    return fail(kind, "operand must be the key's leading axes + [B, ...], got " + x.shapeStr() +
                          " and " + key.shapeStr());
  return Types{x};
}

Result inferLoss(OpKind kind, const Types &t) {
  const TensorType &logits = t[0], &labels = t[1];
  if (logits.elementType() != ElementType::F32)
    return fail(kind, "logits must be f32, got " + show(logits));
  if (labels.elementType() != ElementType::I32)
    return fail(kind, "labels must be i32, got " + show(labels));
  if (logits.rank() != labels.rank() + 1 ||
      !samePrefix(logits, labels, labels.rank()))
    return fail(kind, "logits must be labels shape + [V], got " + logits.shapeStr() + " and " +
                          labels.shapeStr());
  if (kind == OpKind::CrossEntropy)
    return Types{TensorType::f32({})};
  if (t[2] != TensorType::f32({}))
    return fail(kind, "loss gradient must be f32[], got " + show(t[2]));
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

Expected<std::vector<TensorType>> inferResultTypes(OpKind kind, const std::vector<TensorType> &t,
                                                   const AttributeMap &attrs) {
  int expected = opKindNumOperands(kind);
  if (expected >= 0 && static_cast<int>(t.size()) != expected)
    return fail(kind, "expects " + std::to_string(expected) + " operand(s), got " +
                          std::to_string(t.size()));
  if (isElementwiseUnary(kind)) {
    if (t[0].elementType() != ElementType::F32)
      return fail(kind, "operand must be f32, got " + show(t[0]));
    return Types{t[0]};
  }
  if (isElementwiseBinary(kind)) {
    if (auto r = broadcastTypes(t[0], t[1]))
      return Types{*r};
    return fail(kind, "cannot broadcast " + show(t[0]) + " and " + show(t[1]));
  }
  if (isMatrixProduct(kind))
    return checkMatMul(kind, t);
  if (isRowOp(kind))
    return inferRowOpTypes(kind, t, attrs);
  if (isTerminator(kind))
    return Types{};
  switch (kind) {
  case OpKind::OneHot:
  case OpKind::Gather:
  case OpKind::ScatterAdd:
  case OpKind::Slice:
  case OpKind::Pad:
  case OpKind::ReduceSum:
    return inferIndexing(kind, t, attrs);
  case OpKind::Concat:
    return inferConcat(t);
  case OpKind::CrossEntropy:
  case OpKind::CrossEntropyGrad:
    return inferLoss(kind, t);
  case OpKind::Dropout:
    return inferDropout(t, attrs);
  case OpKind::Constant:
    return fail(kind, "the type of a constant is declared, not inferred");
  case OpKind::Scan:
    return fail(kind, "scan result types come from its body");
  case OpKind::Fusion:
    return fail(kind, "fusion result types come from its body");
  default:
    return fail(kind, "no typing rule");
  }
}

Expected<std::vector<TensorType>> scanBodyArgumentTypes(const std::vector<TensorType> &t,
                                                        const AttributeMap &attrs) {
  int64_t carried = 0, sequences = 0, reverse = 0;
  for (auto [key, out] : {std::pair{"carried", &carried}, std::pair{"sequences", &sequences},
                          std::pair{"reverse", &reverse}}) {
    Expected<int64_t> value = getInt(attrs, key);
    if (!value)
      return fail(OpKind::Scan, value.error().message());
    *out = *value;
  }
  if (carried < 0 || sequences < 1 ||
      carried + sequences > static_cast<int64_t>(t.size()))
    return fail(OpKind::Scan, "segments carried = " + std::to_string(carried) +
                                  ", sequences = " + std::to_string(sequences) + " do not fit " +
                                  std::to_string(t.size()) +
                                  " operand(s) (at least one sequence is required)");
  if (reverse != 0 && reverse != 1)
    return fail(OpKind::Scan, "reverse must be 0 or 1");
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
      return fail(OpKind::Scan,
                  "sequence operand #" + std::to_string(i) + " must have a leading [T] axis");
    if (steps >= 0 && t[i].dim(0) != steps)
      return fail(OpKind::Scan, "sequences disagree on the number of steps: " +
                                    std::to_string(steps) + " and " + std::to_string(t[i].dim(0)));
    steps = t[i].dim(0);
    args.push_back(t[i].dropLeading());
  }
  return args;
}

Expected<std::vector<TensorType>> inferScanResultTypes(const std::vector<TensorType> &t,
                                                       const AttributeMap &attrs,
                                                       const std::vector<TensorType> &yieldTypes) {
  if (Result args = scanBodyArgumentTypes(t, attrs); !args)
    return args.error();
  size_t carried = static_cast<size_t>(std::get<int64_t>(attrs.at("carried")));
  if (yieldTypes.size() < carried)
    return fail(OpKind::Scan, "body yields " + std::to_string(yieldTypes.size()) +
                                  " value(s), fewer than the " + std::to_string(carried) +
                                  " carried");
  Types results;
  for (size_t i = 0; i < carried; ++i) {
    if (yieldTypes[i] != t[i])
      return fail(OpKind::Scan, "body yields " + show(yieldTypes[i]) + " for carried #" +
                                    std::to_string(i) + " of type " + show(t[i]));
    results.push_back(t[i]);
  }
  Dim steps = t[carried].dims()[0];
  for (size_t i = carried; i < yieldTypes.size(); ++i)
    results.push_back(yieldTypes[i].withLeading(steps));
  return results;
}

Expected<std::vector<TensorType>> inferResultTypes(const Operation &op) {
  Types operandTypes;
  for (Value *v : op.operands())
    operandTypes.push_back(v->type());
  if (const std::string *key = unknownAttribute(op.kind(), op.attrs()))
    return fail(op.kind(), "unknown attribute '" + *key + "' (it takes " +
                               describeAttributeNames(op.kind()) + ")");
  if (op.kind() == OpKind::Constant) {
    if (!op.operands().empty())
      return fail(op.kind(), "takes no operands");
    auto it = op.attrs().find("value");
    if (it == op.attrs().end() ||
        !(std::holds_alternative<double>(it->second) ||
          std::holds_alternative<int64_t>(it->second)))
      return fail(op.kind(), "missing numeric attribute 'value'");
    if (auto *d = std::get_if<double>(&it->second); d && !std::isfinite(*d))
      return fail(op.kind(), "attribute 'value' must be finite");
    if (op.numResults() != 1)
      return fail(op.kind(), "must have exactly one result");
    return Types{op.result()->type()};
  }
  if (op.kind() == OpKind::Scan) {
    Result yieldTypes = bodyYieldTypes(op);
    if (!yieldTypes)
      return yieldTypes.error();
    return inferScanResultTypes(operandTypes, op.attrs(), *yieldTypes);
  }
  if (op.kind() == OpKind::Fusion) {
    // Results are the yielded values; the body's arguments mirror the
    // operands (checked by the verifier and the parser).
    Result yieldTypes = bodyYieldTypes(op);
    if (yieldTypes && yieldTypes->empty())
      return fail(op.kind(), "body must yield at least one value");
    return yieldTypes;
  }
  return inferResultTypes(op.kind(), operandTypes, op.attrs());
}

} // namespace rnnc::ir
