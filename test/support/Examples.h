//===- Examples.h - Models loaded through the compile driver ----*- C++ -*-===//
///
/// \file
/// The tests' one way to load a model (a file of examples/ or text written
/// in the test): driver::checkModel*, then driver::compileModel, stopped
/// after the passes a test asks for (none: the lowered `@forward`;
/// {"autodiff"}: its `@train_step` as well) or carried through to the JIT.
/// Every failure is a test failure showing the diagnostics, and a null /
/// empty result.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "runtime/driver/Driver.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace rnnc::fixtures {

/// Text replacements made to a model before it is checked (e.g. to shrink
/// `H = 256`); each `from` must occur.
using SourceEdits = std::vector<std::pair<std::string, std::string>>;

/// `<source>/examples/<file>`.
std::string examplePath(const std::string &file);

/// examples/<file>, with `edits` made, parsed and checked.
std::optional<driver::CheckedModel> checkExample(const std::string &file,
                                                 const SourceEdits &edits = {});
/// Model text written in the test (named `test.rnn`), parsed and checked.
std::optional<driver::CheckedModel> checkSource(const std::string &text);

/// `model` lowered with `bindings`, then `pipeline` run.
std::unique_ptr<ir::Module> lowerModel(const driver::CheckedModel &model,
                                       const frontend::ModelBindings &bindings,
                                       const std::vector<std::string> &pipeline);

/// examples/<file> lowered to `@forward` (no pass run).
std::unique_ptr<ir::Module> lowerExample(const std::string &file,
                                         const frontend::ModelBindings &bindings,
                                         const SourceEdits &edits = {});
/// examples/<file> lowered and differentiated: `@forward` and `@train_step`
/// as autodiff leaves them (no optimising pass).
std::unique_ptr<ir::Module> loadTrainStep(const std::string &file,
                                          const frontend::ModelBindings &bindings);
/// As loadTrainStep, for model text written in the test.
std::unique_ptr<ir::Module> loadTrainStepFromText(const std::string &text,
                                                  const frontend::ModelBindings &bindings);

/// examples/<file> compiled as `rnnc train` compiles it (autodiff, the
/// default pipeline, the JIT).
std::optional<driver::CompiledModel> compileExample(const std::string &file,
                                                    const frontend::ModelBindings &bindings);

} // namespace rnnc::fixtures
