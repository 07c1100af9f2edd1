//===- GenerateCommand.cpp - `rnnc generate CKPT --prefix TEXT` -----------===//
///
/// \file
/// Continues a prefix with a trained model. The checkpoint carries the model
/// source (checked against its hash) and the vocabulary, so nothing else is
/// needed. Greedy by default, as in the book; --temperature / --top-k sample
/// with a seeded generator.
///
//===----------------------------------------------------------------------===//
#include "tools/rnnc/Commands.h"
#include "runtime/driver/Driver.h"

#include "runtime/data/Checkpoint.h"
#include "runtime/train/Decoding.h"
#include "runtime/train/Generator.h"
#include "runtime/train/Trainer.h"
#include "runtime/data/Vocabulary.h"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <memory>

namespace rnnc::tool {

namespace {
/// The most characters one `generate` writes (memory does not grow with it;
/// the limit catches a mistyped count).
constexpr int64_t kMaxGenerateCount = 1000000000;

struct GenerateArgs {
  std::string checkpoint;
  std::string prefix;
  int64_t count = 50;
  double temperature = 0;
  int64_t topK = 0;
  uint64_t seed = 0;
};

int runGenerate(const GenerateArgs &a) {
  Expected<runtime::Checkpoint> ckpt = runtime::loadCheckpoint(a.checkpoint);
  if (!ckpt)
    return reportError(ckpt.error());
  auto source = ckpt->metadata.extra.find("model_source");
  if (source == ckpt->metadata.extra.end()) {
    std::cerr << "rnnc: error: " << a.checkpoint
              << ": the checkpoint does not carry its model source\n";
    return 1;
  }
  if (runtime::hashModelSource(source->second) != ckpt->metadata.modelHash) {
    std::cerr << "rnnc: error: " << a.checkpoint
              << ": the model source does not match its hash (corrupt checkpoint)\n";
    return 1;
  }
  Expected<runtime::Vocabulary> vocab =
      runtime::Vocabulary::fromChars(ckpt->metadata.vocabulary);
  if (!vocab) {
    std::cerr << "rnnc: error: " << a.checkpoint << ": "
              << vocab.error().message() << '\n';
    return 1;
  }
  auto model = driver::checkModelText(a.checkpoint + ":model", source->second,
                                     std::cerr);
  if (!model)
    return reportError(model.error());
  driver::CompileOptions compile;
  compile.entry = driver::EntryPoint::Forward;
  compile.checkpoint = &*ckpt;
  compile.checkpointName = a.checkpoint;
  auto compiled = driver::compileModel(*model, {vocab->size(), 1, 1}, compile);
  if (!compiled)
    return reportError(compiled.error());
  std::unique_ptr<runtime::ForwardProgram> step = std::move(compiled->forward);
  runtime::TensorBuffers params;
  std::string error;
  if (!runtime::loadFromCheckpoint(*ckpt, step->layout().params, params, &error)) {
    std::cerr << "rnnc: error: " << a.checkpoint << ": " << error << '\n';
    return 1;
  }
  const auto &slots = step->layout().params;
  for (size_t i = 0; i < slots.size(); ++i)
    if (!std::all_of(params[i].begin(), params[i].end(),
                     [](float v) { return std::isfinite(v); })) {
      std::cerr << "rnnc: error: " << a.checkpoint << ": parameter '"
                << slots[i].name
                << "' holds non-finite values (NaN or infinity); the model "
                   "cannot generate text\n";
      return 1;
    }
  runtime::SamplingOptions sampling{a.temperature, a.topK};
  if (Expected<void> valid = runtime::validateSamplingOptions(sampling); !valid) {
    std::cerr << "rnnc: error: " << valid.error().message() << '\n';
    return 2;
  }
  runtime::TokenChooser chooser = a.temperature > 0 || a.topK > 0
                                      ? runtime::TokenChooser(sampling, a.seed)
                                      : runtime::TokenChooser();
  runtime::TextGenerator generator(*step, params, *vocab);
  // Each character is written as it is chosen; a failed write stops it.
  bool written = generator.streamText(
      a.prefix, a.count, chooser,
      [](std::string_view piece) {
        std::cout.write(piece.data(), static_cast<std::streamsize>(piece.size()));
        return static_cast<bool>(std::cout);
      },
      &error);
  if (!written) {
    if (!error.empty()) {
      std::cout.flush();
      std::cerr << "rnnc: error: " << error << '\n';
    }
    return 1; // else the write failed: main reports it
  }
  std::cout << '\n';
  return 0;
}
} // namespace

Command addGenerateCommand(CLI::App &parent) {
  Command c;
  c.app = parent.add_subcommand("generate", "Continue a prefix with a trained model");
  auto a = std::make_shared<GenerateArgs>();
  CLI::App &app = *c.app;
  app.add_option("checkpoint", a->checkpoint, "A checkpoint written by `rnnc train --save`")
      ->required();
  app.add_option("--prefix", a->prefix, "The text to continue")->required();
  app.add_option("-n,--count", a->count,
                 "Characters to generate (at most 1000000000, written as they come)")
      ->check(CLI::Range(int64_t(0), kMaxGenerateCount))
      ->capture_default_str();
  app.add_option("--temperature", a->temperature, "Sample with this temperature (0: greedy)")
      ->check(kNonNegative)
      ->capture_default_str();
  app.add_option("--top-k", a->topK, "Sample among the K most likely characters (0: all)")
      ->check(kNonNegative)
      ->capture_default_str();
  app.add_option("--seed", a->seed, "Seed for sampling")
      ->check(nonNegativeInteger())->capture_default_str();
  c.run = [a] { return runGenerate(*a); };
  return c;
}

} // namespace rnnc::tool
