//===- TargetSetup.cpp - The one place the LLVM target is chosen ----------===//
///
/// \file
/// 1. register the native target once;
/// 2. describe the target: host triple, CPU (the host's by default, else a
///    name LLVM knows) and features (the host's, with the host CPU; then
///    any the caller adds or removes, checked against LLVM's list);
/// 3. make a target machine from that description for the JIT or for an
///    object file (both at CodeGenOptLevel::Aggressive);
/// 4. optimise a module with the O3 pipeline for a target machine.
///
//===----------------------------------------------------------------------===//
#include "runtime/codegen/TargetSetup.h"

#include <llvm/ADT/STLExtras.h>
#include <llvm/ADT/SmallVector.h>
#include <llvm/ADT/StringExtras.h>
#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/TargetParser/Host.h>
#include <llvm/TargetParser/SubtargetFeature.h>

#include <mutex>

namespace rnnc::runtime {

void initialiseNativeTargetOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    llvm::InitializeNativeTargetAsmParser();
  });
}

Expected<TargetDescription> describeTarget(const std::string &cpu) {
  initialiseNativeTargetOnce();
  TargetDescription target;
  target.triple = llvm::sys::getProcessTriple();
  if (cpu.empty()) {
    target.cpu = llvm::sys::getHostCPUName().str();
    llvm::SubtargetFeatures features;
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      features.AddFeature(feature.first(), feature.second);
    target.features = features.getFeatures();
    return target;
  }
  std::string lookupError;
  const llvm::Target *found =
      llvm::TargetRegistry::lookupTarget(target.triple, lookupError);
  std::unique_ptr<llvm::MCSubtargetInfo> info(
      found ? found->createMCSubtargetInfo(target.triple, "generic", "") : nullptr);
  if (!info || !info->isCPUStringValid(cpu))
    return Error("unknown target CPU '" + cpu + "' for " + target.triple +
                 " (e.g. x86-64, x86-64-v3, skylake-avx512; `llc -mcpu=help` "
                 "lists them)");
  target.cpu = cpu;
  return target;
}

Expected<TargetDescription> describeTarget(const std::string &cpu,
                                           const std::string &features) {
  Expected<TargetDescription> target = describeTarget(cpu);
  if (!target || features.empty())
    return target;
  std::string lookupError;
  const llvm::Target *found = llvm::TargetRegistry::lookupTarget(target->triple, lookupError);
  std::unique_ptr<llvm::MCSubtargetInfo> info(
      found ? found->createMCSubtargetInfo(target->triple, "generic", "") : nullptr);
  llvm::SmallVector<llvm::StringRef, 8> entries;
  llvm::StringRef(features).split(entries, ',');
  for (llvm::StringRef entry : entries) {
    entry = entry.trim();
    bool known = info && entry.size() > 1 && (entry[0] == '+' || entry[0] == '-');
    if (known) {
      llvm::StringRef name = entry.drop_front();
      known = llvm::any_of(info->getAllProcessorFeatures(),
                           [&](const llvm::SubtargetFeatureKV &kv) { return name == kv.Key; });
    }
    if (!known)
      return Error("unknown target feature '" + entry.str() + "' for " + target->triple +
                   " (expected +NAME or -NAME, e.g. +avx2,-avx512f; `llc -mattr=help` "
                   "lists them)");
    target->features.push_back(entry.str());
  }
  return target;
}

llvm::orc::JITTargetMachineBuilder jitMachineBuilder(const TargetDescription &target) {
  llvm::orc::JITTargetMachineBuilder builder{llvm::Triple(target.triple)};
  builder.setCPU(target.cpu);
  builder.addFeatures(target.features);
  builder.setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  return builder;
}

Expected<std::unique_ptr<llvm::TargetMachine>>
createObjectTargetMachine(const TargetDescription &target) {
  std::string lookupError;
  const llvm::Target *found =
      llvm::TargetRegistry::lookupTarget(target.triple, lookupError);
  if (!found)
    return Error("no target for '" + target.triple + "': " + lookupError);
  std::unique_ptr<llvm::TargetMachine> tm(found->createTargetMachine(
      target.triple, target.cpu, llvm::join(target.features, ","), llvm::TargetOptions(),
      llvm::Reloc::PIC_, std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  if (!tm)
    return Error("cannot create a target machine for '" + target.cpu + "'");
  return tm;
}

void optimizeModule(llvm::Module &module, llvm::TargetMachine &tm) {
  module.setDataLayout(tm.createDataLayout());
  module.setTargetTriple(tm.getTargetTriple().str());
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopVectorization = true;
  tuning.SLPVectorization = true;
  llvm::PassBuilder pb(&tm, tuning);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3).run(module, mam);
}

} // namespace rnnc::runtime
