//===- EmitCommand.cpp - `rnnc emit` (placeholder) -------------------------===//
#include "tools/rnnc/Commands.h"

#include <iostream>

namespace rnnc::tool {

Command addEmitCommand(CLI::App &parent) {
  Command c;
  c.app = parent.add_subcommand("emit", "(not implemented yet)");
  c.run = [] {
    std::cerr << "rnnc: error: 'emit' is not implemented yet\n";
    return 1;
  };
  return c;
}

} // namespace rnnc::tool
