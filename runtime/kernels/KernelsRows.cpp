//===- KernelsRows.cpp - Row reductions and layer normalisation -----------===//
///
/// \file
/// The row ops of ir/Ops.def: each row (the last axis) is reduced,
/// broadcast or normalised on its own, so rows are split across the kernel
/// threads with parallelChunks and every row's bits are the same for any
/// thread count. Sums accumulate in double (a row of a few hundred floats
/// then rounds once); layer_norm makes two passes over a row (mean, then
/// the variance of the centred values), and its gradient one more, so the
/// forward and the backward are each one kernel call.
///
//===----------------------------------------------------------------------===//
#include "runtime/kernels/Kernels.h"
#include "runtime/kernels/KernelsParallel.h"

#include <cmath>

using rnnc::runtime::parallelChunks;

namespace {

double rowWork(int64_t rows, int64_t width, double perElement) {
  return perElement * static_cast<double>(rows) * static_cast<double>(width);
}

/// Mean and 1 / sqrt(biased variance + eps) of `row`.
void rowMoments(const float *row, int64_t n, double eps, double &mean, double &inv) {
  double sum = 0;
  for (int64_t j = 0; j < n; ++j)
    sum += row[j];
  mean = sum / static_cast<double>(n);
  double var = 0;
  for (int64_t j = 0; j < n; ++j) {
    double d = row[j] - mean;
    var += d * d;
  }
  inv = 1.0 / std::sqrt(var / static_cast<double>(n) + eps);
}

} // namespace

extern "C" {

void rnnc_row_sum(const float *x, float *out, int64_t rows, int64_t width) {
  parallelChunks(rows, rowWork(rows, width, 1), [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i) {
      double acc = 0;
      for (int64_t j = 0; j < width; ++j)
        acc += x[i * width + j];
      out[i] = static_cast<float>(acc);
    }
  });
}

void rnnc_row_max(const float *x, float *out, int64_t rows, int64_t width) {
  parallelChunks(rows, rowWork(rows, width, 1), [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i) {
      float m = x[i * width];
      for (int64_t j = 1; j < width; ++j)
        m = x[i * width + j] > m ? x[i * width + j] : m;
      out[i] = m;
    }
  });
}

void rnnc_row_max_grad(const float *x, const float *dy, float *out, int64_t rows,
                       int64_t width) {
  parallelChunks(rows, rowWork(rows, width, 1), [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i) {
      const float *row = x + i * width;
      int64_t first = 0; // ties: the lowest index, as the interpreter
      for (int64_t j = 1; j < width; ++j)
        if (row[j] > row[first])
          first = j;
      for (int64_t j = 0; j < width; ++j)
        out[i * width + j] = j == first ? dy[i] : 0.0f;
    }
  });
}

void rnnc_row_broadcast(const float *x, float *out, int64_t rows, int64_t width) {
  parallelChunks(rows, rowWork(rows, width, 1), [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i)
      for (int64_t j = 0; j < width; ++j)
        out[i * width + j] = x[i];
  });
}

void rnnc_layer_norm(const float *x, float *out, int64_t rows, int64_t width,
                     double epsilon) {
  parallelChunks(rows, rowWork(rows, width, 5), [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i) {
      const float *row = x + i * width;
      double mean, inv;
      rowMoments(row, width, epsilon, mean, inv);
      for (int64_t j = 0; j < width; ++j)
        out[i * width + j] = static_cast<float>((row[j] - mean) * inv);
    }
  });
}

void rnnc_layer_norm_grad(const float *x, const float *dy, float *out, int64_t rows,
                          int64_t width, double epsilon) {
  parallelChunks(rows, rowWork(rows, width, 10), [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i) {
      const float *row = x + i * width, *g = dy + i * width;
      double mean, inv;
      rowMoments(row, width, epsilon, mean, inv);
      double sumG = 0, sumGX = 0;
      for (int64_t j = 0; j < width; ++j) {
        sumG += g[j];
        sumGX += g[j] * (row[j] - mean) * inv;
      }
      double meanG = sumG / static_cast<double>(width);
      double meanGX = sumGX / static_cast<double>(width);
      for (int64_t j = 0; j < width; ++j) {
        double xhat = (row[j] - mean) * inv;
        out[i * width + j] = static_cast<float>(inv * (g[j] - meanG - xhat * meanGX));
      }
    }
  });
}

} // extern "C"
