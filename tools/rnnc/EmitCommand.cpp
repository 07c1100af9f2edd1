//===- EmitCommand.cpp - `rnnc emit --stage=ast|ir|plan|llvm FILE` --------===//
///
/// \file
/// Prints one stage of the compiler's view of a model, compiled by the
/// driver (runtime/driver/Driver.h) as `rnnc train` compiles it: the syntax
/// tree; the IR of `@forward` specialised to `--vocab` (and `--batch`,
/// `--seq-len`, which default to the train block); the lowering plans of
/// `@forward` and `@train_step` after the train-step pipeline
/// (runtime/plan/LoweringPlan.h); `llvm-lowered`, both functions as codegen
/// translates them, before LLVM's optimisation; or `llvm`, the optimised
/// module of `@train_step` that `rnnc train` links and runs. `--passes`
/// replaces the pipeline (a codegen test may want autodiff alone).
///
//===----------------------------------------------------------------------===//
#include "tools/rnnc/Commands.h"

#include "ir/Printer.h"
#include "runtime/codegen/Codegen.h"
#include "runtime/codegen/JIT.h"
#include "runtime/driver/Driver.h"
#include "runtime/plan/LoweringPlan.h"

#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rnnc::tool {

namespace {
struct EmitOptions {
  std::string file;
  std::string stage = "ir";
  std::optional<int64_t> vocab, batch, seqLen;
  std::optional<std::vector<std::string>> passes;
  bool printAfterAll = false;
};

int runEmit(const EmitOptions &o) {
  auto model = driver::checkModelFile(o.file, std::cerr);
  if (!model)
    return reportError(model.error());
  if (o.stage == "ast") {
    frontend::ast::printProgram(*model->program, std::cout);
    return 0;
  }
  if (!o.vocab) {
    std::cerr << "rnnc: error: --stage=" << o.stage
              << " needs the vocabulary size: pass --vocab N\n";
    return 2;
  }
  driver::CompileOptions compile;
  compile.entry = o.stage == "ir" ? driver::EntryPoint::Forward
                                  : driver::EntryPoint::TrainStep;
  compile.lastStage = driver::LastStage::Passes;
  compile.pipeline = o.passes;
  // --stage=ir is the lowering itself: no pass unless --passes names some.
  if (o.stage == "ir" && !compile.pipeline)
    compile.pipeline.emplace();
  compile.printAfterAll = o.printAfterAll ? &std::cerr : nullptr;
  auto compiled = driver::compileModel(*model, {o.vocab, o.batch, o.seqLen}, compile);
  if (!compiled)
    return reportError(compiled.error());
  const ir::Module &module = *compiled->module;
  if (o.stage == "ir") {
    ir::printModule(module, std::cout);
    return 0;
  }
  if (o.stage == "plan") {
    for (const auto &fn : module.functions()) {
      runtime::LoweringPlan plan = runtime::planLowering(*fn);
      runtime::printLoweringPlan(*fn, plan, std::cout);
      if (auto verified = runtime::verifyLoweringPlan(*fn, plan); !verified)
        return reportError(Error("internal: invalid lowering plan: " +
                                 verified.error().message()));
    }
    return 0;
  }
  auto text = o.stage == "llvm-lowered"
                  ? runtime::emitLLVMText(module)
                  : runtime::emitOptimizedLLVMText(*module.function("train_step"));
  if (!text)
    return reportError(text.error());
  std::cout << *text;
  return 0;
}
} // namespace

Command addEmitCommand(CLI::App &parent) {
  Command c;
  c.app = parent.add_subcommand(
      "emit", "Print the AST, the IR, the lowering plan or the LLVM IR of a model");
  auto opts = std::make_shared<EmitOptions>();
  c.app->add_option("file", opts->file, "The model (.rnn)")->required();
  c.app->add_option("--stage", opts->stage, "What to print")
      ->check(CLI::IsMember({"ast", "ir", "plan", "llvm-lowered", "llvm"}))
      ->capture_default_str();
  c.app->add_option("--vocab", opts->vocab, "Size of the vocab dimensions")
      ->check(kPositive);
  c.app->add_option("--batch", opts->batch, "Batch size (default: train block)")
      ->check(kPositive);
  c.app->add_option("--seq-len", opts->seqLen,
                    "Sequence length (default: train block)")
      ->check(kPositive);
  c.app
      ->add_option("--passes", opts->passes,
                   "Passes to run instead of the train step's pipeline "
                   "(plan and llvm stages), e.g. autodiff alone")
      ->delimiter(',');
  c.app->add_flag("--print-after-all", opts->printAfterAll,
                  "Print the IR after lowering and after every pass to stderr");
  c.run = [opts] { return runEmit(*opts); };
  return c;
}

} // namespace rnnc::tool
