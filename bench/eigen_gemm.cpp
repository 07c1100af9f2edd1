//===- eigen_gemm.cpp - GFLOP/s of Eigen's product at the d2l sizes -------===//
///
/// \file
/// The yardstick for rnnc's achieved GFLOP/s: times Eigen's single-precision
/// (T*B x H) @ (H x V) product (default 1120x256 @ 256x1027, the d2l output
/// projection) with 1 and 2 threads and prints one machine-readable line per
/// thread count with the median GFLOP/s over the repeats. Built by
/// bench/run.sh (g++ -O3 -march=native -fopenmp), not by CMake: the flags
/// must match the host, and the bench is not part of the build.
///
///   eigen_gemm [M K N] [REPEATS]
///
//===----------------------------------------------------------------------===//
#include <Eigen/Dense>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

namespace {

/// Median GFLOP/s of `repeats` products after a few warm-ups.
double medianGflops(const Matrix &a, const Matrix &b, Matrix &c, int repeats) {
  const double flops = 2.0 * a.rows() * a.cols() * b.cols();
  for (int i = 0; i < 3; ++i)
    c.noalias() = a * b;
  std::vector<double> rates;
  for (int i = 0; i < repeats; ++i) {
    auto start = std::chrono::steady_clock::now();
    c.noalias() = a * b;
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
    std::fprintf(stderr, "usage: eigen_gemm [M K N] [REPEATS]\n");
    return 2;
  }
  Matrix a = Matrix::Random(m, k), b = Matrix::Random(k, n), c(m, n);
  for (int threads : {1, 2}) {
    Eigen::setNbThreads(threads);
    double gflops = medianGflops(a, b, c, repeats);
    std::printf("BENCH {\"name\": \"eigen_gemm\", \"threads\": %d, \"m\": %ld, "
                "\"k\": %ld, \"n\": %ld, \"gflops\": %.1f}\n",
                Eigen::nbThreads(), m, k, n, gflops);
  }
  return 0;
}
