//===- InterpreterDropout.cpp - The interpreter's dropout kernel ----------===//
///
/// \file
/// The reference for the `dropout` op: every element's keep bit from
/// ir/DropoutMask.h (the function generated code computes too), at the
/// coordinates Ops.def gives: the leading axes pick the key row, then the
/// batch row and the flattened remaining axes (the column).
///
//===----------------------------------------------------------------------===//
#include "ir/DropoutMask.h"
#include "ir/InterpreterKernels.h"

namespace rnnc::ir::kernels {

Result dropout(const Tensor &x, const Tensor &key, double p, int64_t salt) {
  size_t lead = key.rank() ? key.rank() - 1 : 0;
  if (key.rank() < 1 || key.shape.back() != kKeyWords || x.rank() < lead + 2)
    return Error("dropout of " + x.shapeStr() + " with key " + key.shapeStr());
  int64_t rows = product(std::vector<int64_t>(key.shape.begin(), key.shape.end() - 1));
  int64_t batch = x.shape[lead];
  int64_t perRow = rows ? x.numElements() / rows : 0;
  int64_t columns = batch ? perRow / batch : 0;
  uint32_t threshold = keepThreshold(p);
  double scale = keepScale(p);
  Tensor out = Tensor::filled(x.shape);
  for (int64_t r = 0; r < rows; ++r) {
    std::array<uint32_t, kKeyWords> words;
    for (int w = 0; w < kKeyWords; ++w) // i32 bit patterns
      words[w] = static_cast<uint32_t>(
          static_cast<int32_t>(key.data[r * kKeyWords + w]));
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t c = 0; c < columns; ++c) {
        int64_t i = r * perRow + b * columns + c;
        bool keep = dropoutKeeps(words, salt, threshold, static_cast<uint32_t>(c),
                                 static_cast<uint32_t>(b));
        out.data[i] = keep ? x.data[i] * scale : 0.0;
      }
  }
  return out;
}

} // namespace rnnc::ir::kernels
