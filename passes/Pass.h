//===- Pass.h - Passes over the rnnc IR and their registry ------*- C++ -*-===//
///
/// \file
/// A pass transforms a Module in place. Passes are listed once in
/// PassRegistry.def with their kebab-case command-line names, so
/// `rnnc opt --passes=a,b` can run any sequence of them, each alone.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Diagnostics.h"
#include "ir/Error.h"
#include "ir/IR.h"

#include <memory>
#include <string>
#include <vector>

namespace rnnc::passes {

class Pass {
public:
  virtual ~Pass() = default;
  /// The command-line name (`autodiff`, `cse`).
  virtual const char *name() const = 0;
  /// Transforms `module`; on failure reports the problem to `diag` and
  /// returns Error::diagnosed().
  virtual Expected<void> run(ir::Module &module, DiagnosticEngine &diag) = 0;
};

/// The pass called `name`, or null if there is none.
std::unique_ptr<Pass> createPass(const std::string &name);
/// Every registered pass name, in registry order.
std::vector<std::string> registeredPassNames();

} // namespace rnnc::passes
