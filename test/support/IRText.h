//===- IRText.h - IR written in a test, parsed ------------------*- C++ -*-===//
///
/// \file
/// The tests' one way to read IR text (named `t.rnnir` in diagnostics).
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/IR.h"

#include <memory>
#include <string>

namespace rnnc::fixtures {

/// Parses `text`. On failure returns null and, if `errors` is given, puts
/// the diagnostics there (a test that expects the failure); without
/// `errors` a failure is a test failure showing them.
std::unique_ptr<ir::Module> parseIR(const std::string &text, std::string *errors = nullptr);

} // namespace rnnc::fixtures
