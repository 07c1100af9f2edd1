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
#include <type_traits>

namespace rnnc::runtime {

/// The LLVM type of a C parameter or result (kernels, the C API).
template <typename T> llvm::Type *llvmTypeOf(llvm::LLVMContext &ctx) {
  if constexpr (std::is_void_v<T>)
    return llvm::Type::getVoidTy(ctx);
  else if constexpr (std::is_pointer_v<T>)
    return llvm::PointerType::get(ctx, 0);
  else if constexpr (std::is_same_v<T, double>)
    return llvm::Type::getDoubleTy(ctx);
  else {
    static_assert(std::is_integral_v<T>, "a C type with no LLVM type here");
    return llvm::Type::getIntNTy(ctx, sizeof(T) * 8);
  }
}

/// The LLVM function type of a C function type `F` (e.g. a decltype).
template <typename F> struct LLVMFunctionType;
template <typename R, typename... A> struct LLVMFunctionType<R(A...)> {
  static llvm::FunctionType *get(llvm::LLVMContext &ctx) {
    return llvm::FunctionType::get(llvmTypeOf<R>(ctx), {llvmTypeOf<A>(ctx)...},
                                   false);
  }
};

/// The declaration of kernel `name` in `module` (added on first use). `name`
/// must be listed in Kernels.def.
llvm::FunctionCallee declareKernel(llvm::Module &module, std::string_view name);

} // namespace rnnc::runtime
