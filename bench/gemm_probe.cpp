//===- gemm_probe.cpp - GFLOP/s of Eigen's and OpenBLAS's product ---------===//
///
/// \file
/// The yardsticks for rnnc's achieved GFLOP/s: times the single-precision
/// (T*B x H) @ (H x V) product (default 1120x256 @ 256x1027, the d2l output
/// projection) with Eigen and with OpenBLAS (whose GEMM rnnc's kernels call
/// for such products), each with 1 and 2 threads of its own, and prints one
/// machine-readable line per library and thread count with the median
/// GFLOP/s over the repeats. Built by bench/run.sh (g++ -O3 -march=native
/// -fopenmp, OpenBLAS's pthread build), not by CMake: the flags must match
/// the host, and the bench is not part of the build.
///
///   gemm_probe [M K N] [REPEATS]
///
//===----------------------------------------------------------------------===//
#include <Eigen/Dense>
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

namespace {

/// Median GFLOP/s of `repeats` products c = a * b after a few warm-ups.
template <typename Product>
double medianGflops(const Matrix &a, const Matrix &b, Matrix &c, int repeats,
                    Product product) {
  const double flops = 2.0 * a.rows() * a.cols() * b.cols();
  for (int i = 0; i < 3; ++i)
    product();
  std::vector<double> rates;
  for (int i = 0; i < repeats; ++i) {
    auto start = std::chrono::steady_clock::now();
    product();
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rates.push_back(flops / seconds / 1e9);
  }
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

} // namespace

int main(int argc, char **argv) {
  long m = 1120, k = 256, n = 1027;
  int repeats = 50;
  if (argc >= 4) {
    m = std::atol(argv[1]);
    k = std::atol(argv[2]);
    n = std::atol(argv[3]);
  }
  if (argc >= 5)
    repeats = std::max(1, std::atoi(argv[4]));
  if (m <= 0 || k <= 0 || n <= 0) {
    std::fprintf(stderr, "usage: gemm_probe [M K N] [REPEATS]\n");
    return 2;
  }
  Matrix a = Matrix::Random(m, k), b = Matrix::Random(k, n), c(m, n);
  auto report = [&](const char *name, int threads, double gflops) {
    std::printf("BENCH {\"name\": \"%s\", \"threads\": %d, \"m\": %ld, "
                "\"k\": %ld, \"n\": %ld, \"gflops\": %.1f}\n",
                name, threads, m, k, n, gflops);
  };
  for (int threads : {1, 2}) {
    Eigen::setNbThreads(threads);
    report("eigen_gemm", Eigen::nbThreads(),
           medianGflops(a, b, c, repeats, [&] { c.noalias() = a * b; }));
  }
  for (int threads : {1, 2}) {
    openblas_set_num_threads(threads);
    report("openblas_gemm", openblas_get_num_threads(),
           medianGflops(a, b, c, repeats, [&] {
             cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(m), int(n),
                         int(k), 1.0f, a.data(), int(k), b.data(), int(n), 0.0f,
                         c.data(), int(n));
           }));
  }
  return 0;
}
