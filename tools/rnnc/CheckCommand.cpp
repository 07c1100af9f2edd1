//===- CheckCommand.cpp - `rnnc check` (placeholder) -------------------------===//
#include "tools/rnnc/Commands.h"

#include <iostream>

namespace rnnc::tool {

Command addCheckCommand(CLI::App &parent) {
  Command c;
  c.app = parent.add_subcommand("check", "(not implemented yet)");
  c.run = [] {
    std::cerr << "rnnc: error: 'check' is not implemented yet\n";
    return 1;
  };
  return c;
}

} // namespace rnnc::tool
