//===- JIT.h - Compiling rnnc IR functions to native code -------*- C++ -*-===//
///
/// \file
/// A CompiledFunction is one ir::Function lowered by runtime/codegen/Codegen.h,
/// optimised with LLVM's O3 pipeline for the host CPU (its name and
/// features, AVX-512 where present) and linked by an ORC LLJIT whose only
/// external symbols are the kernels of runtime/kernels/Kernels.h and the C library.
/// No LLVM type appears in this header.
///
/// Calling convention of run(): args[i] points to the buffer of the
/// function's i-th argument and results[i] to a caller-allocated buffer for
/// its i-th return value (float or int32_t, dense, row-major, sized by the IR
/// types). A CompiledFunction may be called from one thread at a time.
/// run() is false, with nothing written, when the function's working memory
/// (its arena, arenaBytes() bytes) cannot be had on the calling thread.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Error.h"
#include "ir/IR.h"

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>

namespace rnnc::runtime {

class CompiledFunction {
public:
  /// Lowers, optimises and links `fn`; an Error when it cannot. With
  /// `printAfterEach`, the LLVM module is written to it after lowering and
  /// after optimisation (`--print-after-all`).
  static Expected<std::unique_ptr<CompiledFunction>>
  compile(const ir::Function &fn, std::ostream *printAfterEach = nullptr);
  ~CompiledFunction();
  CompiledFunction(const CompiledFunction &) = delete;
  CompiledFunction &operator=(const CompiledFunction &) = delete;

  [[nodiscard]] bool run(void *const *args, void *const *results) const;

  /// The scratch memory one call needs (kept per thread between calls).
  int64_t arenaBytes() const { return arenaBytes_; }
  /// Whether this thread can have the arena now (it is then kept for the
  /// calls that follow); an Error naming the size otherwise.
  Expected<void> reserveArena() const;
  /// Wall time spent in lower + optimise + link, in milliseconds.
  double compileMillis() const { return compileMillis_; }
  const std::string &name() const { return name_; }

private:
  struct Impl;
  using EntryPoint = int32_t (*)(void **, void **);
  CompiledFunction();
  std::unique_ptr<Impl> impl_;
  EntryPoint entry_ = nullptr;
  double compileMillis_ = 0;
  int64_t arenaBytes_ = 0;
  std::string name_;
};

/// The LLVM IR of `fn` after the O3 pipeline for the host CPU: the module
/// CompiledFunction::compile links (to inspect what the vectorizer made of
/// the loops).
Expected<std::string> emitOptimizedLLVMText(const ir::Function &fn);

/// The host CPU name the JIT targets (`skylake-avx512`).
std::string hostCPUName();

} // namespace rnnc::runtime
