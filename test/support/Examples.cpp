//===- Examples.cpp - Models loaded through the compile driver -----------------===//
#include "test/support/Examples.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace rnnc::fixtures {

std::string examplePath(const std::string &file) {
  return std::string(RNNC_SOURCE_DIR) + "/examples/" + file;
}

std::optional<driver::CheckedModel> checkExample(const std::string &file,
                                                 const SourceEdits &edits) {
  std::ifstream in(examplePath(file));
  std::stringstream text;
  text << in.rdbuf();
  std::string source = text.str();
  if (source.empty())
    return ADD_FAILURE() << "cannot read " << examplePath(file), std::nullopt;
  for (const auto &[from, to] : edits) {
    size_t at = source.find(from);
    EXPECT_NE(at, std::string::npos) << from << " not in " << file;
    for (; at != std::string::npos; at = source.find(from, at + to.size()))
      source.replace(at, from.size(), to);
  }
  std::ostringstream messages;
  auto model = driver::checkModelText(file, std::move(source), messages);
  if (!model)
    return ADD_FAILURE() << file << ": " << model.error().message() << '\n'
                         << messages.str(),
           std::nullopt;
  return std::move(*model);
}

std::optional<driver::CheckedModel> checkSource(const std::string &text) {
  std::ostringstream messages;
  auto model = driver::checkModelText("test.rnn", text, messages);
  if (!model)
    return ADD_FAILURE() << model.error().message() << '\n' << messages.str(),
           std::nullopt;
  return std::move(*model);
}

std::unique_ptr<ir::Module> lowerModel(const driver::CheckedModel &model,
                                       const frontend::ModelBindings &bindings,
                                       const std::vector<std::string> &pipeline) {
  std::ostringstream messages;
  driver::CompileOptions options;
  options.lastStage = driver::LastStage::Passes;
  options.pipeline = pipeline;
  options.diagnostics = &messages;
  auto compiled = driver::compileModel(model, bindings, options);
  if (!compiled)
    return ADD_FAILURE() << compiled.error().message() << '\n' << messages.str(),
           nullptr;
  return std::move(compiled->module);
}

std::unique_ptr<ir::Module> lowerExample(const std::string &file,
                                         const frontend::ModelBindings &bindings,
                                         const SourceEdits &edits) {
  auto model = checkExample(file, edits);
  return model ? lowerModel(*model, bindings, {}) : nullptr;
}

std::unique_ptr<ir::Module> loadTrainStep(const std::string &file,
                                          const frontend::ModelBindings &bindings) {
  auto model = checkExample(file);
  return model ? lowerModel(*model, bindings, {"autodiff"}) : nullptr;
}

std::unique_ptr<ir::Module> loadTrainStepFromText(const std::string &text,
                                                  const frontend::ModelBindings &bindings) {
  auto model = checkSource(text);
  return model ? lowerModel(*model, bindings, {"autodiff"}) : nullptr;
}

std::optional<driver::CompiledModel> compileExample(const std::string &file,
                                                    const frontend::ModelBindings &bindings) {
  auto model = checkExample(file);
  if (!model)
    return std::nullopt;
  std::ostringstream messages;
  driver::CompileOptions options;
  options.diagnostics = &messages;
  auto compiled = driver::compileModel(*model, bindings, options);
  if (!compiled)
    return ADD_FAILURE() << file << ": " << compiled.error().message() << '\n'
                         << messages.str(),
           std::nullopt;
  return std::move(*compiled);
}

} // namespace rnnc::fixtures
