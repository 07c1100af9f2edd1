//===- JIT.cpp - Compiling rnnc IR functions to native code ---------------===//
///
/// \file
/// 1. describe the host target and make its machine (TargetSetup.h);
/// 2. lower the function (Codegen.cpp) and run the O3 module pipeline with
///    that TargetMachine (so the vectorizer sees the real vector width);
/// 3. hand the module to an LLJIT with the kernels defined as absolute
///    symbols, and look up the entry point.
///
/// emitOptimizedLLVMText runs steps 1 and 2 alike, so `rnnc emit
/// --stage=llvm` prints the module the JIT links.
///
//===----------------------------------------------------------------------===//
#include "runtime/codegen/JIT.h"
#include "passes/Pipeline.h"
#include "runtime/codegen/Codegen.h"
#include "runtime/codegen/TargetSetup.h"
#include "runtime/kernels/Kernels.h"

#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/raw_os_ostream.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/TargetParser/Host.h>

#include <chrono>
#include <ostream>

namespace rnnc::runtime {

namespace {

void printModule(const llvm::Module &module, const std::string &stage,
                 std::ostream &os) {
  os << passes::printAfterHeader(stage) << '\n';
  llvm::raw_os_ostream out(os);
  module.print(out, nullptr);
}

/// Lowers `fn` and runs O3 for `tm`, printing the module after each when
/// `printAfterEach` is given; null with `error` set on failure.
std::unique_ptr<llvm::Module> lowerAndOptimise(const ir::Function &fn,
                                               llvm::LLVMContext &context,
                                               llvm::TargetMachine &tm,
                                               std::string *error,
                                               int64_t *arenaBytes,
                                               std::ostream *printAfterEach) {
  std::unique_ptr<llvm::Module> module =
      lowerToLLVM(fn, context, error, arenaBytes);
  if (!module)
    return nullptr;
  if (printAfterEach)
    printModule(*module, "codegen @" + fn.name(), *printAfterEach);
  optimizeModule(*module, tm);
  if (printAfterEach)
    printModule(*module, "llvm-O3 @" + fn.name(), *printAfterEach);
  return module;
}

} // namespace

struct CompiledFunction::Impl {
  std::unique_ptr<llvm::orc::LLJIT> jit;
};

CompiledFunction::CompiledFunction() : impl_(std::make_unique<Impl>()) {}
CompiledFunction::~CompiledFunction() = default;

std::unique_ptr<CompiledFunction>
CompiledFunction::compile(const ir::Function &fn, std::string *error,
                          std::ostream *printAfterEach) {
  auto fail = [&](std::string message) -> std::unique_ptr<CompiledFunction> {
    if (error)
      *error = std::move(message);
    return nullptr;
  };
  auto start = std::chrono::steady_clock::now();
  std::string targetError;
  auto target = describeTarget("", &targetError);
  if (!target)
    return fail(targetError);
  llvm::orc::JITTargetMachineBuilder jtmb = jitMachineBuilder(*target);
  auto tm = jtmb.createTargetMachine();
  if (!tm)
    return fail("cannot create a target machine: " + llvm::toString(tm.takeError()));
  auto context = std::make_unique<llvm::LLVMContext>();
  int64_t arenaBytes = 0;
  std::unique_ptr<llvm::Module> module =
      lowerAndOptimise(fn, *context, **tm, error, &arenaBytes, printAfterEach);
  if (!module)
    return nullptr;

  auto jit = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(jtmb).create();
  if (!jit)
    return fail("cannot create the JIT: " + llvm::toString(jit.takeError()));
  llvm::orc::SymbolMap kernels;
  for (const KernelSymbol &k : kernelSymbols())
    kernels[(*jit)->mangleAndIntern(k.name)] = llvm::orc::ExecutorSymbolDef(
        llvm::orc::ExecutorAddr::fromPtr(k.address),
        llvm::JITSymbolFlags::Exported | llvm::JITSymbolFlags::Callable);
  if (llvm::Error err = (*jit)->getMainJITDylib().define(
          llvm::orc::absoluteSymbols(std::move(kernels))))
    return fail("cannot define the kernels: " + llvm::toString(std::move(err)));
  if (llvm::Error err = (*jit)->addIRModule(
          llvm::orc::ThreadSafeModule(std::move(module), std::move(context))))
    return fail("cannot add the module: " + llvm::toString(std::move(err)));
  auto entry = (*jit)->lookup(fn.name());
  if (!entry)
    return fail("cannot link '" + fn.name() + "': " + llvm::toString(entry.takeError()));

  std::unique_ptr<CompiledFunction> compiled(new CompiledFunction());
  compiled->impl_->jit = std::move(*jit);
  compiled->entry_ = entry->toPtr<EntryPoint>();
  compiled->name_ = fn.name();
  compiled->arenaBytes_ = arenaBytes;
  compiled->compileMillis_ = std::chrono::duration<double, std::milli>(
                                 std::chrono::steady_clock::now() - start)
                                 .count();
  return compiled;
}

bool CompiledFunction::run(void *const *args, void *const *results) const {
  return entry_(const_cast<void **>(args), const_cast<void **>(results)) == 0;
}

bool CompiledFunction::reserveArena(std::string *error) const {
  if (rnnc_arena_acquire(arenaBytes_))
    return true;
  if (error)
    *error = "@" + name_ + " " + describeArenaShortfall(arenaBytes_);
  return false;
}

std::optional<std::string> emitOptimizedLLVMText(const ir::Function &fn,
                                                 std::string *error) {
  std::string targetError;
  auto target = describeTarget("", &targetError);
  if (!target) {
    if (error)
      *error = targetError;
    return std::nullopt;
  }
  auto tm = jitMachineBuilder(*target).createTargetMachine();
  if (!tm) {
    if (error)
      *error = "cannot create a target machine: " + llvm::toString(tm.takeError());
    return std::nullopt;
  }
  llvm::LLVMContext context;
  std::unique_ptr<llvm::Module> module = lowerAndOptimise(fn, context, **tm, error, nullptr, nullptr);
  if (!module)
    return std::nullopt;
  return printLLVMModule(*module);
}

std::string hostCPUName() { return llvm::sys::getHostCPUName().str(); }

} // namespace rnnc::runtime
