//===- Kernels.h - Runtime kernels called by generated code -----*- C++ -*-===//
///
/// \file
/// The `extern "C"` entry points that JIT-compiled code calls for work that is
/// not a simple elementwise loop: matrix products (OpenBLAS or Eigen), row
/// gathers and their adjoint, one-hot encoding, softmax cross-entropy and its
/// gradient, last-axis copies (concat/slice/pad), reductions, and the
/// per-call scratch arena. All tensors are dense and row-major; f32 and i32
/// elements are both four bytes, so copy kernels take `void *`. Sizes are
/// int64_t.
///
/// Token ids outside their range never cause undefined behaviour: gathers
/// write a zero row, scatters and losses skip the position (the interpreter,
/// which is the oracle, reports such ids as errors instead).
///
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

extern "C" {

/// out[m,n] = a[m,k] · b[k,n]
void rnnc_matmul(const float *a, const float *b, float *out, int64_t m,
                 int64_t k, int64_t n);
/// out[m,n] = a[m,k] · b[k,n] + bias[n] (the bias added to every row)
void rnnc_matmul_bias(const float *a, const float *b, const float *bias,
                      float *out, int64_t m, int64_t k, int64_t n);
/// out[m,k] = a[m,n] · b[k,n]ᵀ
void rnnc_matmul_nt(const float *a, const float *b, float *out, int64_t m,
                    int64_t n, int64_t k);
/// out[k,n] = a[m,k]ᵀ · b[m,n], or out += that when `accumulate` is non-zero
/// (a weight gradient summed over time steps in place).
void rnnc_matmul_tn(const float *a, const float *b, float *out, int64_t m,
                    int64_t k, int64_t n, int64_t accumulate);

/// packed = b[k,n], or b[n,k]ᵀ when `transposed`, in the panel layout
/// rnnc_matmul_packed reads (packedPanelFloats(k, n) floats): a scan's
/// loop-invariant weight, packed once before the loop.
void rnnc_pack_panels(const float *b, float *packed, int64_t k, int64_t n,
                      int64_t transposed);
/// out[m,n] = a[m,k] · B, with B packed by rnnc_pack_panels.
void rnnc_matmul_packed(const float *a, const float *packed, float *out,
                        int64_t m, int64_t k, int64_t n);

/// body(context, begin, end) over [0, count), split into chunks on the kernel
/// threads when `work` (flops) pays for the hand-off: a fused elementwise loop
/// outlined by the code generator.
void rnnc_parallel_for(void (*body)(void **, int64_t, int64_t), void **context,
                       int64_t count, int64_t work);

/// out[i,:] = table[idx[i],:] for i < rows; table is [vocab, width].
void rnnc_gather(const float *table, const int32_t *idx, float *out,
                 int64_t rows, int64_t vocab, int64_t width);
/// out = zeros[vocab, width] (unless `accumulate`); then
/// out[idx[i],:] += src[i,:] for i < rows.
void rnnc_scatter_add(const int32_t *idx, const float *src, float *out,
                      int64_t rows, int64_t vocab, int64_t width,
                      int64_t accumulate);
/// out[i,:] = onehot(idx[i], depth) for i < rows.
void rnnc_onehot(const int32_t *idx, float *out, int64_t rows, int64_t depth);

/// *out = mean over rows of -log softmax(logits[i,:])[labels[i]].
void rnnc_cross_entropy(const float *logits, const int32_t *labels, float *out,
                        int64_t rows, int64_t classes);
/// out[i,:] = *dloss · (softmax(logits[i,:]) - onehot(labels[i])) / rows.
void rnnc_cross_entropy_grad(const float *logits, const int32_t *labels,
                             const float *dloss, float *out, int64_t rows,
                             int64_t classes);

/// Both of the above in one pass over the logits: *loss as
/// rnnc_cross_entropy, grad as rnnc_cross_entropy_grad.
void rnnc_cross_entropy_with_grad(const float *logits, const int32_t *labels,
                                  const float *dloss, float *loss, float *grad,
                                  int64_t rows, int64_t classes);

/// For each of `rows` rows: copies `count` 4-byte elements from
/// src[row*srcCols + srcBegin ...] to dst[row*dstCols + dstBegin ...].
/// concat, slice and pad (after a zero fill) are all this copy.
void rnnc_copy_columns(const void *src, void *dst, int64_t rows,
                       int64_t srcCols, int64_t srcBegin, int64_t dstCols,
                       int64_t dstBegin, int64_t count);

/// Sums `src` (rank `rank`, dims `shape`) over the axes whose `reduced[i]` is
/// non-zero, writing the remaining axes row-major to `dst`.
void rnnc_reduce_sum(const float *src, float *dst, const int64_t *shape,
                     const int64_t *reduced, int64_t rank);

/// Scratch memory for one call of a generated function: at least `bytes`
/// bytes, 64-byte aligned, contents unspecified. The buffer is cached per
/// thread and reused by the next call, so calls must not nest. Null when
/// `bytes` is above rnnc_arena_limit() or cannot be allocated: the generated
/// function then returns 1 without touching anything (see Codegen.h).
void *rnnc_arena_acquire(int64_t bytes);
void rnnc_arena_release(void *arena);

/// The largest arena rnnc_arena_acquire hands out: the environment variable
/// RNNC_ARENA_LIMIT_BYTES when it is a byte count (tests lower it), else the
/// machine's physical memory. Read once per process.
int64_t rnnc_arena_limit(void);

} // extern "C"

namespace rnnc::runtime {

/// `bytes` for people: "812 B", "6.4 kB", "40.1 GB" (powers of 1000).
std::string formatByteSize(int64_t bytes);

/// Why an arena of `bytes` cannot be had: "needs 40.1 GB of working memory
/// (arena), more than can be allocated (limit 16.8 GB)".
std::string describeArenaShortfall(int64_t bytes);

/// RNNC_ARENA_LIMIT_BYTES parsed: nullopt when unset; false with `*error`
/// when set to something that is not a positive byte count.
bool readArenaLimitVariable(std::optional<int64_t> *limit, std::string *error);

/// A kernel's C name and address, for binding into the JIT.
struct KernelSymbol {
  const char *name;
  void *address;
};

/// Every kernel above.
const std::vector<KernelSymbol> &kernelSymbols();

/// Floats rnnc_pack_panels writes for a [k,n] right operand.
int64_t packedPanelFloats(int64_t k, int64_t n);

} // namespace rnnc::runtime
