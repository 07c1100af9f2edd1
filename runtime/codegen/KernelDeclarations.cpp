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

#include <cstdint>
#include <type_traits>

namespace rnnc::runtime {

namespace {

template <typename T> llvm::Type *llvmTypeOf(llvm::LLVMContext &ctx) {
  if constexpr (std::is_void_v<T>)
    return llvm::Type::getVoidTy(ctx);
  else if constexpr (std::is_pointer_v<T>)
    return llvm::PointerType::get(ctx, 0);
  else if constexpr (std::is_same_v<T, int64_t>)
    return llvm::Type::getInt64Ty(ctx);
  else if constexpr (std::is_same_v<T, int32_t>)
    return llvm::Type::getInt32Ty(ctx);
  else
    static_assert(!sizeof(T), "a kernel parameter type with no LLVM type");
}

template <typename Result, typename... Params>
llvm::FunctionType *llvmFunctionType(Result (*)(Params...),
                                     llvm::LLVMContext &ctx) {
  return llvm::FunctionType::get(llvmTypeOf<Result>(ctx),
                                 {llvmTypeOf<Params>(ctx)...}, false);
}

} // namespace

llvm::FunctionCallee declareKernel(llvm::Module &module, std::string_view name) {
  llvm::LLVMContext &ctx = module.getContext();
#define RNNC_KERNEL(Name, Result, Parameters)                                  \
  if (name == #Name)                                                           \
    return module.getOrInsertFunction(                                         \
        #Name, llvmFunctionType(static_cast<Result(*) Parameters>(nullptr), ctx));
#include "runtime/kernels/Kernels.def"
  llvm_unreachable("a kernel missing from Kernels.def");
}

} // namespace rnnc::runtime
