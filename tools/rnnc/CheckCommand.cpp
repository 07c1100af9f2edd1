//===- CheckCommand.cpp - `rnnc check FILE` -------------------------------===//
///
/// \file
/// Parses and checks a model file (syntax, names, shapes, hyper-parameters).
/// Silent on success (exit 0); diagnostics on stderr and exit 1 otherwise.
///
//===----------------------------------------------------------------------===//
#include "tools/rnnc/Commands.h"

#include "frontend/Frontend.h"

#include <iostream>
#include <memory>
#include <string>

namespace rnnc::tool {

Command addCheckCommand(CLI::App &parent) {
  Command c;
  c.app = parent.add_subcommand("check", "Parse and check a model file");
  auto file = std::make_shared<std::string>();
  c.app->add_option("file", *file, "The model (.rnn)")->required();
  c.run = [file] {
    auto buffer = frontend::loadSourceFile(*file);
    if (!buffer)
      return reportError(buffer.error());
    DiagnosticEngine diags(*buffer, std::cerr);
    return frontend::parseModel(*buffer, diags) ? 0 : 1;
  };
  return c;
}

} // namespace rnnc::tool
