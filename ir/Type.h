//===- Type.h - Tensor types of the rnnc IR ---------------------*- C++ -*-===//
///
/// \file
/// Every IR value is a tensor with a concrete element type and shape. A
/// dimension may keep the symbolic name it came from in the DSL (`V`, `H`, `B`,
/// `T`) so that printed IR and error messages read like the model: the type of
/// the d2l hidden state prints as `f32[B=32,H=256]`.
///
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace rnnc::ir {

enum class ElementType { F32, I32 };

/// Size limits of IR text (ir/Parser.h) and checkpoints (runtime/data/Checkpoint.h):
/// a dimension is at most 2^31-1, and so is a tensor's element count, so that
/// every size fits the i32 indices and the byte counts (x4) fit int64 with
/// room to spare. Larger sizes are rejected with a message, never wrapped.
constexpr int64_t kMaxDimSize = (int64_t(1) << 31) - 1;
constexpr int64_t kMaxElements = (int64_t(1) << 31) - 1;

/// The product of `sizes` (all >= 0), or -1 if it exceeds kMaxElements
/// (checked before each multiplication, so it never overflows).
int64_t checkedElementCount(const std::vector<int64_t> &sizes);

const char *elementTypeName(ElementType e);

struct Dim {
  int64_t size = 0;
  std::string name; ///< Empty when the dimension has no symbolic name.
  bool operator==(const Dim &o) const { return size == o.size; }
  bool operator!=(const Dim &o) const { return !(*this == o); }
};

class TensorType {
public:
  TensorType() = default;
  TensorType(ElementType elem, std::vector<Dim> dims)
      : elem_(elem), dims_(std::move(dims)) {}
  static TensorType f32(std::vector<Dim> dims) {
    return TensorType(ElementType::F32, std::move(dims));
  }
  static TensorType i32(std::vector<Dim> dims) {
    return TensorType(ElementType::I32, std::move(dims));
  }

  ElementType elementType() const { return elem_; }
  const std::vector<Dim> &dims() const { return dims_; }
  size_t rank() const { return dims_.size(); }
  int64_t dim(size_t i) const { return dims_[i].size; }
  std::vector<int64_t> shape() const;
  int64_t numElements() const;
  /// numElements(), or -1 above kMaxElements (see checkedElementCount).
  int64_t checkedNumElements() const { return checkedElementCount(shape()); }

  /// This type with `d` prepended / the first axis dropped (scan slicing).
  TensorType withLeading(Dim d) const;
  TensorType dropLeading() const;
  TensorType withElementType(ElementType e) const { return {e, dims_}; }

  /// Equal element type and sizes; names are documentation only.
  bool operator==(const TensorType &o) const {
    return elem_ == o.elem_ && dims_ == o.dims_;
  }
  bool operator!=(const TensorType &o) const { return !(*this == o); }

  /// `f32[B=32,H=256]`, `i32[35,32]`, `f32[]`.
  std::string str() const;
  /// Shape only, with names where known: `[B,V]` or `[32,1027]`.
  std::string shapeStr() const;

private:
  ElementType elem_ = ElementType::F32;
  std::vector<Dim> dims_;
};

} // namespace rnnc::ir
