//===- KernelDeclarations.h - LLVM declarations of the kernels --*- C++ -*-===//
///
/// \file
/// The LLVM function declaration of each kernel of
/// runtime/kernels/Kernels.def, with the LLVM type derived from its C
/// signature, so generated code and the C++ kernels cannot disagree about a
/// kernel's parameters.
///
//===----------------------------------------------------------------------===//
#pragma once

#include <llvm/IR/DerivedTypes.h>
#include <llvm/IR/Module.h>

#include <string_view>

namespace rnnc::runtime {

/// The declaration of kernel `name` in `module` (added on first use). `name`
/// must be listed in Kernels.def.
llvm::FunctionCallee declareKernel(llvm::Module &module, std::string_view name);

} // namespace rnnc::runtime
