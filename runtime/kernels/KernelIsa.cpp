//===- KernelIsa.cpp - Which instruction set the SIMD kernels run ---------===//
///
/// \file
/// 1. ask the CPU (GCC's __builtin_cpu_supports, which also checks that the
///    operating system saves the wider registers);
/// 2. read RNNC_KERNEL_ISA once, on the first kernel call, and keep it if
///    the CPU has it, else take the best the CPU has;
/// 3. setKernelIsa switches later calls (tests, benchmarks).
///
//===----------------------------------------------------------------------===//
#include "runtime/kernels/KernelIsa.h"
#include "runtime/kernels/SimdKernels.h"

#include <atomic>
#include <cstdlib>

namespace rnnc::runtime {

const char *kernelIsaName(KernelIsa isa) {
  switch (isa) {
  case KernelIsa::Scalar:
    return "scalar";
  case KernelIsa::Avx2:
    return "avx2";
  case KernelIsa::Avx512:
    return "avx512";
  }
  return "?";
}

CpuFeatures hostCpuFeatures() {
  CpuFeatures cpu;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  cpu.avx2 = __builtin_cpu_supports("avx2");
  cpu.fma = __builtin_cpu_supports("fma");
  cpu.avx512f = __builtin_cpu_supports("avx512f");
#endif
  return cpu;
}

Expected<void> checkKernelIsa(KernelIsa isa, const CpuFeatures &cpu) {
  std::string missing;
  auto need = [&](bool has, const char *feature) {
    if (!has)
      missing += (missing.empty() ? "" : " and ") + std::string(feature);
  };
  if (isa == KernelIsa::Avx2 || isa == KernelIsa::Avx512) {
    need(cpu.avx2, "avx2");
    need(cpu.fma, "fma");
  }
  if (isa == KernelIsa::Avx512)
    need(cpu.avx512f, "avx512f");
  if (missing.empty())
    return {};
  return Error(std::string(kernelIsaName(isa)) + " kernels need " + missing +
               ", which this CPU lacks");
}

KernelIsa bestKernelIsa(const CpuFeatures &cpu) {
  KernelIsa best = KernelIsa::Scalar;
  for (KernelIsa isa : kAllKernelIsas)
    if (checkKernelIsa(isa, cpu))
      best = isa;
  return best;
}

Expected<KernelIsa> parseKernelIsa(std::string_view name) {
  for (KernelIsa isa : kAllKernelIsas)
    if (name == kernelIsaName(isa))
      return isa;
  return Error("'" + std::string(name) +
               "' is not a kernel instruction set (expected scalar, avx2 or avx512)");
}

Expected<std::optional<KernelIsa>> readKernelIsaVariable() {
  const char *text = std::getenv("RNNC_KERNEL_ISA");
  if (!text)
    return std::optional<KernelIsa>();
  Expected<KernelIsa> isa = parseKernelIsa(text);
  if (!isa)
    return Error("RNNC_KERNEL_ISA: " + isa.error().message());
  if (Expected<void> runs = checkKernelIsa(*isa, hostCpuFeatures()); !runs)
    return Error("RNNC_KERNEL_ISA=" + std::string(text) + ": " + runs.error().message());
  return std::optional<KernelIsa>(*isa);
}

namespace {

KernelIsa initialKernelIsa() {
  Expected<std::optional<KernelIsa>> forced = readKernelIsaVariable();
  if (forced && *forced)
    return **forced;
  return bestKernelIsa(hostCpuFeatures());
}

std::atomic<KernelIsa> &activeIsa() {
  static std::atomic<KernelIsa> isa{initialKernelIsa()};
  return isa;
}

} // namespace

KernelIsa kernelIsa() { return activeIsa().load(std::memory_order_relaxed); }

Expected<void> setKernelIsa(KernelIsa isa) {
  if (Expected<void> runs = checkKernelIsa(isa, hostCpuFeatures()); !runs)
    return runs;
  activeIsa().store(isa, std::memory_order_relaxed);
  return {};
}

const SimdKernels &simdKernelsFor(KernelIsa isa) {
  switch (isa) {
  case KernelIsa::Avx512:
    return avx512SimdKernels;
  case KernelIsa::Avx2:
    return avx2SimdKernels;
  case KernelIsa::Scalar:
    break;
  }
  return scalarSimdKernels;
}

} // namespace rnnc::runtime
