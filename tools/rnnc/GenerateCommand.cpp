//===- GenerateCommand.cpp - `rnnc generate CKPT --prefix TEXT` -----------===//
///
/// \file
/// Continues a prefix with a trained model. The checkpoint carries the model
/// source (checked against its hash) and the vocabulary, so nothing else is
/// needed. Greedy by default, as in the book; --temperature / --top-k sample
/// with a seeded generator; --beam K searches for the most probable
/// continuation.
///
//===----------------------------------------------------------------------===//
#include "tools/rnnc/Commands.h"
#include "tools/rnnc/TrainedModel.h"

#include "runtime/train/BeamSearch.h"
#include "runtime/train/Decoding.h"
#include "runtime/train/Generator.h"

#include <algorithm>
#include <fmt/format.h>
#include <optional>
#include <cmath>
#include <iostream>
#include <memory>

namespace rnnc::tool {

namespace {
/// The most characters one `generate` writes (memory does not grow with it;
/// the limit catches a mistyped count).
constexpr int64_t kMaxGenerateCount = 1000000000;
/// A beam search keeps K back-pointers per character until it is done.
constexpr int64_t kMaxBeamCount = 1000000;

struct GenerateArgs {
  std::string checkpoint;
  std::string prefix;
  int64_t count = 50;
  double temperature = 0;
  int64_t topK = 0;
  uint64_t seed = 0;
  int64_t beam = 0; ///< 0: greedy or sampled, one character at a time
  std::string stopAt;
};

/// --beam K: the continuation with the best mean log-probability
/// (runtime/train/BeamSearch.h), written once the search is done.
int runBeamSearch(const GenerateArgs &a, const TrainedModel &model) {
  Expected<std::vector<int32_t>> prefix = model.vocab.encodeUtf8(a.prefix);
  if (!prefix) {
    std::cerr << "rnnc: error: prefix: " << prefix.error().message() << '\n';
    return 1;
  }
  std::optional<int32_t> stop;
  if (!a.stopAt.empty()) {
    Expected<std::vector<int32_t>> ids = model.vocab.encodeUtf8(a.stopAt);
    if (!ids || ids->size() != 1) {
      std::cerr << "rnnc: error: --stop-at: '" << a.stopAt
                << (ids ? "' is not one character" : "': " + ids.error().message())
                << '\n';
      return 2;
    }
    stop = (*ids)[0];
  }
  Expected<runtime::BeamResult> best =
      runtime::beamSearch(*model.step, model.params, *prefix, a.count, a.beam, stop);
  if (!best) {
    std::cerr << "rnnc: error: " << best.error().message() << '\n';
    return 1;
  }
  std::cout << a.prefix << model.vocab.decode(best->tokens) << '\n';
  std::cerr << fmt::format("beam {}: {} characters, mean log-probability {:.6f} "
                           "per character (perplexity {:.4f})\n",
                           a.beam, best->tokens.size(), best->meanLogProb(),
                           std::exp(-best->meanLogProb()));
  return 0;
}

int runGenerate(const GenerateArgs &a) {
  if (a.beam > 0 && (a.temperature > 0 || a.topK > 0)) {
    std::cerr << "rnnc: error: --beam searches for the most probable "
                 "continuation and does not sample; drop --temperature and --top-k\n";
    return 2;
  }
  if (!a.stopAt.empty() && a.beam == 0) {
    std::cerr << "rnnc: error: --stop-at ends beam hypotheses; it needs --beam K\n";
    return 2;
  }
  if (a.beam > 0 && a.count > kMaxBeamCount) {
    std::cerr << "rnnc: error: --beam keeps its hypotheses' characters in "
                 "memory; generate at most " << kMaxBeamCount
              << " characters with it, not " << a.count << '\n';
    return 2;
  }
  Expected<TrainedModel> model =
      loadTrainedModel(a.checkpoint, 1, 1, "generate text");
  if (!model)
    return reportError(model.error());
  if (a.beam > 0)
    return runBeamSearch(a, *model);
  runtime::SamplingOptions sampling{a.temperature, a.topK};
  if (Expected<void> valid = runtime::validateSamplingOptions(sampling); !valid) {
    std::cerr << "rnnc: error: " << valid.error().message() << '\n';
    return 2;
  }
  runtime::TokenChooser chooser = a.temperature > 0 || a.topK > 0
                                      ? runtime::TokenChooser(sampling, a.seed)
                                      : runtime::TokenChooser();
  runtime::TextGenerator generator(*model->step, model->params, model->vocab);
  // Each character is written as it is chosen; a failed write stops it.
  Expected<bool> written = generator.streamText(
      a.prefix, a.count, chooser, [](std::string_view piece) {
        std::cout.write(piece.data(), static_cast<std::streamsize>(piece.size()));
        return static_cast<bool>(std::cout);
      });
  if (!written) {
    std::cout.flush();
    std::cerr << "rnnc: error: " << written.error().message() << '\n';
    return 1;
  }
  if (!*written)
    return 1; // the write failed: main reports it
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
  app.add_option("--beam", a->beam,
                 "Beam search with K hypotheses: the continuation with the best "
                 "mean log-probability per character (1: greedy)")
      ->check(CLI::Range(int64_t(1), int64_t(1000)));
  app.add_option("--stop-at", a->stopAt,
                 "With --beam: a hypothesis that emits this character ends "
                 "there (its mean log-probability then competes)");
  app.add_option("--seed", a->seed, "Seed for sampling")
      ->check(nonNegativeInteger())->capture_default_str();
  c.run = [a] { return runGenerate(*a); };
  return c;
}

} // namespace rnnc::tool
