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

#include "ir/Error.h"

#include <CLI/CLI.hpp>
#include <functional>
#include <iostream>

namespace rnnc::tool {

struct Command {
  CLI::App *app = nullptr;
  std::function<int()> run;
};

/// Accepts only digits: CLI11 would read `--seed -1` into a uint64_t as
/// 2^64 - 1.
inline CLI::Validator nonNegativeInteger() {
  return CLI::Validator(
      [](std::string &text) -> std::string {
        if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos)
          return {};
        return "'" + text + "' is not a non-negative integer";
      },
      "UINT");
}

/// Prints `error` as `rnnc: error: ...` unless it was reported as located
/// diagnostics already; returns exit code 1.
inline int reportError(const Error &error) {
  if (!error.isDiagnosed())
    std::cerr << "rnnc: error: " << error.message() << '\n';
  return 1;
}

Command addCheckCommand(CLI::App &parent);
Command addEmitCommand(CLI::App &parent);
Command addOptCommand(CLI::App &parent);
Command addTrainCommand(CLI::App &parent);
Command addGenerateCommand(CLI::App &parent);
Command addCompileCommand(CLI::App &parent);
Command addPlotCommand(CLI::App &parent);

} // namespace rnnc::tool
