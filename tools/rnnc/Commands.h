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
#include <cstdlib>
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

/// A number above (`strictly`) or at least 0. CLI11's PositiveNumber and
/// NonNegativeNumber say "not in range 0.000000 to 1797693134862315708...",
/// all 309 digits of DBL_MAX.
inline CLI::Validator signedNumber(bool strictly) {
  return CLI::Validator(
      [strictly](std::string &text) -> std::string {
        char *end = nullptr;
        double v = std::strtod(text.c_str(), &end);
        if (text.empty() || *end != '\0')
          return "'" + text + "' is not a number";
        if (strictly ? v > 0 : v >= 0)
          return {};
        return text + (strictly ? " is not a positive number" : " is not a non-negative number");
      },
      strictly ? "POSITIVE" : "NONNEGATIVE");
}
inline const CLI::Validator kPositive = signedNumber(true);
inline const CLI::Validator kNonNegative = signedNumber(false);

/// A number in [0, 1): the held-out fraction of a corpus.
inline const CLI::Validator kFraction = CLI::Validator(
    [](std::string &text) -> std::string {
      char *end = nullptr;
      double v = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0')
        return "'" + text + "' is not a number";
      if (v >= 0 && v < 1)
        return {};
      return text + " is not in [0, 1)";
    },
    "FRACTION");

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
Command addEvalCommand(CLI::App &parent);
Command addCompileCommand(CLI::App &parent);
Command addPlotCommand(CLI::App &parent);

} // namespace rnnc::tool
