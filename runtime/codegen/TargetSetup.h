//===- TargetSetup.h - The one place the LLVM target is chosen --*- C++ -*-===//
///
/// \file
/// The JIT and the ahead-of-time compiler generate code for the same target
/// and optimise it with the same pipeline, so that an object computes what
/// `rnnc train` computes: this header is where both get it. A target is the
/// host's triple with a CPU name and its features (by default the host CPU
/// and every feature it has, AVX-512 where present).
///
//===----------------------------------------------------------------------===//
#pragma once

#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/IR/Module.h>
#include <llvm/Target/TargetMachine.h>

#include "ir/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace rnnc::runtime {

struct TargetDescription {
  std::string triple;
  std::string cpu;
  std::vector<std::string> features; ///< "+avx2", "-sse4a", ...
};

/// Registers the host target with LLVM (once per process; thread-safe).
void initialiseNativeTargetOnce();

/// The host triple with `cpu`, or with this host's CPU and features when
/// `cpu` is empty. An Error naming `cpu` when LLVM does not know it for
/// this triple.
Expected<TargetDescription> describeTarget(const std::string &cpu);

/// As above, then `features` ("+avx2,-avx512f": comma-separated, each a
/// sign and an LLVM feature name) added after the CPU's, so they override
/// it. An Error naming the first entry that is not a feature.
Expected<TargetDescription> describeTarget(const std::string &cpu,
                                           const std::string &features);

/// The builder an LLJIT makes its target machines with; its
/// createTargetMachine() gives the machine the JIT's code is optimised for.
llvm::orc::JITTargetMachineBuilder jitMachineBuilder(const TargetDescription &target);

/// A target machine writing position-independent objects for `target`.
Expected<std::unique_ptr<llvm::TargetMachine>>
createObjectTargetMachine(const TargetDescription &target);

/// Sets `module`'s data layout and triple from `tm` and runs LLVM's O3
/// module pipeline for it (loop and SLP vectorisation on).
void optimizeModule(llvm::Module &module, llvm::TargetMachine &tm);

} // namespace rnnc::runtime
