//===- Codegen.h - Lowering rnnc IR functions to LLVM IR --------*- C++ -*-===//
///
/// \file
/// Turns one ir::Function into an LLVM module with a single entry point
///
///     int32_t <name>(void **args, void **results)
///
/// returning 0, or 1 without reading or writing any buffer when its arena
/// (rnnc_arena_acquire, runtime/kernels/Kernels.h) cannot be had; args[i] points to the i-th argument's buffer and results[i] to a
/// caller-allocated buffer for the i-th return value (float or int32_t,
/// dense, row-major). A state's result buffer may be that state's argument
/// buffer (a carried state updated in place); no other result buffer may
/// overlap an argument or another result: most results are computed in
/// place there, not copied at the end. Intermediates live in one arena per call, planned
/// statically. Elementwise ops become LLVM loops the vectorizer can take;
/// matrix products, gathers, losses and copies call the kernels of
/// runtime/kernels/Kernels.h; `scan` becomes a real loop over time whose sequence
/// slices and stacked outputs are pointer offsets.
///
/// Only forward declarations of LLVM types appear here, so the tool can call
/// emitLLVMText without LLVM's headers.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Error.h"
#include "ir/IR.h"

#include <cstdint>
#include <memory>
#include <string>

namespace llvm {
class LLVMContext;
class Module;
} // namespace llvm

namespace rnnc::runtime {

/// Lowers `fn` into a new module in `context`; an Error when an op or type
/// is not supported. `*arenaBytes` (if non-null) gets the arena one call
/// needs.
Expected<std::unique_ptr<llvm::Module>>
lowerToLLVM(const ir::Function &fn, llvm::LLVMContext &context,
            int64_t *arenaBytes = nullptr);

/// `module` as LLVM assembly text.
std::string printLLVMModule(const llvm::Module &module);

/// Lowers `fn` into an existing `module` as the entry `@<fn.name()>` (so
/// several functions share one module, e.g. for an object file); kernel
/// declarations are shared. An Error on unsupported input.
Expected<void> lowerFunctionInto(llvm::Module &module, const ir::Function &fn);

/// What one lowered function asks of the runtime per call.
struct PlanStats {
  int64_t arenaBytes = 0;       ///< Planned, with sharing.
  int64_t unsharedBytes = 0;    ///< One buffer per value.
  int64_t peakLiveBytes = 0;    ///< Lower bound for any plan.
  int64_t buffers = 0;          ///< Buffers planned.
  int64_t kernelCallSites = 0;  ///< Kernel calls in the generated code.
  int64_t kernelCallsPerRun = 0; ///< Kernel calls one call makes (loops unrolled).
};

/// Plans and lowers `fn` (without optimising or linking it) and reports its
/// plan (arena, buffers) and the kernel calls emitted; an Error when it
/// cannot be lowered.
Expected<PlanStats> planStats(const ir::Function &fn);

/// The unoptimised LLVM IR of `fn` as text.
Expected<std::string> emitLLVMText(const ir::Function &fn);

/// Every function of `module` lowered into one LLVM module, as text (for
/// `rnnc emit --stage=llvm`: `@forward`, then `@train_step` if present).
Expected<std::string> emitLLVMText(const ir::Module &module);

} // namespace rnnc::runtime
