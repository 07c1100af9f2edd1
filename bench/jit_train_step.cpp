//===- jit_train_step.cpp - Time the JIT-compiled train step --------------===//
///
/// \file
/// Prints the JIT compile time and the median wall time of one train_step
/// call (20 timed calls after 3 warm-ups) for a model at the d2l sizes
/// (default: examples/char_rnn.rnn, V = 1027, B = 32, T = 35), compiled as
/// `rnnc train` compiles it, by driver::compileModel: autodiff, then the
/// default pipeline (without it the output projection stays inside the scans and the
/// timing says little about training). Not a test: it only prints numbers.
///
///   jit_train_step [MODEL.rnn] [V] [B] [T]
///
//===----------------------------------------------------------------------===//
#include "runtime/codegen/JIT.h"
#include "runtime/driver/Driver.h"
#include "runtime/driver/SyntheticCall.h"
#include "runtime/kernels/KernelIsa.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

using namespace rnnc;

int main(int argc, char **argv) {
  std::string path = argc > 1 ? argv[1] : RNNC_SOURCE_DIR "/examples/char_rnn.rnn";
  int64_t vocab = argc > 2 ? std::stoll(argv[2]) : 1027;
  int64_t batch = argc > 3 ? std::stoll(argv[3]) : 32;
  int64_t steps = argc > 4 ? std::stoll(argv[4]) : 35;

  auto model = driver::checkModelFile(path, std::cerr);
  if (!model) {
    std::cerr << "error: " << model.error().message() << '\n';
    return 1;
  }
  auto step = driver::compileModel(*model, {vocab, batch, steps});
  if (!step) {
    std::cerr << "error: " << step.error().message() << '\n';
    return 1;
  }
  const ir::Function &fn = *step->module->function("train_step");
  const runtime::CompiledFunction *compiled = &step->trainStep->function();
  // Uniform in ±0.017: standard deviation 0.01, as d2l initialises.
  driver::SyntheticCall call(fn, vocab, /*seed=*/1, /*lo=*/-0.017, /*hi=*/0.017);

  for (int i = 0; i < 3; ++i)
    call.run(*compiled);
  // Wall time, and this thread's CPU time (steadier on a shared machine;
  // meaningful with RNNC_THREADS=1 only).
  auto cpuMillis = [] {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
  };
  std::vector<double> millis, cpu;
  for (int i = 0; i < 20; ++i) {
    auto start = std::chrono::steady_clock::now();
    double cpuStart = cpuMillis();
    call.run(*compiled);
    cpu.push_back(cpuMillis() - cpuStart);
    millis.push_back(std::chrono::duration<double, std::milli>(
                         std::chrono::steady_clock::now() - start)
                         .count());
  }
  std::sort(millis.begin(), millis.end());
  std::sort(cpu.begin(), cpu.end());
  float loss = call.firstResult();
  std::printf("model %s  V=%lld B=%lld T=%lld  cpu %s  kernels %s\n", path.c_str(),
              static_cast<long long>(vocab), static_cast<long long>(batch),
              static_cast<long long>(steps), runtime::hostCPUName().c_str(),
              runtime::kernelIsaName(runtime::kernelIsa()));
  std::printf("compile %.1f ms  train_step median %.2f ms (min %.2f, max %.2f)  "
              "cpu median %.2f ms  loss %.4f\n",
              compiled->compileMillis(), millis[millis.size() / 2], millis.front(),
              millis.back(), cpu[cpu.size() / 2], loss);
  return 0;
}
