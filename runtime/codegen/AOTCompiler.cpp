//===- AOTCompiler.cpp - Ahead-of-time objects for `rnnc compile` ---------===//
///
/// \file
/// 1. build a TargetMachine for the host triple and the chosen CPU (host CPU
///    and features by default, as the JIT: TargetSetup.h);
/// 2. lower `@forward` and `@train_step` into one LLVM module and run the
///    JIT's O3 pipeline (so the arithmetic is the JIT's);
/// 3. rename them to internal `__rnnc_<prefix>_*`, add the descriptor and
///    the exported `<prefix>_*` wrappers that forward to `rnnc_capi_*`;
/// 4. emit an object, assembly or LLVM IR.
///
//===----------------------------------------------------------------------===//
#include "runtime/codegen/AOTCompiler.h"
#include "runtime/codegen/KernelDeclarations.h"
#include "runtime/codegen/Codegen.h"
#include "runtime/codegen/CodegenLowering.h"
#include "runtime/codegen/ModelProgram.h"
#include "runtime/codegen/TargetSetup.h"
#include "runtime/data/Utf8.h"
#include "runtime/capi/rnnc_capi.h"

#include <llvm/IR/Constants.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Support/FileSystem.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>

#include <cctype>
#include <nlohmann/json.hpp>

namespace rnnc::runtime {

namespace {

/// One entry point of runtime/capi/rnnc_capi.def, its type read off the
/// rnnc_capi_* prototype (decltype: no reference to the runtime library).
struct ApiFunction {
  const char *suffix;
  llvm::FunctionType *(*type)(llvm::LLVMContext &);
};

const ApiFunction kApi[] = {
#define RNNC_CAPI_FUNCTION(Result, name, Params, Doc)                          \
  {#name, &LLVMFunctionType<decltype(rnnc_capi_##name)>::get},
#include "runtime/capi/rnnc_capi.def"
};

/// The internal descriptor and the exported wrappers.
void addEntryPoints(llvm::Module &module, const std::string &prefix,
                    llvm::Function *forward, llvm::Function *trainStep,
                    const std::string &modelJson) {
  llvm::LLVMContext &ctx = module.getContext();
  llvm::Type *ptr = llvm::PointerType::get(ctx, 0);
  llvm::Type *i64 = llvm::Type::getInt64Ty(ctx);
  auto *json = new llvm::GlobalVariable(
      module,
      llvm::ArrayType::get(llvm::Type::getInt8Ty(ctx), modelJson.size() + 1),
      true, llvm::GlobalValue::PrivateLinkage,
      llvm::ConstantDataArray::getString(ctx, modelJson, true),
      "__rnnc_" + prefix + "_model_json");
  auto *descType = llvm::StructType::get(ctx, {i64, ptr, ptr, ptr});
  auto *descriptor = new llvm::GlobalVariable(
      module, descType, true, llvm::GlobalValue::InternalLinkage,
      llvm::ConstantStruct::get(
          descType, {llvm::ConstantInt::get(i64, RNNC_CAPI_ABI_VERSION), json,
                     forward, trainStep}),
      "__rnnc_" + prefix + "_descriptor");

  for (const ApiFunction &api : kApi) {
    llvm::FunctionType *calleeType = api.type(ctx);
    // `<prefix>_create` passes the object's descriptor to rnnc_capi_create.
    bool isCreate = std::string(api.suffix) == "create";
    llvm::ArrayRef<llvm::Type *> params = calleeType->params();
    auto *type = llvm::FunctionType::get(calleeType->getReturnType(),
                                         params.drop_front(isCreate ? 1 : 0),
                                         false);
    auto *wrapper =
        llvm::Function::Create(type, llvm::Function::ExternalLinkage,
                               prefix + "_" + api.suffix, module);
    std::vector<llvm::Value *> args;
    if (isCreate)
      args.push_back(descriptor);
    for (llvm::Argument &a : wrapper->args())
      args.push_back(&a);
    llvm::FunctionCallee callee = module.getOrInsertFunction(
        std::string("rnnc_capi_") + api.suffix, calleeType);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", wrapper));
    llvm::CallInst *call = b.CreateCall(callee, args);
    call->setTailCall(true);
    if (type->getReturnType()->isVoidTy())
      b.CreateRetVoid();
    else
      b.CreateRet(call);
  }
}

} // namespace

Expected<void> checkTarget(const std::string &cpu, const std::string &features) {
  if (auto target = describeTarget(cpu, features); !target)
    return target.error();
  return {};
}

bool isValidPrefix(const std::string &prefix) {
  if (prefix.empty() || std::isdigit(static_cast<unsigned char>(prefix[0])) ||
      prefix.rfind("rnnc_", 0) == 0 || prefix.size() > 64)
    return false;
  for (char c : prefix)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_')
      return false;
  return true;
}

std::string defaultPrefix(const std::string &modelName) {
  std::string out;
  for (size_t i = 0; i < modelName.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(modelName[i]);
    bool upper = std::isupper(c);
    // A word starts at an upper-case letter after a lower-case one or digit,
    // or before a lower-case one (the `N` of `RNNCell` in `RNNCell`).
    if (upper && i > 0 && !out.empty() && out.back() != '_' &&
        (!std::isupper(static_cast<unsigned char>(modelName[i - 1])) ||
         (i + 1 < modelName.size() &&
          std::islower(static_cast<unsigned char>(modelName[i + 1])))))
      out += '_';
    out += std::isalnum(c) ? static_cast<char>(std::tolower(c)) : '_';
  }
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0])))
    out = "model_" + out;
  return out;
}

Expected<std::string> describeModel(const ir::Module &forwardModule,
                                    const ir::Module &trainModule,
                                    const AOTModelFacts &facts) {
  const ir::Function *forward = forwardModule.function("forward");
  const ir::Function *trainStep = trainModule.function("train_step");
  const ir::Function *trainForward = trainModule.function("forward");
  if (!forward || !trainStep || !trainForward)
    return Error("the model needs @forward and @train_step");
  auto step = readLayout(*forward);
  if (!step)
    return step.error();
  auto train = readLayout(*trainStep);
  if (!train)
    return train.error();
  auto slots = [](const std::vector<TensorSlot> &list) {
    nlohmann::json out = nlohmann::json::array();
    for (const TensorSlot &s : list)
      out.push_back({{"name", s.name}, {"shape", s.shape}});
    return out;
  };
  nlohmann::json params = nlohmann::json::array();
  for (const TensorSlot &s : train->params) {
    auto it = trainModule.paramInits.find(s.name);
    ir::ParamInit init =
        it == trainModule.paramInits.end() ? ir::ParamInit{} : it->second;
    params.push_back(
        {{"name", s.name},
         {"shape", s.shape},
         {"init", {{"kind", init.kind}, {"a", init.a}, {"b", init.b}}}});
  }
  const ir::TrainConfig &cfg = trainModule.train;
  nlohmann::json j = {{"abi", RNNC_CAPI_ABI_VERSION},
                      {"name", trainModule.name},
                      {"source", facts.source},
                      {"hash", facts.hash},
                      {"vocab_size", step->vocab},
                      {"batch", train->batch},
                      {"seq_len", train->seqLen},
                      {"params", params},
                      {"train_states", slots(train->states)},
                      {"step_states", slots(step->states)},
                      {"train",
                       {{"optimizer", cfg.optimizer},
                        {"lr", cfg.lr},
                        {"beta1", cfg.beta1},
                        {"beta2", cfg.beta2},
                        {"eps", cfg.eps},
                        {"clip", cfg.clip},
                        {"sampling", cfg.sampling}}},
                      {"hyper_parameters", facts.hyperParametersJson}};
  if (facts.vocabulary)
    j["vocabulary"] = encodeUtf8(*facts.vocabulary);
  if (train->dropoutKey) // the train step takes the dropout key after x
    j["dropout_key"] = true;
  return j.dump();
}

Expected<void> emitCompiledModel(const ir::Function &forward,
                                 const ir::Function &trainStep,
                                 const std::string &modelJson,
                                 const AOTOptions &options,
                                 const std::string &outputPath) {
  if (!isValidPrefix(options.prefix))
    return Error("invalid --name '" + options.prefix +
                 "': a C identifier not starting with 'rnnc_'");
  auto target = describeTarget(options.targetCPU, options.targetFeatures);
  if (!target)
    return target.error();
  auto createdTm = createObjectTargetMachine(*target);
  if (!createdTm)
    return createdTm.error();
  std::unique_ptr<llvm::TargetMachine> tm = std::move(*createdTm);
  llvm::LLVMContext context;
  llvm::Module module("rnnc." + options.prefix, context);
  module.setDataLayout(tm->createDataLayout());
  module.setTargetTriple(tm->getTargetTriple().str());
  nlohmann::json description = nlohmann::json::parse(modelJson);
  for (const ir::Function *fn : {&forward, &trainStep}) {
    auto lowered = codegen::lowerFunction(module, *fn);
    if (!lowered)
      return Error("in @" + fn->name() + ": " + lowered.error().message());
    description["arena_bytes"][fn == &forward ? "forward" : "train_step"] =
        lowered->plan.arenaBytes();
  }
  optimizeModule(module, *tm); // the JIT's O3 pipeline, so results agree
  llvm::Function *forwardFn = module.getFunction(forward.name());
  llvm::Function *trainFn = module.getFunction(trainStep.name());
  if (!forwardFn || !trainFn)
    return Error("internal: the lowered functions are missing");
  forwardFn->setName("__rnnc_" + options.prefix + "_forward");
  trainFn->setName("__rnnc_" + options.prefix + "_train_step");
  // Everything defined so far stays inside the object.
  for (llvm::Function &f : module.functions())
    if (!f.isDeclaration())
      f.setLinkage(llvm::GlobalValue::InternalLinkage);
  for (llvm::GlobalVariable &g : module.globals())
    if (!g.isDeclaration() && !g.hasPrivateLinkage())
      g.setLinkage(llvm::GlobalValue::InternalLinkage);
  addEntryPoints(module, options.prefix, forwardFn, trainFn, description.dump());

  std::string verifyText;
  llvm::raw_string_ostream verifyOs(verifyText);
  if (llvm::verifyModule(module, &verifyOs))
    return Error("internal: the object's LLVM IR is invalid: " + verifyOs.str());
  std::error_code ec;
  llvm::raw_fd_ostream out(outputPath, ec,
                           options.emit == AOTEmitKind::Object
                               ? llvm::sys::fs::OF_None
                               : llvm::sys::fs::OF_Text);
  if (ec)
    return Error("cannot write '" + outputPath + "': " + ec.message());
  if (options.emit == AOTEmitKind::LLVM) {
    module.print(out, nullptr);
  } else {
    llvm::legacy::PassManager pm;
    if (tm->addPassesToEmitFile(pm, out, nullptr,
                                options.emit == AOTEmitKind::Object
                                    ? llvm::CodeGenFileType::ObjectFile
                                    : llvm::CodeGenFileType::AssemblyFile)) {
      out.close();
      llvm::sys::fs::remove(outputPath);
      return Error("the target cannot emit this file type");
    }
    pm.run(module);
  }
  out.flush();
  if (out.has_error()) {
    Error failed("cannot write '" + outputPath + "': " + out.error().message());
    out.clear_error();
    out.close();
    llvm::sys::fs::remove(outputPath); // no partial object under the real name
    return failed;
  }
  return {};
}

} // namespace rnnc::runtime
