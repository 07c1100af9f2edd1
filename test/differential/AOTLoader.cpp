//===- AOTLoader.cpp - Calling an `rnnc compile` object without linking it -===//
///
/// \file
/// 1. emitCompiledModel to a unique temporary .o (prefix `difftest`; the
///    model JSON is "{}": only the C API library reads it, and it is not
///    loaded here);
/// 2. a fresh LLJIT for the host (process symbols give the C library),
///    the kernels as absolute symbols, and a generator that answers every
///    `rnnc_capi_*` lookup: `create` with the shim, the rest with a trap;
/// 3. addObjectFile, look up `difftest_create`, call it to get the
///    descriptor, call `descriptor->train_step` and `descriptor->forward`
///    (each after filling the kernel arena with NaN, as for the JIT).
///
//===----------------------------------------------------------------------===//
#include "test/differential/AOTLoader.h"

#include "runtime/codegen/AOTCompiler.h"
#include "runtime/kernels/Kernels.h"
#include "runtime/capi/rnnc_capi.h"
#include "test/differential/CheckSupport.h"

#include <llvm/ExecutionEngine/Orc/Core.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/TargetSelect.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <unistd.h>

namespace rnnc::difftest {
namespace {

extern "C" void *difftestCreateShim(void *descriptor) { return descriptor; }

extern "C" void difftestCApiTrap() {
  std::fprintf(stderr, "rnnc-difftest: the object called an rnnc_capi_* entry\n");
  std::abort();
}

/// Resolves every `rnnc_capi_*` symbol the object references.
class CApiShims : public llvm::orc::DefinitionGenerator {
public:
  llvm::Error tryToGenerate(llvm::orc::LookupState &, llvm::orc::LookupKind,
                            llvm::orc::JITDylib &dylib, llvm::orc::JITDylibLookupFlags,
                            const llvm::orc::SymbolLookupSet &symbols) override {
    llvm::orc::SymbolMap map;
    for (const auto &[name, flags] : symbols) {
      llvm::StringRef s = *name;
      if (!s.starts_with("rnnc_capi_"))
        continue;
      void *address = s == "rnnc_capi_create" ? reinterpret_cast<void *>(&difftestCreateShim)
                                              : reinterpret_cast<void *>(&difftestCApiTrap);
      map[name] = llvm::orc::ExecutorSymbolDef(llvm::orc::ExecutorAddr::fromPtr(address),
                                               llvm::JITSymbolFlags::Exported |
                                                   llvm::JITSymbolFlags::Callable);
    }
    if (map.empty())
      return llvm::Error::success();
    return dylib.define(llvm::orc::absoluteSymbols(std::move(map)));
  }
};

} // namespace

bool runAOTModel(const ir::Function &forward, const ir::Function &trainStep, void *const *trainArgs,
                 void *const *trainResults, void *const *forwardArgs, void *const *forwardResults,
                 std::string *error) {
  static bool initialised = [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    llvm::InitializeNativeTargetAsmParser();
    return true;
  }();
  (void)initialised;
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("rnnc-difftest-" + std::to_string(getpid()) + ".o");
  runtime::AOTOptions options;
  options.prefix = "difftest";
  if (auto emitted =
          runtime::emitCompiledModel(forward, trainStep, "{}", options, path.string());
      !emitted) {
    *error = emitted.error().message();
    return false;
  }
  auto fail = [&](llvm::Error err, const std::string &what) {
    *error = what + ": " + llvm::toString(std::move(err));
    std::filesystem::remove(path);
    return false;
  };
  auto jit = llvm::orc::LLJITBuilder().create();
  if (!jit)
    return fail(jit.takeError(), "cannot create the JIT");
  llvm::orc::SymbolMap kernels;
  for (const runtime::KernelSymbol &k : runtime::kernelSymbols())
    kernels[(*jit)->mangleAndIntern(k.name)] = llvm::orc::ExecutorSymbolDef(
        llvm::orc::ExecutorAddr::fromPtr(k.address),
        llvm::JITSymbolFlags::Exported | llvm::JITSymbolFlags::Callable);
  llvm::orc::JITDylib &main = (*jit)->getMainJITDylib();
  if (llvm::Error err = main.define(llvm::orc::absoluteSymbols(std::move(kernels))))
    return fail(std::move(err), "cannot define the kernels");
  main.addGenerator(std::make_unique<CApiShims>());
  auto buffer = llvm::MemoryBuffer::getFile(path.string());
  if (!buffer) {
    *error = "cannot read " + path.string();
    return false;
  }
  if (llvm::Error err = (*jit)->addObjectFile(std::move(*buffer)))
    return fail(std::move(err), "cannot add the object");
  auto create = (*jit)->lookup("difftest_create");
  if (!create)
    return fail(create.takeError(), "cannot link difftest_create");
  std::filesystem::remove(path);
  auto *descriptor =
      reinterpret_cast<const rnnc_model_descriptor *>(create->toPtr<void *(*)()>()());
  if (!descriptor || descriptor->abi_version != RNNC_CAPI_ABI_VERSION) {
    *error = "the object's descriptor is missing or of another ABI version";
    return false;
  }
  poisonArena();
  descriptor->train_step(const_cast<void **>(trainArgs), const_cast<void **>(trainResults));
  poisonArena();
  descriptor->forward(const_cast<void **>(forwardArgs), const_cast<void **>(forwardResults));
  return true;
}

} // namespace rnnc::difftest
