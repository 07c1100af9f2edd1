//===- Type.cpp - Tensor types of the rnnc IR -----------------------------===//
#include "ir/Type.h"

namespace rnnc::ir {

const char *elementTypeName(ElementType e) {
  return e == ElementType::F32 ? "f32" : "i32";
}

int64_t checkedElementCount(const std::vector<int64_t> &sizes) {
  for (int64_t d : sizes)
    if (d < 0)
      return -1;
  for (int64_t d : sizes)
    if (d == 0)
      return 0;
  int64_t n = 1;
  for (int64_t d : sizes) {
    if (d > kMaxElements / n)
      return -1;
    n *= d;
  }
  return n;
}

std::vector<int64_t> TensorType::shape() const {
  std::vector<int64_t> s;
  s.reserve(dims_.size());
  for (const Dim &d : dims_)
    s.push_back(d.size);
  return s;
}

int64_t TensorType::numElements() const {
  int64_t n = 1;
  for (const Dim &d : dims_)
    n *= d.size;
  return n;
}

TensorType TensorType::withLeading(Dim d) const {
  std::vector<Dim> dims;
  dims.reserve(dims_.size() + 1);
  dims.push_back(std::move(d));
  dims.insert(dims.end(), dims_.begin(), dims_.end());
  return {elem_, std::move(dims)};
}

TensorType TensorType::dropLeading() const {
  return {elem_, std::vector<Dim>(dims_.begin() + (dims_.empty() ? 0 : 1),
                                  dims_.end())};
}

std::string TensorType::str() const {
  std::string s = elementTypeName(elem_);
  s += '[';
  for (size_t i = 0; i < dims_.size(); ++i) {
    if (i)
      s += ',';
    if (!dims_[i].name.empty())
      s += dims_[i].name + '=';
    s += std::to_string(dims_[i].size);
  }
  return s + ']';
}

std::string TensorType::shapeStr() const {
  std::string s = "[";
  for (size_t i = 0; i < dims_.size(); ++i) {
    if (i)
      s += ',';
    s += dims_[i].name.empty() ? std::to_string(dims_[i].size) : dims_[i].name;
  }
  return s + ']';
}

} // namespace rnnc::ir
