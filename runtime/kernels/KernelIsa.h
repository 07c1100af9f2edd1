//===- KernelIsa.h - Which instruction set the SIMD kernels run ---*- C++ -*-===//
///
/// \file
/// The runtime library is built for any x86-64 CPU; its hand-vectorised
/// kernels (the per-step packed product, the softmax's exp, products of a
/// few rows) are compiled
/// once per instruction set and one set is chosen at run time: the best
/// the CPU has, or the one RNNC_KERNEL_ISA names (scalar, avx2, avx512), so
/// that every path can be run and tested on a machine that has it.
///
///   scalar  baseline x86-64: plain C++ loops, no FMA (products and sums
///           rounded separately), the libm exp;
///   avx2    AVX2 + FMA, 8 lanes;
///   avx512  AVX-512F, 16 lanes (and 32 vector registers).
///
/// avx2 and avx512 compute every output element with the same operations in
/// the same order, so they give the same bits; scalar does not (no FMA, a
/// different exp) and is close instead (test/unit/KernelIsaTest.cpp).
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Error.h"

#include <optional>
#include <string>
#include <string_view>

namespace rnnc::runtime {

enum class KernelIsa { Scalar, Avx2, Avx512 };

/// Every instruction set, slowest first.
inline constexpr KernelIsa kAllKernelIsas[] = {KernelIsa::Scalar, KernelIsa::Avx2,
                                               KernelIsa::Avx512};

/// "scalar", "avx2", "avx512": the names RNNC_KERNEL_ISA takes.
const char *kernelIsaName(KernelIsa isa);

/// The CPU features the choice depends on.
struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool avx512f = false;
};

/// What this CPU (and its operating system) supports.
CpuFeatures hostCpuFeatures();

/// Whether `isa` runs on a CPU with `cpu`; otherwise an error naming the
/// missing features ("avx512 needs avx512f, which this CPU lacks").
Expected<void> checkKernelIsa(KernelIsa isa, const CpuFeatures &cpu);

/// The fastest instruction set `cpu` supports.
KernelIsa bestKernelIsa(const CpuFeatures &cpu);

/// `name` as an instruction set, or an error listing the names.
Expected<KernelIsa> parseKernelIsa(std::string_view name);

/// RNNC_KERNEL_ISA read and checked against this CPU: nullopt when unset;
/// an error when it names no instruction set or one the CPU lacks (the tool
/// refuses to run then; the library falls back to the best supported).
Expected<std::optional<KernelIsa>> readKernelIsaVariable();

/// The instruction set the kernels run now: RNNC_KERNEL_ISA when valid, else
/// the best the CPU has (read once), until setKernelIsa.
KernelIsa kernelIsa();

/// Runs the kernels with `isa` from now on; an error (and no change) when
/// this CPU lacks it. For tests and benchmarks comparing the paths.
Expected<void> setKernelIsa(KernelIsa isa);

} // namespace rnnc::runtime
