//===- IRText.cpp - IR written in a test, parsed -------------------------------===//
#include "test/support/IRText.h"

#include "ir/Diagnostics.h"
#include "ir/Parser.h"

#include <gtest/gtest.h>

#include <sstream>

namespace rnnc::fixtures {

std::unique_ptr<ir::Module> parseIR(const std::string &text, std::string *errors) {
  auto buffer = std::make_shared<SourceBuffer>("t.rnnir", text);
  std::ostringstream messages;
  DiagnosticEngine diags(buffer, messages);
  std::unique_ptr<ir::Module> module = ir::parseModuleText(buffer, diags);
  if (errors)
    *errors = messages.str();
  else if (!module)
    ADD_FAILURE() << "IR text does not parse:\n" << messages.str();
  return module;
}

} // namespace rnnc::fixtures
