//===- Commands.h - The rnnc subcommands ------------------------*- C++ -*-===//
///
/// \file
/// Each subcommand lives in its own file and registers itself with CLI11.
/// `add*Command` declares the subcommand's options; the returned `run`
/// function is called when that subcommand was selected and returns the exit
/// code (0 success, 1 error in the input, 2 bad usage).
///
//===----------------------------------------------------------------------===//
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace rnnc::tool {

struct Command {
  CLI::App *app = nullptr;
  std::function<int()> run;
};

Command addCheckCommand(CLI::App &parent);
Command addEmitCommand(CLI::App &parent);
Command addOptCommand(CLI::App &parent);
Command addTrainCommand(CLI::App &parent);
Command addGenerateCommand(CLI::App &parent);
Command addCompileCommand(CLI::App &parent);

} // namespace rnnc::tool
