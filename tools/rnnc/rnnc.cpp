//===- rnnc.cpp - The rnnc command-line tool ------------------------------===//
///
/// \file
/// Entry point: parses the command line with CLI11 and runs one subcommand.
/// Library code never exits; this is the only place exit codes are made.
///
//===----------------------------------------------------------------------===//
#include "tools/rnnc/Commands.h"

#include "runtime/Kernels.h"

#include <exception>
#include <string>
#include <iostream>
#include <vector>

using namespace rnnc::tool;

int main(int argc, char **argv) {
  CLI::App app{"rnnc: compile and train recurrent language models"};
  app.set_version_flag("--version", "rnnc 0.1.0");
  app.require_subcommand(1, 1);
  std::vector<Command> commands = {
      addCheckCommand(app),
      addEmitCommand(app),
      addOptCommand(app),
      addTrainCommand(app),
      addGenerateCommand(app),
      addCompileCommand(app),
  };
  // CLI11 reports an unknown subcommand as a missing one; name it instead.
  std::string known;
  bool isKnown = false;
  for (const Command &c : commands) {
    known += (known.empty() ? "" : ", ") + c.app->get_name();
    isKnown |= argc > 1 && c.app->get_name() == argv[1];
  }
  if (argc > 1 && argv[1][0] != '-' && !isKnown) {
    std::cerr << "rnnc: error: unknown subcommand '" << argv[1]
              << "' (expected one of: " << known << ")\n";
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  // The environment variables the runtime reads, checked once here.
  std::optional<int64_t> arenaLimit;
  std::string why;
  if (!rnnc::runtime::readArenaLimitVariable(&arenaLimit, &why)) {
    std::cerr << "rnnc: error: " << why << '\n';
    return 2;
  }
  try {
    for (Command &c : commands)
      if (c.app->parsed())
        return c.run();
  } catch (const std::exception &e) {
    std::cerr << "rnnc: error: " << e.what() << '\n';
    return 1;
  }
  return 2;
}
