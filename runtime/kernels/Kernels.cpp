//===- Kernels.cpp - Runtime kernels called by generated code -------------===//
///
/// \file
/// Matrix products go to OpenBLAS's GEMM (about a third faster than Eigen's
/// on this workload's products); a few rows (generation's single row) to a
/// row kernel vectorised per instruction set (SimdKernelsImpl.h); other
/// thin products to Eigen's, which packs into per-thread buffers kept between calls, so a
/// warmed-up train step never allocates. (A scan's per-step products by a
/// packed weight are in KernelsPacked.cpp.) The softmax has its own exp,
/// vectorised per instruction set (SimdKernelsImpl.h); the rest are plain
/// loops, built for baseline x86-64. Everything here is `extern "C"` with no
/// exceptions escaping (nothing here throws except allocation in the arena,
/// which is caught and reported as a null pointer).
///
//===----------------------------------------------------------------------===//
#include "runtime/kernels/Kernels.h"
#include "runtime/kernels/KernelProfile.h"
#include "runtime/kernels/KernelsParallel.h"
#include "runtime/kernels/SimdKernels.h"

#include <Eigen/Core>
#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cerrno>
#include <cstring>
#include <cstdio>
#include <unistd.h>
#include <new>
#include <vector>

// OpenBLAS's pthread build starts its own worker threads when it loads, and
// they spin (sched_yield) for about 0.1 s before sleeping: on two cores that
// took a core from the compiler and the first train steps. The kernels call
// OpenBLAS on one thread per column chunk, so its workers are stopped at
// start-up; blas_thread_shutdown_ is what OpenBLAS itself calls before a
// fork, and it starts them again if a caller later asks for more threads.
extern "C" int blas_thread_shutdown_(void);

namespace {

const bool openBlasSingleThreaded = [] {
  openblas_set_num_threads(1);
  blas_thread_shutdown_();
  return true;
}();

using rnnc::runtime::copyWork;
using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMap = Eigen::Map<const RowMatrix>;
using MutMap = Eigen::Map<RowMatrix>;
/// A column block of a row-major matrix (row stride = the full width).
using StridedMap = Eigen::Map<RowMatrix, 0, Eigen::OuterStride<>>;
using ConstStridedMap = Eigen::Map<const RowMatrix, 0, Eigen::OuterStride<>>;

double flops(int64_t m, int64_t k, int64_t n) {
  return 2.0 * static_cast<double>(m) * static_cast<double>(k) * static_cast<double>(n);
}

/// A softmax row costs about as much as this many flops per element (exp and
/// three passes), for deciding whether to split rows across threads.
double softmaxWork(int64_t rows, int64_t classes) {
  return 16.0 * static_cast<double>(rows) * static_cast<double>(classes);
}

bool inRange(int32_t id, int64_t limit) { return id >= 0 && id < limit; }

/// Sum over j of exp(row[j] - shift), also written to out[j] unless `out` is
/// null; shift is the row maximum, so every exponent is <= 0. Vectorised for
/// the CPU's instruction set (SimdKernelsImpl.h).
float sumExpShifted(const float *row, int64_t n, float shift, float *out) {
  return rnnc::runtime::simdKernels().sumExpShifted(row, n, shift, out);
}

float rowMax(const float *row, int64_t n) {
  return n > 0 ? Eigen::Map<const Eigen::ArrayXf>(row, n).maxCoeff() : 0.0f;
}

/// Row i's log-sum-exp, shifted by the row maximum for stability.
float logSumExp(const float *row, int64_t n) {
  if (n <= 0)
    return 0;
  float maxv = rowMax(row, n);
  return std::log(sumExpShifted(row, n, maxv, nullptr)) + maxv;
}

struct ArenaCache {
  void *data = nullptr;
  int64_t bytes = 0;
  ~ArenaCache() { std::free(data); }
};
thread_local ArenaCache tlsArena;

/// The packing buffers of Eigen's GEMM on this thread, grown to the largest
/// product seen and kept: Eigen would otherwise malloc and free them in
/// every product whose blocks exceed EIGEN_STACK_ALLOCATION_LIMIT.
class PackingBuffers {
public:
  ~PackingBuffers() {
    std::free(lhs_.data);
    std::free(rhs_.data);
  }
  float *lhs(Eigen::Index count) { return lhs_.atLeast(count); }
  float *rhs(Eigen::Index count) { return rhs_.atLeast(count); }

private:
  struct Buffer {
    float *data = nullptr;
    Eigen::Index count = 0;
    /// Null when the allocation fails (Eigen then allocates its own).
    float *atLeast(Eigen::Index wanted) {
      if (wanted <= count)
        return data;
      std::free(data);
      size_t bytes = (static_cast<size_t>(wanted) * sizeof(float) + 63) / 64 * 64;
      data = static_cast<float *>(std::aligned_alloc(64, bytes));
      count = data ? wanted : 0;
      return data;
    }
  };
  Buffer lhs_, rhs_;
};
thread_local PackingBuffers tlsPacking;

/// The blocking Eigen's own gemm_blocking_space picks for a row-major m x n
/// result of depth k on one thread (a row-major result is computed as its
/// column-major transpose: Eigen's "rows" are n), with its blocks in this
/// thread's packing buffers. Same sizes, same kernel: same bits.
class ReusedBlocking : public Eigen::internal::level3_blocking<float, float> {
public:
  ReusedBlocking(Eigen::Index m, Eigen::Index n, Eigen::Index k) {
    m_mc = n;
    m_nc = m;
    m_kc = k;
    Eigen::internal::computeProductBlockingSizes<float, float, 1>(m_kc, m_mc, m_nc, Eigen::Index(1));
    m_blockA = tlsPacking.lhs(m_mc * m_kc);
    m_blockB = tlsPacking.rhs(m_kc * m_nc);
  }
};

/// Whether Eigen evaluates an m x k times k x n product with its blocked
/// GEMM (not the coefficient loop it uses for tiny products, nor GEMV for
/// a single row or column; neither of those allocates).
bool gemmIsUsed(int64_t m, int64_t k, int64_t n) {
  bool tiny = m + k + n < EIGEN_GEMM_TO_COEFFBASED_THRESHOLD && k > 0;
  return !tiny && m > 1 && n > 1 && k > 0;
}

/// out[m,n] (row stride ldo) = or += lhs[m,k] * rhs[k,n], each operand in
/// the given storage order with the given outer stride: what
/// `dst.noalias() (+)= lhs * rhs` does for a GEMM-sized product (zero the
/// destination, then accumulate), minus the per-call packing allocation.
template <int LhsOrder, int RhsOrder>
void gemmRowMajorResult(float *out, int64_t ldo, const float *lhs, int64_t ldl,
                        const float *rhs, int64_t ldr, int64_t m, int64_t k,
                        int64_t n, bool accumulate) {
  if (!accumulate)
    StridedMap(out, m, n, Eigen::OuterStride<>(ldo)).setZero();
  ReusedBlocking blocking(m, n, k);
  Eigen::internal::general_matrix_matrix_product<
      Eigen::Index, float, LhsOrder, false, float, RhsOrder, false, Eigen::RowMajor,
      1>::run(m, n, k, lhs, ldl, rhs, ldr, out, 1, ldo, 1.0f, blocking);
}

/// Whether an m x n result of depth k goes to OpenBLAS. Measured on the d2l
/// train steps (Zen 3, 2 threads): OpenBLAS from 16 rows up, so the 32-row
/// per-step products too, takes RNN / GRU / LSTM to 14.8 / 23.4 / 27.5 ms,
/// against 15.1 / 24.7 / 29.8 ms with those products on Eigen. Thin
/// products (few classes) stay on Eigen.
bool openBlasPays(int64_t m, int64_t n, int64_t k) {
  return m >= 16 && n >= 16 && k >= 16;
}

/// Products of at most this many rows (generation's single row) go to the
/// row kernel compiled for the CPU (SimdKernelsImpl.h): Eigen's GEMV, built
/// for baseline x86-64, took generation 1.7 times as long as with AVX-512.
constexpr int64_t kFewRows = 3;

/// Eigen's part of gemm(): its blocked GEMM with kept packing buffers, or
/// its expression for products too small or thin for that.
void eigenGemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k,
               const float *a, int64_t lda, const float *b, int64_t ldb,
               bool accumulate, float *out, int64_t ldc) {
  if (gemmIsUsed(m, k, n)) {
    if (transA)
      gemmRowMajorResult<Eigen::ColMajor, Eigen::RowMajor>(out, ldc, a, lda, b, ldb, m, k, n, accumulate);
    else if (transB)
      gemmRowMajorResult<Eigen::RowMajor, Eigen::ColMajor>(out, ldc, a, lda, b, ldb, m, k, n, accumulate);
    else
      gemmRowMajorResult<Eigen::RowMajor, Eigen::RowMajor>(out, ldc, a, lda, b, ldb, m, k, n, accumulate);
    return;
  }
  StridedMap dst(out, m, n, Eigen::OuterStride<>(ldc));
  auto assign = [&](const auto &lhs, const auto &rhs) {
    if (accumulate)
      dst.noalias() += lhs * rhs;
    else
      dst.noalias() = lhs * rhs;
  };
  auto withLhs = [&](const auto &lhs) {
    if (transB)
      assign(lhs, ConstStridedMap(b, n, k, Eigen::OuterStride<>(ldb)).transpose());
    else
      assign(lhs, ConstStridedMap(b, k, n, Eigen::OuterStride<>(ldb)));
  };
  if (transA)
    withLhs(ConstStridedMap(a, k, m, Eigen::OuterStride<>(lda)).transpose());
  else
    withLhs(ConstStridedMap(a, m, k, Eigen::OuterStride<>(lda)));
}

/// out[m,n] (row stride ldc) = op(a)[m,k] * op(b)[k,n], or += when
/// `accumulate`; every matrix row-major with the given row stride, op the
/// transpose when asked. Runs on the calling thread: the kernels below split
/// the columns across threads themselves.
void gemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k,
          const float *a, int64_t lda, const float *b, int64_t ldb,
          bool accumulate, float *out, int64_t ldc) {
  if (m <= 0 || n <= 0)
    return;
  if (m <= kFewRows && !transA && !transB) {
    rnnc::runtime::simdKernels().rowProduct(a, lda, b, ldb, out, ldc, m, k, n, accumulate);
    return;
  }
  if (!openBlasPays(m, n, k)) {
    eigenGemm(transA, transB, m, n, k, a, lda, b, ldb, accumulate, out, ldc);
    return;
  }
  auto blasInt = [](int64_t v) { return static_cast<blasint>(v); };
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
              transB ? CblasTrans : CblasNoTrans, blasInt(m), blasInt(n),
              blasInt(k), 1.0f, a, blasInt(lda), b, blasInt(ldb),
              accumulate ? 1.0f : 0.0f, out, blasInt(ldc));
}

/// Column sums in blocks of kColumnBlock columns whose sums stay in
/// registers over all rows: adding each row into the sums in memory made
/// every element a load, an add and a store. Each column is still summed
/// from zero in row order.
constexpr int64_t kColumnBlock = 32;
void sumColumnBlock(const float *src, float *dst, int64_t rows, int64_t stride, int64_t width) {
  float sums[kColumnBlock] = {};
  if (width == kColumnBlock) {
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < kColumnBlock; ++c)
        sums[c] += src[r * stride + c];
  } else {
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < width; ++c)
        sums[c] += src[r * stride + c];
  }
  std::copy(sums, sums + width, dst);
}

} // namespace

extern "C" {

// Each product is cut into chunks of output columns, or of output rows when
// that repeats less work: every chunk is one single-threaded GEMM call that
// packs its own part of one operand and all of the other, so the split goes
// along the side whose other operand is the smaller one to pack again. The
// chunks depend on the shapes only (runtime/kernels/KernelsParallel.h), never on the
// thread count, so the bits do not either.

void rnnc_matmul(const float *a, const float *b, float *out, int64_t m,
                 int64_t k, int64_t n) {
  rnnc::runtime::KernelScope profiled(rnnc::runtime::KernelKind::BatchedProduct);
  using namespace rnnc::runtime;
  if (m > n) { // every row chunk packs all of b[k,n]: smaller than a[m,k]
    parallelChunks(m, flops(m, k, n), [&](int64_t r0, int64_t r1) {
      gemm(false, false, r1 - r0, n, k, a + r0 * k, k, b, n, false, out + r0 * n, n);
    });
    return;
  }
  parallelChunks(n, flops(m, k, n), [&](int64_t c0, int64_t c1) {
    gemm(false, false, m, c1 - c0, k, a, k, b + c0, n, false, out + c0, n);
  });
}

void rnnc_matmul_bias(const float *a, const float *b, const float *bias,
                      float *out, int64_t m, int64_t k, int64_t n) {
  rnnc::runtime::KernelScope profiled(rnnc::runtime::KernelKind::BatchedProduct);
  using namespace rnnc::runtime;
  // Each chunk writes the bias rows of its own part and accumulates the
  // product onto them: no zero fill, no separate pass adding the bias.
  if (m > n) {
    parallelChunks(m, flops(m, k, n), [&](int64_t r0, int64_t r1) {
      size_t bytes = static_cast<size_t>(n) * sizeof(float);
      for (int64_t r = r0; r < r1; ++r)
        std::memcpy(out + r * n, bias, bytes);
      gemm(false, false, r1 - r0, n, k, a + r0 * k, k, b, n, true, out + r0 * n, n);
    });
    return;
  }
  parallelChunks(n, flops(m, k, n), [&](int64_t c0, int64_t c1) {
    size_t bytes = static_cast<size_t>(c1 - c0) * sizeof(float);
    for (int64_t r = 0; r < m; ++r)
      std::memcpy(out + r * n + c0, bias + c0, bytes);
    gemm(false, false, m, c1 - c0, k, a, k, b + c0, n, true, out + c0, n);
  });
}

void rnnc_matmul_nt(const float *a, const float *b, float *out, int64_t m,
                    int64_t n, int64_t k) {
  rnnc::runtime::KernelScope profiled(rnnc::runtime::KernelKind::BatchedProduct);
  using namespace rnnc::runtime;
  if (m > k) { // row chunks pack all of b[k,n] again, not all of a[m,n]
    parallelChunks(m, flops(m, n, k), [&](int64_t r0, int64_t r1) {
      gemm(false, true, r1 - r0, k, n, a + r0 * n, n, b, n, false, out + r0 * k, k);
    });
    return;
  }
  parallelChunks(k, flops(m, n, k), [&](int64_t r0, int64_t r1) {
    gemm(false, true, m, r1 - r0, n, a, n, b + r0 * n, n, false, out + r0, k);
  });
}

void rnnc_matmul_tn(const float *a, const float *b, float *out, int64_t m,
                    int64_t k, int64_t n, int64_t accumulate) {
  rnnc::runtime::KernelScope profiled(rnnc::runtime::KernelKind::BatchedProduct);
  using namespace rnnc::runtime;
  if (k > n) { // row chunks (columns of a) pack all of b[m,n] again, not a[m,k]
    parallelChunks(k, flops(m, k, n), [&](int64_t r0, int64_t r1) {
      gemm(true, false, r1 - r0, n, m, a + r0, k, b, n, accumulate != 0, out + r0 * n, n);
    });
    return;
  }
  parallelChunks(n, flops(m, k, n), [&](int64_t c0, int64_t c1) {
    gemm(true, false, k, c1 - c0, m, a, k, b + c0, n, accumulate != 0, out + c0, n);
  });
}

void rnnc_parallel_for(void (*body)(void **, int64_t, int64_t), void **context,
                       int64_t count, int64_t work) {
  rnnc::runtime::KernelScope profiled(rnnc::runtime::KernelKind::Other);
  rnnc::runtime::parallelChunks(count, static_cast<double>(work),
                                [&](int64_t begin, int64_t end) {
                                  body(context, begin, end);
                                });
}

void rnnc_gather(const float *table, const int32_t *idx, float *out,
                 int64_t rows, int64_t vocab, int64_t width) {
  rnnc::runtime::KernelScope profiled(rnnc::runtime::KernelKind::Other);
  size_t rowBytes = static_cast<size_t>(width) * sizeof(float);
  // Rows are independent copies: chunks of rows on the kernel threads.
  rnnc::runtime::parallelChunks(rows, copyWork(rows * width), [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i) {
      float *dst = out + i * width;
      if (inRange(idx[i], vocab))
        std::memcpy(dst, table + static_cast<int64_t>(idx[i]) * width, rowBytes);
      else
        std::memset(dst, 0, rowBytes);
    }
  });
}

void rnnc_scatter_add(const int32_t *idx, const float *src, float *out,
                      int64_t rows, int64_t vocab, int64_t width,
                      int64_t accumulate) {
  rnnc::runtime::KernelScope profiled(rnnc::runtime::KernelKind::Other);
  // Chunks of output rows (ids) on the kernel threads: each chunk zeroes its
  // rows and adds the source rows whose id falls in its range, in source row
  // order, so each output element sums the same terms in the same order for
  // any split (splitting the source rows instead would change that order
  // where an id repeats). Output columns were tried first: on 2 threads the
  // chunks' shared cache lines at the column boundaries made the d2l
  // scatter (1120 x 256 into 1027 x 256) 4x slower than on one.
  double work = copyWork(rows * width) + (accumulate ? 0.0 : copyWork(vocab * width) / 2);
  size_t rowBytes = static_cast<size_t>(width) * sizeof(float);
  rnnc::runtime::parallelChunks(vocab, work, [&](int64_t v0, int64_t v1) {
    if (!accumulate)
      std::memset(out + v0 * width, 0, static_cast<size_t>(v1 - v0) * rowBytes);
    for (int64_t i = 0; i < rows; ++i) {
      if (idx[i] < v0 || idx[i] >= v1)
        continue;
      float *dst = out + static_cast<int64_t>(idx[i]) * width;
      const float *s = src + i * width;
      for (int64_t j = 0; j < width; ++j)
        dst[j] += s[j];
    }
  });
}

void rnnc_onehot(const int32_t *idx, float *out, int64_t rows, int64_t depth) {
  rnnc::runtime::KernelScope profiled(rnnc::runtime::KernelKind::Other);
  std::memset(out, 0, static_cast<size_t>(rows * depth) * sizeof(float));
  for (int64_t i = 0; i < rows; ++i)
    if (inRange(idx[i], depth))
      out[i * depth + idx[i]] = 1.0f;
}

void rnnc_cross_entropy(const float *logits, const int32_t *labels, float *out,
                        int64_t rows, int64_t classes) {
  rnnc::runtime::KernelScope profiled(rnnc::runtime::KernelKind::Loss);
  // Rows run in parallel chunks; each row's term lands in its own slot and
  // the slots are summed in row order, so the loss is bit-identical for any
  // thread count. The slots are cached per thread (no allocation per call).
  thread_local std::vector<double> rowLoss;
  if (static_cast<int64_t>(rowLoss.size()) < rows)
    rowLoss.resize(static_cast<size_t>(rows));
  double *terms = rowLoss.data();
  rnnc::runtime::parallelChunks(rows, softmaxWork(rows, classes), [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i) {
      terms[i] = 0;
      if (!inRange(labels[i], classes))
        continue;
      const float *row = logits + i * classes;
      terms[i] = static_cast<double>(logSumExp(row, classes)) - row[labels[i]];
    }
  });
  double total = 0;
  for (int64_t i = 0; i < rows; ++i)
    total += terms[i];
  *out = rows ? static_cast<float>(total / static_cast<double>(rows)) : 0.0f;
}

void rnnc_cross_entropy_grad(const float *logits, const int32_t *labels,
                             const float *dloss, float *out, int64_t rows,
                             int64_t classes) {
  rnnc::runtime::KernelScope profiled(rnnc::runtime::KernelKind::Loss);
  float scale = rows ? *dloss / static_cast<float>(rows) : 0.0f;
  // Rows are independent: parallel chunks give the same bits as one thread.
  rnnc::runtime::parallelChunks(rows, softmaxWork(rows, classes), [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i) {
      float *g = out + i * classes;
      if (classes <= 0)
        continue;
      // One exp per element: exp(x - max) into the output, then one scale
      // by 1/sum (rather than exp twice, for the sum and for the output).
      const float *row = logits + i * classes;
      float sum = sumExpShifted(row, classes, rowMax(row, classes), g);
      Eigen::Map<Eigen::ArrayXf>(g, classes) *= scale / sum;
      if (inRange(labels[i], classes))
        g[labels[i]] -= scale;
    }
  });
}

void rnnc_cross_entropy_with_grad(const float *logits, const int32_t *labels,
                                  const float *dloss, float *loss, float *grad,
                                  int64_t rows, int64_t classes) {
  rnnc::runtime::KernelScope profiled(rnnc::runtime::KernelKind::Loss);
  // rnnc_cross_entropy and rnnc_cross_entropy_grad in one pass over the
  // logits: the exponentials written for the gradient also give the row's
  // log-sum-exp. Same per-row slots and row-order sum, so the loss is
  // bit-identical for any thread count.
  thread_local std::vector<double> rowLoss;
  if (static_cast<int64_t>(rowLoss.size()) < rows)
    rowLoss.resize(static_cast<size_t>(rows));
  double *terms = rowLoss.data();
  float scale = rows ? *dloss / static_cast<float>(rows) : 0.0f;
  rnnc::runtime::parallelChunks(rows, softmaxWork(rows, classes), [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i) {
      terms[i] = 0;
      if (classes <= 0)
        continue;
      const float *row = logits + i * classes;
      float *g = grad + i * classes;
      float maxv = rowMax(row, classes);
      float sum = sumExpShifted(row, classes, maxv, g);
      Eigen::Map<Eigen::ArrayXf>(g, classes) *= scale / sum;
      if (!inRange(labels[i], classes))
        continue;
      terms[i] = static_cast<double>(std::log(sum) + maxv) - row[labels[i]];
      g[labels[i]] -= scale;
    }
  });
  double total = 0;
  for (int64_t i = 0; i < rows; ++i)
    total += terms[i];
  *loss = rows ? static_cast<float>(total / static_cast<double>(rows)) : 0.0f;
}

void rnnc_copy_columns(const void *src, void *dst, int64_t rows,
                       int64_t srcCols, int64_t srcBegin, int64_t dstCols,
                       int64_t dstBegin, int64_t count) {
  rnnc::runtime::KernelScope profiled(rnnc::runtime::KernelKind::Other);
  auto *s = static_cast<const uint32_t *>(src);
  auto *d = static_cast<uint32_t *>(dst);
  size_t bytes = static_cast<size_t>(count) * sizeof(uint32_t);
  // Chunks of rows on the kernel threads when the copy is large (the
  // recurrent weights joined before the scans, time-batched concats, slices
  // and pads); a scan step's 32-row parts stay on the calling thread.
  rnnc::runtime::parallelChunks(rows, copyWork(rows * count), [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i)
      std::memcpy(d + i * dstCols + dstBegin, s + i * srcCols + srcBegin, bytes);
  });
}

void rnnc_reduce_sum(const float *src, float *dst, const int64_t *shape,
                     const int64_t *reduced, int64_t rank) {
  rnnc::runtime::KernelScope profiled(rnnc::runtime::KernelKind::Other);
  int64_t total = 1, outCount = 1;
  for (int64_t i = 0; i < rank; ++i) {
    total *= shape[i];
    if (!reduced[i])
      outCount *= shape[i];
  }
  // Fast paths: reduced axes form a prefix (column sums, e.g. bias
  // gradients) or a suffix (row sums).
  int64_t prefix = 0;
  while (prefix < rank && reduced[prefix])
    ++prefix;
  bool restKept = std::none_of(reduced + prefix, reduced + rank,
                               [](int64_t r) { return r != 0; });
  if (restKept && outCount > 0) {
    // Column blocks on the kernel threads; each column is summed in row
    // order whatever the split.
    int64_t rows = total / outCount;
    rnnc::runtime::parallelChunks(
        outCount, 4.0 * static_cast<double>(total), [&](int64_t c0, int64_t c1) {
          for (int64_t c = c0; c < c1; c += kColumnBlock)
            sumColumnBlock(src + c, dst + c, rows, outCount, std::min(kColumnBlock, c1 - c));
        });
    return;
  }
  int64_t suffix = rank;
  while (suffix > 0 && reduced[suffix - 1])
    --suffix;
  bool headKept = std::none_of(reduced, reduced + suffix,
                               [](int64_t r) { return r != 0; });
  if (headKept && outCount > 0) {
    int64_t cols = total / outCount;
    Eigen::Map<Eigen::VectorXf>(dst, outCount) = ConstMap(src, outCount, cols).rowwise().sum();
    return;
  }
  // General case: an odometer over the source multi-index, adding into
  // zeroed sums (the fast paths above write every sum whole).
  std::fill(dst, dst + outCount, 0.0f);
  std::vector<int64_t> index(static_cast<size_t>(rank), 0);
  for (int64_t flat = 0; flat < total; ++flat) {
    int64_t o = 0;
    for (int64_t i = 0; i < rank; ++i)
      if (!reduced[i])
        o = o * shape[i] + index[i];
    dst[o] += src[flat];
    for (int64_t i = rank; i-- > 0;) {
      if (++index[i] < shape[i])
        break;
      index[i] = 0;
    }
  }
}

int64_t rnnc_arena_limit(void) {
  static const int64_t limit = [] {
    // The tool reports a bad value before any call.
    rnnc::Expected<std::optional<int64_t>> fromVariable =
        rnnc::runtime::readArenaLimitVariable();
    if (fromVariable && *fromVariable)
      return **fromVariable;
    long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGESIZE);
    return pages > 0 && pageSize > 0 ? static_cast<int64_t>(pages) * pageSize
                                     : INT64_MAX;
  }();
  return limit;
}

void *rnnc_arena_acquire(int64_t bytes) {
  alignas(64) static char emptyArena[64];
  if (bytes <= 0)
    return emptyArena; // never null: null means "no arena"
  ArenaCache &a = tlsArena;
  if (bytes <= a.bytes)
    return a.data;
  if (bytes > rnnc_arena_limit() || bytes > INT64_MAX - 64)
    return nullptr;
  std::free(a.data);
  a.data = nullptr;
  a.bytes = 0;
  size_t rounded = (static_cast<size_t>(bytes) + 63) / 64 * 64;
  a.data = std::aligned_alloc(64, rounded);
  a.bytes = a.data ? bytes : 0;
  return a.data;
}

void rnnc_arena_release(void *) {}

} // extern "C"

namespace rnnc::runtime {

std::string formatByteSize(int64_t bytes) {
  char text[32];
  double b = static_cast<double>(bytes);
  if (bytes < 1000)
    std::snprintf(text, sizeof text, "%lld B", static_cast<long long>(bytes));
  else if (b < 999.95e3)
    std::snprintf(text, sizeof text, "%.1f kB", b / 1e3);
  else if (b < 999.95e6)
    std::snprintf(text, sizeof text, "%.1f MB", b / 1e6);
  else
    std::snprintf(text, sizeof text, "%.1f GB", b / 1e9);
  return text;
}

std::string describeArenaShortfall(int64_t bytes) {
  return "needs " + formatByteSize(bytes) +
         " of working memory (arena), more than can be allocated (limit " +
         formatByteSize(rnnc_arena_limit()) + ")";
}

Expected<std::optional<int64_t>> readArenaLimitVariable() {
  const char *text = std::getenv("RNNC_ARENA_LIMIT_BYTES");
  if (!text)
    return std::optional<int64_t>();
  char *end = nullptr;
  errno = 0;
  long long value = *text >= '0' && *text <= '9' ? std::strtoll(text, &end, 10) : -1;
  if (value <= 0 || errno != 0 || *end != '\0')
    return Error(std::string("RNNC_ARENA_LIMIT_BYTES='") + text +
                 "' is not a byte count (a positive integer)");
  return std::optional<int64_t>(value);
}

const std::vector<KernelSymbol> &kernelSymbols() {
  static const std::vector<KernelSymbol> symbols = {
#define RNNC_KERNEL(Name, Result, Parameters) {#Name, reinterpret_cast<void *>(&Name)},
#include "runtime/kernels/Kernels.def"
  };
  return symbols;
}

} // namespace rnnc::runtime
