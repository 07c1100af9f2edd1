//===- SimdKernelsImpl.h - The SIMD kernels, for any lane width --*- C++ -*-===//
///
/// \file
/// The source of SimdKernels.h's table, written once over a "lanes" type
/// (a vector of 1, 8 or 16 floats and its operations) and included by one
/// file per instruction set, each compiled with that set's flags:
///
/// - packedPanels: out = a times P panels of 16 columns, R rows at a time,
///   R x P x (16 / lanes) accumulators kept in registers. Each output
///   element is acc = a[i,q] * b[q,j] + acc for q = 0, 1, ... from zero: one
///   fused multiply-add per term with FMA, a product and a sum without.
/// - sumExpShifted: Cephes' expf (x = n ln2 + r, ln2 split in two so r is
///   exact, e^r by a degree-7 polynomial, times 2^n); inputs below -87 give
///   about 1.6e-38 instead of a denormal, NaN stays NaN. The terms are summed
///   in 8 lanes whatever the width (16 lanes add their two halves in turn),
///   then the lanes in order, then the tail with libm's expf: the same bits
///   for AVX2 and AVX-512.
/// - rowProduct: each row of a times b, in column blocks of 4 vectors, one
///   vector, then single columns; every element is acc = a[i,q] * b[q,j] +
///   acc for q = 0, 1, ... from zero (fused where the set has FMA, the
///   single columns too), then added to out when accumulating: the same
///   bits for AVX2 and AVX-512 whatever block an element falls in.
///
/// Everything here is in an anonymous namespace on purpose: a function
/// compiled with AVX-512 flags that the linker merged with its AVX2 twin
/// (inline functions are merged by name) could run on a CPU without
/// AVX-512. Internal linkage keeps each file's copies its own.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "runtime/kernels/SimdKernels.h"

#include <cstdint>
#include <cstring>
#include <math.h>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

namespace {

using rnnc::runtime::kPanelWidth;

/// One float per "vector", no FMA: the baseline x86-64 fallback.
struct ScalarLanes {
  using Vec = float;
  static constexpr int kLanes = 1;
  static constexpr int kPanelsPerTile = 1;
  static constexpr int kMaxRows = 4;
  static Vec zero() { return 0.0f; }
  static Vec load(const float *p) { return *p; }
  static void store(float *p, Vec v) { *p = v; }
  static Vec broadcast(const float *p) { return *p; }
  static Vec mulAdd(Vec a, Vec b, Vec c) { return a * b + c; }
  static Vec add(Vec a, Vec b) { return a + b; }
  static float mulAdd1(float a, float b, float c) { return a * b + c; }
  static int rowBlock(int64_t rest) { return rest >= 4 ? 4 : rest >= 2 ? 2 : 1; }
};

#if defined(__AVX2__) && defined(__FMA__)

/// 8 floats in a ymm register.
struct Avx2Lanes {
  using Vec = __m256;
  static constexpr int kLanes = 8;
  static constexpr int kPanelsPerTile = 1;
  static constexpr int kMaxRows = 6; // 12 accumulators + 2 panel rows + a broadcast
  static Vec zero() { return _mm256_setzero_ps(); }
  static Vec set1(float x) { return _mm256_set1_ps(x); }
  static Vec load(const float *p) { return _mm256_loadu_ps(p); }
  static void store(float *p, Vec v) { _mm256_storeu_ps(p, v); }
  static Vec broadcast(const float *p) { return _mm256_broadcast_ss(p); }
  static Vec mulAdd(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
  static float mulAdd1(float a, float b, float c) { return __builtin_fmaf(a, b, c); }
  static Vec negMulAdd(Vec a, Vec b, Vec c) { return _mm256_fnmadd_ps(a, b, c); }
  static Vec add(Vec a, Vec b) { return _mm256_add_ps(a, b); }
  static Vec sub(Vec a, Vec b) { return _mm256_sub_ps(a, b); }
  static Vec mul(Vec a, Vec b) { return _mm256_mul_ps(a, b); }
  static Vec max(Vec a, Vec b) { return _mm256_max_ps(a, b); } // b when either is NaN
  static Vec roundNearest(Vec a) {
    return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  }
  /// 2^n for integral n in [-127, 128].
  static Vec pow2(Vec n) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(
        _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23));
  }
  /// 32 rows = 6+6+6+6+4+4: never a latency-bound single row.
  static int rowBlock(int64_t rest) {
    return rest >= 6 && rest != 8 ? 6 : rest >= 4 ? 4 : rest >= 2 ? 2 : 1;
  }
  using Eight = Avx2Lanes;
};

#endif

#if defined(__AVX512F__) && defined(__AVX2__) && defined(__FMA__)

/// 16 floats in a zmm register; a tile spans two panels (32 columns), which
/// the 32 registers leave room for.
struct Avx512Lanes {
  using Vec = __m512;
  static constexpr int kLanes = 16;
  static constexpr int kPanelsPerTile = 2;
  static constexpr int kMaxRows = 8; // 16 accumulators + 2 panel rows + a broadcast
  static Vec zero() { return _mm512_setzero_ps(); }
  static Vec set1(float x) { return _mm512_set1_ps(x); }
  static Vec load(const float *p) { return _mm512_loadu_ps(p); }
  static void store(float *p, Vec v) { _mm512_storeu_ps(p, v); }
  static Vec broadcast(const float *p) { return _mm512_set1_ps(*p); }
  static Vec mulAdd(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
  static float mulAdd1(float a, float b, float c) { return __builtin_fmaf(a, b, c); }
  static Vec negMulAdd(Vec a, Vec b, Vec c) { return _mm512_fnmadd_ps(a, b, c); }
  static Vec add(Vec a, Vec b) { return _mm512_add_ps(a, b); }
  static Vec sub(Vec a, Vec b) { return _mm512_sub_ps(a, b); }
  static Vec mul(Vec a, Vec b) { return _mm512_mul_ps(a, b); }
  static Vec max(Vec a, Vec b) { return _mm512_max_ps(a, b); } // b when either is NaN
  static Vec roundNearest(Vec a) {
    return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  }
  static Vec pow2(Vec n) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(
        _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23));
  }
  static __m256 lowHalf(Vec v) { return _mm512_castps512_ps256(v); }
  static __m256 highHalf(Vec v) {
    return _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
  }
  static int rowBlock(int64_t rest) {
    return rest >= 8 ? 8 : rest >= 4 ? 4 : rest >= 2 ? 2 : 1;
  }
  using Eight = Avx2Lanes;
};

#endif

/// c[R rows, cols] (row stride ldc) = a[R rows, k] (row stride lda) times P
/// consecutive panels (cols <= 16 P; the last panel may be partial).
template <class S, int R, int P>
void tile(const float *a, int64_t lda, const float *panels, int64_t k, float *c,
          int64_t ldc, int64_t cols) {
  using Vec = typename S::Vec;
  constexpr int V = kPanelWidth / S::kLanes; // vectors per panel row
  constexpr int N = P * V;
  Vec acc[R * N]; // one dimension: GCC keeps it in registers, not a 2-D one
#pragma GCC unroll 32
  for (int i = 0; i < R * N; ++i)
    acc[i] = S::zero();
  for (int64_t q = 0; q < k; ++q) {
    Vec b[N];
#pragma GCC unroll 16
    for (int i = 0; i < N; ++i)
      b[i] = S::load(panels + (i / V) * k * kPanelWidth + q * kPanelWidth +
                     (i % V) * S::kLanes);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      Vec x = S::broadcast(a + r * lda + q);
#pragma GCC unroll 16
      for (int i = 0; i < N; ++i)
        acc[r * N + i] = S::mulAdd(x, b[i], acc[r * N + i]);
    }
  }
  if (cols == P * kPanelWidth) {
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 16
      for (int i = 0; i < N; ++i)
        S::store(c + r * ldc + i * S::kLanes, acc[r * N + i]);
    return;
  }
  alignas(64) float rows[R * N * S::kLanes];
#pragma GCC unroll 32
  for (int i = 0; i < R * N; ++i)
    S::store(rows + i * S::kLanes, acc[i]);
  for (int r = 0; r < R; ++r)
    std::memcpy(c + r * ldc, rows + r * N * S::kLanes,
                static_cast<size_t>(cols) * sizeof(float));
}

/// The tile of `rows` rows (one of S's row blocks).
template <class S, int P>
void tileOfRows(int rows, const float *a, int64_t lda, const float *panels,
                int64_t k, float *c, int64_t ldc, int64_t cols) {
  if constexpr (S::kMaxRows >= 8)
    if (rows == 8)
      return tile<S, 8, P>(a, lda, panels, k, c, ldc, cols);
  if constexpr (S::kMaxRows >= 6)
    if (rows == 6)
      return tile<S, 6, P>(a, lda, panels, k, c, ldc, cols);
  if (rows == 4)
    return tile<S, 4, P>(a, lda, panels, k, c, ldc, cols);
  if (rows == 2)
    return tile<S, 2, P>(a, lda, panels, k, c, ldc, cols);
  tile<S, 1, P>(a, lda, panels, k, c, ldc, cols);
}

/// All m rows of out's columns [j0, j0 + cols) from P panels at `panels`.
template <class S, int P>
void rowBlocks(const float *a, const float *panels, float *out, int64_t m,
               int64_t k, int64_t n, int64_t j0, int64_t cols) {
  for (int64_t i = 0; i < m;) {
    int rows = S::rowBlock(m - i);
    tileOfRows<S, P>(rows, a + i * k, k, panels, k, out + i * n + j0, n, cols);
    i += rows;
  }
}

template <class S>
void packedPanels(const float *a, const float *packed, float *out, int64_t m,
                  int64_t k, int64_t n, int64_t p0, int64_t p1) {
  constexpr int P = S::kPanelsPerTile;
  int64_t p = p0;
  for (; p + P <= p1; p += P) {
    int64_t j0 = p * kPanelWidth;
    int64_t cols = n - j0 < P * kPanelWidth ? n - j0 : P * kPanelWidth;
    rowBlocks<S, P>(a, packed + p * k * kPanelWidth, out, m, k, n, j0, cols);
  }
  for (; p < p1; ++p) {
    int64_t j0 = p * kPanelWidth;
    int64_t cols = n - j0 < kPanelWidth ? n - j0 : kPanelWidth;
    rowBlocks<S, 1>(a, packed + p * k * kPanelWidth, out, m, k, n, j0, cols);
  }
}

/// exp(x) for x <= 0 (see the file comment).
template <class S> typename S::Vec expNonPositive(typename S::Vec x) {
  using Vec = typename S::Vec;
  x = S::max(S::set1(-87.0f), x); // NaN in x passes through
  Vec n = S::roundNearest(S::mul(x, S::set1(1.44269504088896341f)));
  Vec r = S::negMulAdd(n, S::set1(0.693359375f), x);
  r = S::negMulAdd(n, S::set1(-2.12194440e-4f), r);
  Vec p = S::set1(1.9875691500e-4f);
  p = S::mulAdd(p, r, S::set1(1.3981999507e-3f));
  p = S::mulAdd(p, r, S::set1(8.3334519073e-3f));
  p = S::mulAdd(p, r, S::set1(4.1665795894e-2f));
  p = S::mulAdd(p, r, S::set1(1.6666665459e-1f));
  p = S::mulAdd(p, r, S::set1(5.0000001201e-1f));
  p = S::mulAdd(p, S::mul(r, r), S::add(r, S::set1(1.0f)));
  return S::mul(p, S::pow2(n));
}

/// The tail of every path: libm's expf, summed in order onto `sum`.
float sumExpTail(const float *row, int64_t j, int64_t n, float shift, float *out,
                 float sum) {
  for (; j < n; ++j) {
    float e = expf(row[j] - shift);
    if (out)
      out[j] = e;
    sum += e;
  }
  return sum;
}

template <class S>
float sumExpShifted(const float *row, int64_t n, float shift, float *out) {
  if constexpr (S::kLanes == 1) {
    return sumExpTail(row, 0, n, shift, out, 0.0f);
  } else {
    using E = typename S::Eight;
    int64_t j = 0;
    typename E::Vec sum8 = E::zero(), shift8 = E::set1(shift);
    if constexpr (S::kLanes == 16) {
      typename S::Vec shift16 = S::set1(shift);
      for (; j + 16 <= n; j += 16) {
        typename S::Vec e = expNonPositive<S>(S::sub(S::load(row + j), shift16));
        if (out)
          S::store(out + j, e);
        sum8 = E::add(sum8, S::lowHalf(e));
        sum8 = E::add(sum8, S::highHalf(e));
      }
    }
    for (; j + 8 <= n; j += 8) {
      typename E::Vec e = expNonPositive<E>(E::sub(E::load(row + j), shift8));
      if (out)
        E::store(out + j, e);
      sum8 = E::add(sum8, e);
    }
    alignas(32) float lanes[8];
    E::store(lanes, sum8);
    float sum = 0;
    for (float lane : lanes)
      sum += lane;
    return sumExpTail(row, j, n, shift, out, sum);
  }
}

/// Columns [j, j + V * lanes) of out's row (see rowProduct).
template <class S, int V>
void rowColumns(const float *a, const float *b, int64_t ldb, float *out, int64_t k,
                int64_t j, bool accumulate) {
  typename S::Vec acc[V];
#pragma GCC unroll 8
  for (int v = 0; v < V; ++v)
    acc[v] = S::zero();
  for (int64_t q = 0; q < k; ++q) {
    typename S::Vec x = S::broadcast(a + q);
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v)
      acc[v] = S::mulAdd(x, S::load(b + q * ldb + j + v * S::kLanes), acc[v]);
  }
#pragma GCC unroll 8
  for (int v = 0; v < V; ++v) {
    float *c = out + j + v * S::kLanes;
    S::store(c, accumulate ? S::add(S::load(c), acc[v]) : acc[v]);
  }
}

template <class S>
void rowProduct(const float *a, int64_t lda, const float *b, int64_t ldb, float *out,
                int64_t ldc, int64_t m, int64_t k, int64_t n, bool accumulate) {
  constexpr int64_t W = S::kLanes;
  for (int64_t i = 0; i < m; ++i) {
    const float *ai = a + i * lda;
    float *ci = out + i * ldc;
    int64_t j = 0;
    for (; j + 4 * W <= n; j += 4 * W)
      rowColumns<S, 4>(ai, b, ldb, ci, k, j, accumulate);
    for (; j + W <= n; j += W)
      rowColumns<S, 1>(ai, b, ldb, ci, k, j, accumulate);
    for (; j < n; ++j) {
      float sum = 0;
      for (int64_t q = 0; q < k; ++q)
        sum = S::mulAdd1(ai[q], b[q * ldb + j], sum);
      ci[j] = accumulate ? ci[j] + sum : sum;
    }
  }
}

template <class S> constexpr rnnc::runtime::SimdKernels simdKernelsOf() {
  return {&packedPanels<S>, &sumExpShifted<S>, &rowProduct<S>};
}

} // namespace
