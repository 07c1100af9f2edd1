//===- jit_train_step.cpp - Time the JIT-compiled train step --------------===//
///
/// \file
/// Prints the JIT compile time and the median wall time of one train_step
/// call (20 timed calls after 3 warm-ups) for a model at the d2l sizes
/// (default: examples/char_rnn.rnn, V = 1027, B = 32, T = 35), compiled as
/// `rnnc train` compiles it: autodiff, then passes::defaultTrainPipeline()
/// (without the pipeline the output projection stays inside the scans and
/// the timing says little about training). Not a test: it only prints numbers.
///
///   jit_train_step [MODEL.rnn] [V] [B] [T]
///
//===----------------------------------------------------------------------===//
#include "frontend/Frontend.h"
#include "passes/Autodiff.h"
#include "passes/Pipeline.h"
#include "runtime/JIT.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <random>
#include <string>
#include <vector>

using namespace rnnc;

int main(int argc, char **argv) {
  std::string path = argc > 1 ? argv[1] : RNNC_SOURCE_DIR "/examples/char_rnn.rnn";
  int64_t vocab = argc > 2 ? std::stoll(argv[2]) : 1027;
  int64_t batch = argc > 3 ? std::stoll(argv[3]) : 32;
  int64_t steps = argc > 4 ? std::stoll(argv[4]) : 35;

  std::string error;
  auto buffer = frontend::loadSourceFile(path, &error);
  if (!buffer) {
    std::cerr << "error: " << error << '\n';
    return 1;
  }
  DiagnosticEngine diags(buffer, std::cerr);
  auto program = frontend::parseModel(buffer, diags);
  if (!program)
    return 1;
  auto module = frontend::lowerToIR(*program, {vocab, batch, steps}, diags);
  if (!module)
    return 1;
  if (!passes::buildTrainStep(*module, &error)) {
    std::cerr << "error: " << error << '\n';
    return 1;
  }
  if (!passes::runPasses(*module, passes::defaultTrainPipeline(), diags, nullptr))
    return 1;
  const ir::Function &fn = *module->function("train_step");
  auto compiled = runtime::CompiledFunction::compile(fn, &error);
  if (!compiled) {
    std::cerr << "error: " << error << '\n';
    return 1;
  }

  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.0f, 0.01f);
  std::uniform_int_distribution<int32_t> token(0, static_cast<int32_t>(vocab - 1));
  std::vector<std::vector<uint32_t>> args, results;
  for (const auto &arg : fn.body().arguments()) {
    std::vector<uint32_t> words(static_cast<size_t>(arg->type().numElements()));
    for (uint32_t &w : words) {
      if (arg->type().elementType() == ir::ElementType::I32) {
        int32_t v = token(rng);
        std::memcpy(&w, &v, 4);
      } else {
        float v = normal(rng);
        std::memcpy(&w, &v, 4);
      }
    }
    args.push_back(std::move(words));
  }
  for (const ir::Value *v : fn.body().terminator()->operands())
    results.emplace_back(static_cast<size_t>(v->type().numElements()));
  std::vector<void *> argPtrs, resultPtrs;
  for (auto &a : args)
    argPtrs.push_back(a.data());
  for (auto &r : results)
    resultPtrs.push_back(r.data());

  for (int i = 0; i < 3; ++i)
    compiled->run(argPtrs.data(), resultPtrs.data());
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
    compiled->run(argPtrs.data(), resultPtrs.data());
    cpu.push_back(cpuMillis() - cpuStart);
    millis.push_back(std::chrono::duration<double, std::milli>(
                         std::chrono::steady_clock::now() - start)
                         .count());
  }
  std::sort(millis.begin(), millis.end());
  std::sort(cpu.begin(), cpu.end());
  float loss;
  std::memcpy(&loss, results[0].data(), 4);
  std::printf("model %s  V=%lld B=%lld T=%lld  cpu %s\n", path.c_str(),
              static_cast<long long>(vocab), static_cast<long long>(batch),
              static_cast<long long>(steps), runtime::hostCPUName().c_str());
  std::printf("compile %.1f ms  train_step median %.2f ms (min %.2f, max %.2f)  "
              "cpu median %.2f ms  loss %.4f\n",
              compiled->compileMillis(), millis[millis.size() / 2], millis.front(),
              millis.back(), cpu[cpu.size() / 2], loss);
  return 0;
}
