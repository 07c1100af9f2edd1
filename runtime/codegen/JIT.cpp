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
/// `printAfterEach` is given.
Expected<std::unique_ptr<llvm::Module>>
lowerAndOptimise(const ir::Function &fn, llvm::LLVMContext &context,
                 llvm::TargetMachine &tm, int64_t *arenaBytes,
                 std::ostream *printAfterEach) {
  auto module = lowerToLLVM(fn, context, arenaBytes);
  if (!module)
    return module.error();
  if (printAfterEach)
    printModule(**module, "codegen @" + fn.name(), *printAfterEach);
  optimizeModule(**module, tm);
  if (printAfterEach)
    printModule(**module, "llvm-O3 @" + fn.name(), *printAfterEach);
  return module;
}

/// The host's target machine, as the JIT builds it.
Expected<std::unique_ptr<llvm::TargetMachine>>
hostTargetMachine(llvm::orc::JITTargetMachineBuilder builder) {
  auto tm = builder.createTargetMachine();
  if (!tm)
    return Error("cannot create a target machine: " +
                 llvm::toString(tm.takeError()));
  return std::move(*tm);
}

} // namespace

struct CompiledFunction::Impl {
  std::unique_ptr<llvm::orc::LLJIT> jit;
};

CompiledFunction::CompiledFunction() : impl_(std::make_unique<Impl>()) {}
CompiledFunction::~CompiledFunction() = default;

Expected<std::unique_ptr<CompiledFunction>>
CompiledFunction::compile(const ir::Function &fn, std::ostream *printAfterEach) {
  auto start = std::chrono::steady_clock::now();
  auto target = describeTarget("");
  if (!target)
    return target.error();
  llvm::orc::JITTargetMachineBuilder jtmb = jitMachineBuilder(*target);
  auto tm = hostTargetMachine(jtmb);
  if (!tm)
    return tm.error();
  auto context = std::make_unique<llvm::LLVMContext>();
  int64_t arenaBytes = 0;
  auto module = lowerAndOptimise(fn, *context, **tm, &arenaBytes, printAfterEach);
  if (!module)
    return module.error();

  auto jit = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(jtmb).create();
  if (!jit)
    return Error("cannot create the JIT: " + llvm::toString(jit.takeError()));
  llvm::orc::SymbolMap kernels;
  for (const KernelSymbol &k : kernelSymbols())
    kernels[(*jit)->mangleAndIntern(k.name)] = llvm::orc::ExecutorSymbolDef(
        llvm::orc::ExecutorAddr::fromPtr(k.address),
        llvm::JITSymbolFlags::Exported | llvm::JITSymbolFlags::Callable);
  if (llvm::Error err = (*jit)->getMainJITDylib().define(
          llvm::orc::absoluteSymbols(std::move(kernels))))
    return Error("cannot define the kernels: " + llvm::toString(std::move(err)));
  if (llvm::Error err = (*jit)->addIRModule(
          llvm::orc::ThreadSafeModule(std::move(*module), std::move(context))))
    return Error("cannot add the module: " + llvm::toString(std::move(err)));
  auto entry = (*jit)->lookup(fn.name());
  if (!entry)
    return Error("cannot link '" + fn.name() + "': " +
                 llvm::toString(entry.takeError()));

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

Expected<void> CompiledFunction::reserveArena() const {
  if (rnnc_arena_acquire(arenaBytes_))
    return {};
  return Error("@" + name_ + " " + describeArenaShortfall(arenaBytes_));
}

Expected<std::string> emitOptimizedLLVMText(const ir::Function &fn) {
  auto target = describeTarget("");
  if (!target)
    return target.error();
  auto tm = hostTargetMachine(jitMachineBuilder(*target));
  if (!tm)
    return tm.error();
  llvm::LLVMContext context;
  auto module = lowerAndOptimise(fn, context, **tm, nullptr, nullptr);
  if (!module)
    return module.error();
  return printLLVMModule(**module);
}

std::string hostCPUName() { return llvm::sys::getHostCPUName().str(); }

} // namespace rnnc::runtime
