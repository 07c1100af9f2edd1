//===- Kernels.h - Runtime kernels called by generated code -----*- C++ -*-===//
///
/// \file
/// The `extern "C"` entry points that JIT-compiled code calls for work that is
/// not a simple elementwise loop: matrix products (OpenBLAS or Eigen), row
/// gathers and their adjoint, one-hot encoding, softmax cross-entropy and its
/// gradient, last-axis copies (concat/slice/pad), reductions, and the
/// per-call scratch arena. Each kernel is listed once, with its signature and
/// what it computes, in Kernels.def; this header declares them from it.
///
/// Token ids outside their range never cause undefined behaviour: gathers
/// write a zero row, scatters and losses skip the position (the interpreter,
/// which is the oracle, reports such ids as errors instead).
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

extern "C" {
#define RNNC_KERNEL(Name, Result, Parameters) Result Name Parameters;
#include "runtime/kernels/Kernels.def"
} // extern "C"

namespace rnnc::runtime {

/// `bytes` for people: "812 B", "6.4 kB", "40.1 GB" (powers of 1000).
std::string formatByteSize(int64_t bytes);

/// Why an arena of `bytes` cannot be had: "needs 40.1 GB of working memory
/// (arena), more than can be allocated (limit 16.8 GB)".
std::string describeArenaShortfall(int64_t bytes);

/// RNNC_ARENA_LIMIT_BYTES parsed: nullopt when unset; an Error when set to
/// something that is not a positive byte count.
Expected<std::optional<int64_t>> readArenaLimitVariable();

/// A kernel's C name and address, for binding into the JIT.
struct KernelSymbol {
  const char *name;
  void *address;
};

/// Every kernel of Kernels.def with its address.
const std::vector<KernelSymbol> &kernelSymbols();

/// Floats rnnc_pack_panels writes for a [k,n] right operand.
int64_t packedPanelFloats(int64_t k, int64_t n);

} // namespace rnnc::runtime
