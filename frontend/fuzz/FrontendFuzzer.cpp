//===- FrontendFuzzer.cpp - libFuzzer entry over the DSL front end --------===//
///
/// \file
/// Feeds arbitrary bytes through parseModel, the AST printer and lowerToIR
/// with a fixed small vocabulary, and requires the lowered `@forward` to pass
/// the IR verifier. Any crash, sanitizer report or verifier failure is a bug;
/// diagnostics are expected and ignored. Regression inputs live in
/// test/lit/diagnostics/fuzz-*.
///
//===----------------------------------------------------------------------===//
#include "frontend/Frontend.h"
#include "ir/Verifier.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace rnnc;
  auto buffer = std::make_shared<SourceBuffer>(
      "fuzz.rnn", std::string(reinterpret_cast<const char *>(data), size));
  std::ostringstream os;
  DiagnosticEngine diags(buffer, os);
  auto program = frontend::parseModel(buffer, diags);
  if (!program)
    return 0;
  frontend::ast::printProgram(*program, os);
  auto module = frontend::lowerToIR(*program, {5, 2, 3}, diags);
  // Sema's acceptance holds for every binding within the size limits; a
  // size that depends on the vocabulary may still pass a limit at V = 5.
  if (!module && (os.str().find("; the limit is ") != std::string::npos ||
                  os.str().find("a dimension must be in [1, ") != std::string::npos))
    return 0;
  if (!module) {
    std::fprintf(stderr, "sema accepted but lowering failed:\n%s\n",
                 os.str().c_str());
    std::abort();
  }
  if (auto verified = ir::verifyFunction(*module->function("forward")); !verified) {
    std::fprintf(stderr, "verifier: %s\n", verified.error().message().c_str());
    std::abort();
  }
  return 0;
}
