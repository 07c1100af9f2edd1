//===- KernelDeclarations.cpp - LLVM declarations of the kernels ----------===//
///
/// \file
/// 1. map each C parameter type of Kernels.def to its LLVM type (every
///    pointer is `ptr`; int64_t is i64);
/// 2. build each kernel's llvm::FunctionType from its C function type;
/// 3. declare the named kernel with it.
///
//===----------------------------------------------------------------------===//
#include "runtime/codegen/KernelDeclarations.h"

#include <llvm/Support/ErrorHandling.h>

namespace rnnc::runtime {

llvm::FunctionCallee declareKernel(llvm::Module &module, std::string_view name) {
  llvm::LLVMContext &ctx = module.getContext();
#define RNNC_KERNEL(Name, Result, Parameters)                                  \
  if (name == #Name)                                                           \
    return module.getOrInsertFunction(                                         \
        #Name, LLVMFunctionType<Result Parameters>::get(ctx));
#include "runtime/kernels/Kernels.def"
  llvm_unreachable("a kernel missing from Kernels.def");
}

} // namespace rnnc::runtime
