//===- OptCommand.cpp - `rnnc opt`: run passes over IR --------------------===//
///
/// \file
/// `rnnc opt [-x ir|rnn] [--passes=a,b] [--print-after-all] [--vocab N] FILE`
/// reads IR text (or a model, lowered by the front end), verifies it, runs
/// the named passes in order (verifying after each) and prints the result.
/// With --print-after-all the IR after each pass goes to stderr under a
/// `// -----// IR after <pass> //----- //` header, as LLVM's opt does, so
/// stdout stays one module that `rnnc opt -x ir -` reads back. FILE `-`
/// reads stdin.
///
//===----------------------------------------------------------------------===//
#include "tools/rnnc/Commands.h"

#include "frontend/Frontend.h"
#include "ir/FileBytes.h"
#include "ir/Parser.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "passes/Pass.h"
#include "passes/Pipeline.h"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>

namespace rnnc::tool {

namespace {

struct OptOptions {
  std::string file;
  std::string language; // "", "ir" or "rnn"
  std::vector<std::string> passes;
  bool printAfterAll = false;
  int64_t vocab = 0;
};

std::shared_ptr<const SourceBuffer> readInput(const std::string &path,
                                              std::string *error) {
  if (path == "-") {
    Expected<std::string> text = readStreamBytes(std::cin, "standard input");
    if (!text) {
      *error = text.error().message();
      return nullptr;
    }
    return std::make_shared<SourceBuffer>("<stdin>", std::move(*text));
  }
  Expected<std::string> text = readFileBytes(path, "");
  if (!text) {
    *error = text.error().message();
    return nullptr;
  }
  return std::make_shared<SourceBuffer>(path, std::move(*text));
}

bool endsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::unique_ptr<ir::Module> loadModule(const OptOptions &o,
                                       std::shared_ptr<const SourceBuffer> buf,
                                       DiagnosticEngine &diag) {
  bool isModel =
      o.language == "rnn" || (o.language.empty() && endsWith(o.file, ".rnn"));
  if (!isModel)
    return ir::parseModuleText(buf, diag);
  auto program = frontend::parseModel(buf, diag);
  if (!program)
    return nullptr;
  frontend::ModelBindings bindings;
  if (o.vocab > 0)
    bindings.vocab = o.vocab;
  // A pipeline that builds the train step lowers the train step's form.
  bindings.training = std::find(o.passes.begin(), o.passes.end(), "autodiff") !=
                      o.passes.end();
  return frontend::lowerToIR(*program, bindings, diag);
}

int runOpt(const OptOptions &o) {
  std::vector<std::string> known = passes::registeredPassNames();
  for (const std::string &name : o.passes)
    if (!passes::createPass(name)) {
      std::string list;
      for (const std::string &k : known)
        list += (list.empty() ? "" : ", ") + k;
      std::cerr << "rnnc opt: error: unknown pass '" << name
                << "'; registered passes: " << (list.empty() ? "(none)" : list)
                << '\n';
      return 2;
    }
  std::string error;
  auto buffer = readInput(o.file, &error);
  if (!buffer) {
    std::cerr << "rnnc opt: error: " << error << '\n';
    return 1;
  }
  DiagnosticEngine diag(buffer, std::cerr);
  std::unique_ptr<ir::Module> module = loadModule(o, buffer, diag);
  if (!module || diag.hasErrors())
    return 1;
  if (!ir::verifyModule(*module, diag))
    return 1;
  if (!passes::runPasses(*module, o.passes, diag,
                         o.printAfterAll ? &std::cerr : nullptr))
    return 1;
  ir::printModule(*module, std::cout);
  return std::cout.flush() ? 0 : 1;
}

} // namespace

Command addOptCommand(CLI::App &parent) {
  auto options = std::make_shared<OptOptions>();
  Command c;
  c.app = parent.add_subcommand(
      "opt", "Verify IR, run passes over it in order and print the result");
  c.app
      ->add_option("-x", options->language,
                   "Input language (default: rnn for .rnn files, else ir)")
      ->check(CLI::IsMember({"ir", "rnn"}));
  c.app
      ->add_option("--passes", options->passes,
                   "Comma-separated passes to run in order")
      ->delimiter(',');
  c.app->add_flag("--print-after-all", options->printAfterAll,
                  "Print the IR to stderr after every pass");
  c.app
      ->add_option("--vocab", options->vocab,
                   "Vocabulary size for -x rnn models")
      ->check(kPositive);
  c.app->add_option("FILE", options->file, "IR text (.rnnir), a model, or -")
      ->required();
  c.run = [options] { return runOpt(*options); };
  return c;
}

} // namespace rnnc::tool
