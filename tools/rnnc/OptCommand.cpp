//===- OptCommand.cpp - `rnnc opt` (placeholder) -------------------------===//
#include "tools/rnnc/Commands.h"

#include <iostream>

namespace rnnc::tool {

Command addOptCommand(CLI::App &parent) {
  Command c;
  c.app = parent.add_subcommand("opt", "(not implemented yet)");
  c.run = [] {
    std::cerr << "rnnc: error: 'opt' is not implemented yet\n";
    return 1;
  };
  return c;
}

} // namespace rnnc::tool
