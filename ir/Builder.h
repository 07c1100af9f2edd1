//===- Builder.h - Making IR ops with inferred result types -----*- C++ -*-===//
///
/// \file
/// The one way the front end and the passes make IR ops. A Builder inserts
/// at a point of a block (moving past each op it makes) and takes every
/// result type from the typing rules of ir/ShapeInference.h, so no caller
/// states a shape. Ops whose types cannot be inferred from their operands
/// have entry points of their own: `constant` (its type is declared),
/// `scan` and `fusion` (their types come from a finished body), and `clone`
/// (a copy keeps the original's types and names).
///
/// An ill-typed op is not made: the call returns null and the builder keeps
/// the first message (`error()`). A null operand gives null without a new
/// message, so a chain of calls needs one check at its end.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/IR.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rnnc::ir {

/// Values of one block and their copies in another.
using ValueMap = std::map<const Value *, Value *>;

/// The copy of `v` in `map`, or null.
Value *lookup(const ValueMap &map, const Value *v);

class Builder {
public:
  /// Appends to `block`.
  explicit Builder(Block &block) : block_(&block) {}
  /// Inserts at index `pos` of `block`.
  Builder(Block &block, size_t pos) : block_(&block), pos_(pos) {}
  /// Inserts right before / right after `op`.
  static Builder before(Operation *op);
  static Builder after(Operation *op);

  Block &block() const { return *block_; }
  /// Where the next op goes.
  size_t position() const { return pos_ ? *pos_ : block_->operations().size(); }
  /// The source location given to every op made from now on.
  void setLoc(SourceLocation loc) { loc_ = loc; }

  /// The first typing failure, or "".
  const std::string &error() const { return error_; }

  /// `kind(operands) {attrs}`, one result typed by ir/ShapeInference.h.
  Value *create(OpKind kind, std::vector<Value *> operands, AttributeMap attrs = {});

  Value *neg(Value *x) { return create(OpKind::Neg, {x}); }
  Value *add(Value *a, Value *b) { return create(OpKind::Add, {a, b}); }
  Value *sub(Value *a, Value *b) { return create(OpKind::Sub, {a, b}); }
  Value *mul(Value *a, Value *b) { return create(OpKind::Mul, {a, b}); }
  Value *div(Value *a, Value *b) { return create(OpKind::Div, {a, b}); }
  Value *matmul(Value *a, Value *b) { return create(OpKind::MatMul, {a, b}); }
  Value *matmulNT(Value *a, Value *b) { return create(OpKind::MatMulNT, {a, b}); }
  Value *matmulTN(Value *a, Value *b) { return create(OpKind::MatMulTN, {a, b}); }
  Value *gather(Value *table, Value *indices) {
    return create(OpKind::Gather, {table, indices});
  }
  Value *scatterAdd(Value *indices, Value *src, int64_t rows) {
    return create(OpKind::ScatterAdd, {indices, src}, {{"rows", rows}});
  }
  Value *concat(std::vector<Value *> parts) { return create(OpKind::Concat, std::move(parts)); }
  Value *slice(Value *x, int64_t begin, int64_t end) {
    return create(OpKind::Slice, {x}, {{"begin", begin}, {"end", end}});
  }
  Value *pad(Value *x, int64_t begin, int64_t size) {
    return create(OpKind::Pad, {x}, {{"begin", begin}, {"size", size}});
  }
  Value *reduceSum(Value *x, std::vector<int64_t> axes) {
    return create(OpKind::ReduceSum, {x}, {{"axes", std::move(axes)}});
  }
  Value *crossEntropy(Value *logits, Value *labels) {
    return create(OpKind::CrossEntropy, {logits, labels});
  }
  Value *crossEntropyGrad(Value *logits, Value *labels, Value *dloss) {
    return create(OpKind::CrossEntropyGrad, {logits, labels, dloss});
  }

  /// A tensor of `type` filled with `value` (a double, or an int64 read
  /// from IR text).
  Value *constant(const TensorType &type, Attribute value);
  /// A scan over `body`, a finished block not yet in any op (arguments as
  /// scanBodyArgumentTypes says, ending in `yield`); its results are typed
  /// by inferScanResultTypes. Null (body dropped) if they do not fit.
  Operation *scan(std::vector<Value *> operands, AttributeMap attrs,
                  std::unique_ptr<Block> body);
  /// A fusion of `body` (arguments typed like `inputs`, ending in `yield`);
  /// its results are typed like the yielded values.
  Operation *fusion(std::vector<Value *> inputs, std::unique_ptr<Block> body);
  Operation *yield(std::vector<Value *> values);
  Operation *returnValues(std::vector<Value *> values);

  /// A copy of `op` (nested blocks included) whose operands are their
  /// copies in `map`; its results join `map`.
  Operation *clone(const Operation &op, ValueMap &map);
  /// Copies of `src`'s ops in order; with `stopBeforeTerminator` the
  /// terminator is left to the caller.
  void cloneOps(const Block &src, ValueMap &map, bool stopBeforeTerminator = false);

private:
  Operation *insert(std::unique_ptr<Operation> op);
  /// Records `message` if it is the first failure; returns null.
  std::nullptr_t fail(const std::string &message);

  Block *block_;
  std::optional<size_t> pos_; ///< nullopt: the end of the block
  SourceLocation loc_;
  std::string error_;
};

} // namespace rnnc::ir
