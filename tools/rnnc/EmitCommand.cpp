//===- EmitCommand.cpp - `rnnc emit --stage=ast|ir|plan|llvm FILE` --------===//
///
/// \file
/// Prints one stage of the compiler's view of a model: the syntax tree, the
/// IR of `@forward` specialised to `--vocab` (and `--batch`, `--seq-len`,
/// which default to the train block), the lowering plans of `@forward` and
/// `@train_step` after autodiff and the default pipeline, as `rnnc train`
/// compiles them (runtime/plan/LoweringPlan.h), or the unoptimised LLVM IR.
///
//===----------------------------------------------------------------------===//
#include "tools/rnnc/Commands.h"

#include "frontend/Frontend.h"
#include "ir/Printer.h"
#include "passes/Autodiff.h"
#include "passes/Pipeline.h"
#include "runtime/codegen/Codegen.h"
#include "runtime/plan/LoweringPlan.h"

#include <iostream>
#include <memory>
#include <optional>
#include <string>

namespace rnnc::tool {

namespace {
struct EmitOptions {
  std::string file;
  std::string stage = "ir";
  std::optional<int64_t> vocab, batch, seqLen;
};
} // namespace

Command addEmitCommand(CLI::App &parent) {
  Command c;
  c.app = parent.add_subcommand(
      "emit", "Print the AST, the IR, the lowering plan or the LLVM IR of a model");
  auto opts = std::make_shared<EmitOptions>();
  c.app->add_option("file", opts->file, "The model (.rnn)")->required();
  c.app->add_option("--stage", opts->stage, "What to print")
      ->check(CLI::IsMember({"ast", "ir", "plan", "llvm"}))
      ->capture_default_str();
  c.app->add_option("--vocab", opts->vocab, "Size of the vocab dimensions")
      ->check(CLI::PositiveNumber);
  c.app->add_option("--batch", opts->batch, "Batch size (default: train block)")
      ->check(CLI::PositiveNumber);
  c.app->add_option("--seq-len", opts->seqLen,
                    "Sequence length (default: train block)")
      ->check(CLI::PositiveNumber);
  c.run = [opts] {
    std::string error;
    auto buffer = frontend::loadSourceFile(opts->file, &error);
    if (!buffer) {
      std::cerr << "rnnc: error: " << error << '\n';
      return 1;
    }
    DiagnosticEngine diags(buffer, std::cerr);
    auto program = frontend::parseModel(buffer, diags);
    if (!program)
      return 1;
    if (opts->stage == "ast") {
      frontend::ast::printProgram(*program, std::cout);
      return 0;
    }
    if (!opts->vocab) {
      std::cerr << "rnnc: error: --stage=" << opts->stage
                << " needs the vocabulary size: pass --vocab N\n";
      return 2;
    }
    frontend::ModelBindings bindings{opts->vocab, opts->batch, opts->seqLen};
    auto module = frontend::lowerToIR(*program, bindings, diags);
    if (!module)
      return 1;
    if (opts->stage == "ir") {
      ir::printModule(*module, std::cout);
      return 0;
    }
    // --stage=plan|llvm: @forward and its @train_step.
    if (!passes::buildTrainStep(*module, &error)) {
      std::cerr << "rnnc: error: " << error << '\n';
      return 1;
    }
    // The pipeline `rnnc train` runs: code generation rewrites nothing
    // itself, so without it the LLVM IR would not be what runs.
    if (!passes::runPasses(*module, passes::defaultTrainPipeline(), diags, nullptr))
      return 1;
    if (opts->stage == "plan") {
      for (const auto &fn : module->functions()) {
        runtime::LoweringPlan plan = runtime::planLowering(*fn);
        runtime::printLoweringPlan(*fn, plan, std::cout);
        if (!runtime::verifyLoweringPlan(*fn, plan, &error)) {
          std::cerr << "rnnc: error: internal: invalid lowering plan: " << error << '\n';
          return 1;
        }
      }
      return 0;
    }
    auto text = runtime::emitLLVMText(*module, &error);
    if (!text) {
      std::cerr << "rnnc: error: " << error << '\n';
      return 1;
    }
    std::cout << *text;
    return 0;
  };
  return c;
}

} // namespace rnnc::tool
