//===- Pipeline.cpp - Runs a list of passes with verification -------------===//
///
/// \file
/// For each name: create the pass, run it, verify the whole module, then
/// print if asked. Reads as the list of steps, like Halide's Lower.cpp.
///
//===----------------------------------------------------------------------===//
#include "passes/Pipeline.h"

#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "passes/Pass.h"

#include <ostream>

namespace rnnc::passes {

std::string printAfterHeader(const std::string &name) {
  return "// -----// IR after " + name + " //----- //";
}

Expected<void> runPasses(ir::Module &module,
                         const std::vector<std::string> &names,
                         DiagnosticEngine &diag, std::ostream *printAfterEach) {
  for (const std::string &name : names) {
    std::unique_ptr<Pass> pass = createPass(name);
    if (!pass) {
      diag.error({}, "unknown pass '" + name + "'");
      return Error::diagnosed();
    }
    if (!pass->run(module, diag)) {
      if (!diag.hasErrors())
        diag.error({}, "pass '" + name + "' failed");
      return Error::diagnosed();
    }
    if (!ir::verifyModule(module, diag)) {
      diag.error({}, "the IR is invalid after pass '" + name + "'");
      return Error::diagnosed();
    }
    if (printAfterEach) {
      *printAfterEach << printAfterHeader(name) << '\n';
      ir::printModule(module, *printAfterEach);
    }
  }
  return {};
}

std::vector<std::string> defaultTrainPipeline() {
  // simplify again after hoist-scan: it leaves sums of sums to merge;
  // merge-matmuls after hoist-scan, which must see each weight gradient's own
  // per-step product, and before cse, which joins the scans' weight concats;
  // fuse-elementwise last: it only groups what the others left.
  return {"simplify", "dce", "hoist-scan", "merge-matmuls", "simplify", "cse", "dce",
          "fuse-elementwise"};
}

std::vector<std::string> defaultGeneratePipeline() {
  // The rewrites code generation relies on (it folds and fuses nothing
  // itself): one-hot products become gathers, elementwise groups become
  // fusion kernels. A step of one token at a time gains nothing from
  // hoisting or merging products, so they do not run.
  return {"simplify", "dce", "fuse-elementwise"};
}

} // namespace rnnc::passes
