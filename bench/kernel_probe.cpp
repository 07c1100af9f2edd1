//===- kernel_probe.cpp - GFLOP/s of the SIMD kernels per instruction set -===//
///
/// \file
/// Times the kernels that are compiled once per instruction set
/// (runtime/kernels/SimdKernels.h) with each set this CPU has, in
/// interleaved rounds on one thread, and prints the median per set: the
/// per-step packed products of the d2l cells (32 x 256 x 256 for the RNN,
/// 32 x 256 x 1024 for the LSTM's merged gates, 32 x 1024 x 256 for its
/// backward step) and generation's single-row output projection (1 x 256 x
/// 1027) in GFLOP/s, and the fused softmax cross-entropy with its
/// gradient over 1120 x 1027 logits in ms. Times are this thread's CPU
/// time, which a machine shared with other work disturbs less than wall
/// time. Not a test: it only prints numbers.
///
///   kernel_probe [ROUNDS]
///
//===----------------------------------------------------------------------===//
#include "runtime/kernels/KernelIsa.h"
#include "runtime/kernels/Kernels.h"
#include "runtime/kernels/KernelsParallel.h"

#include <algorithm>
#include <array>
#include <memory>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

using namespace rnnc::runtime;

namespace {

double threadMillis() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

std::vector<float> filled(int64_t count, float scale) {
  std::vector<float> v(static_cast<size_t>(count));
  uint32_t s = 12345;
  for (float &x : v) {
    s = s * 1664525u + 1013904223u;
    x = scale * (static_cast<float>(s >> 8) / 16777216.0f - 0.5f);
  }
  return v;
}

struct Case {
  std::string name;
  double flops; ///< 0: report milliseconds
  std::function<void()> run;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

} // namespace

int main(int argc, char **argv) {
  int rounds = argc > 1 ? std::atoi(argv[1]) : 15;
  setKernelThreads(1);
  std::vector<KernelIsa> isas;
  for (KernelIsa isa : kAllKernelIsas)
    if (checkKernelIsa(isa, hostCpuFeatures()))
      isas.push_back(isa);
  std::printf("kernels: %s by default (this CPU has:", kernelIsaName(kernelIsa()));
  for (KernelIsa isa : isas)
    std::printf(" %s", kernelIsaName(isa));
  std::printf(")\n");

  std::vector<Case> cases;
  std::vector<std::vector<float>> keep;
  for (auto [m, k, n] : {std::array<int64_t, 3>{32, 256, 256},
                         std::array<int64_t, 3>{32, 256, 1024},
                         std::array<int64_t, 3>{32, 1024, 256}}) {
    keep.push_back(filled(m * k, 1));
    const float *a = keep.back().data();
    std::vector<float> b = filled(k * n, 0.1f);
    keep.emplace_back(static_cast<size_t>(packedPanelFloats(k, n)));
    float *packed = keep.back().data();
    rnnc_pack_panels(b.data(), packed, k, n, 0);
    keep.emplace_back(static_cast<size_t>(m * n));
    float *out = keep.back().data();
    cases.push_back({"packed " + std::to_string(m) + "x" + std::to_string(k) + "x" +
                         std::to_string(n),
                     2.0 * m * k * n * 200, [=] {
                       for (int i = 0; i < 200; ++i)
                         rnnc_matmul_packed(a, packed, out, m, k, n);
                     }});
  }
  {
    int64_t k = 256, n = 1027;
    keep.push_back(filled(k, 1));
    const float *a = keep.back().data();
    keep.push_back(filled(k * n, 0.1f));
    const float *b = keep.back().data();
    keep.emplace_back(static_cast<size_t>(n));
    float *out = keep.back().data();
    cases.push_back({"row 1x256x1027", 2.0 * k * n * 200, [=] {
                       for (int i = 0; i < 200; ++i)
                         rnnc_matmul(a, b, out, 1, k, n);
                     }});
  }
  {
    int64_t rows = 1120, classes = 1027;
    keep.push_back(filled(rows * classes, 8));
    const float *logits = keep.back().data();
    keep.emplace_back(static_cast<size_t>(rows * classes));
    float *grad = keep.back().data();
    auto labels = std::make_shared<std::vector<int32_t>>(static_cast<size_t>(rows));
    for (int64_t i = 0; i < rows; ++i)
      (*labels)[static_cast<size_t>(i)] = static_cast<int32_t>(i * 7 % classes);
    cases.push_back({"softmax xent+grad 1120x1027", 0, [=] {
                       float dloss = 1, loss;
                       for (int i = 0; i < 10; ++i)
                         rnnc_cross_entropy_with_grad(logits, labels->data(), &dloss, &loss,
                                                      grad, rows, classes);
                     }});
  }

  // times[case][isa]: one sample per round, the sets interleaved.
  std::vector<std::vector<std::vector<double>>> times(
      cases.size(), std::vector<std::vector<double>>(isas.size()));
  for (int r = 0; r < rounds; ++r)
    for (size_t c = 0; c < cases.size(); ++c)
      for (size_t i = 0; i < isas.size(); ++i) {
        (void)setKernelIsa(isas[i]);
        cases[c].run(); // warm
        double start = threadMillis();
        cases[c].run();
        times[c][i].push_back(threadMillis() - start);
      }
  for (size_t c = 0; c < cases.size(); ++c) {
    std::printf("%-28s", cases[c].name.c_str());
    for (size_t i = 0; i < isas.size(); ++i) {
      double ms = median(times[c][i]);
      if (cases[c].flops > 0)
        std::printf("  %s %6.1f GFLOP/s", kernelIsaName(isas[i]), cases[c].flops / ms / 1e6);
      else
        std::printf("  %s %6.2f ms", kernelIsaName(isas[i]), ms / 10);
    }
    std::printf("\n");
  }
  return 0;
}
