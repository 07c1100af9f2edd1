//===- TrainCommand.cpp - `rnnc train MODEL` ------------------------------===//
///
/// \file
/// Trains a model on a text corpus with the JIT-compiled train step.
/// Command-line values override the model's `train` block. Prints one line
/// per epoch (every tenth when not on a terminal) and greedy continuations of
/// the prefixes every --predict-every epochs and at the end.
///
//===----------------------------------------------------------------------===//
#include "tools/rnnc/Commands.h"
#include "tools/rnnc/ModelLoading.h"
#include "tools/rnnc/OutputPaths.h"

#include "runtime/Checkpoint.h"
#include "runtime/Corpus.h"
#include "runtime/KernelsParallel.h"
#include "runtime/Trainer.h"
#include "runtime/Vocabulary.h"

#include <fmt/format.h>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>
#include <memory>
#include <nlohmann/json.hpp>

namespace rnnc::tool {

namespace {
struct TrainArgs {
  std::string model;
  std::string data = "/usr/share/games/fortunes/tang300";
  size_t chars = 0;
  uint64_t maxCorpusBytes = runtime::CorpusOptions::kDefaultMaxCorpusBytes;
  std::string newlines = "space", format = "auto";
  std::optional<int64_t> epochs, batch, seqLen;
  std::optional<double> lr, clip;
  std::optional<std::string> sampling, optimizer;
  uint64_t seed = 0;
  std::string save, resume, metricsJson;
  int64_t predictEvery = 50, predictLength = 50;
  int threads = 0; ///< 0: RNNC_THREADS if set, else every core
  std::vector<std::string> prefixes;
};

/// The d2l prefixes when the corpus has them, else a Tang-poem opening, else
/// the corpus's first character.
std::vector<std::string> defaultPrefixes(const runtime::Vocabulary &vocab,
                                         const runtime::Corpus &corpus) {
  std::vector<std::string> chosen;
  for (const char *p : {"分开", "不分开", "春风", "明月"}) {
    std::string ignored;
    if (chosen.size() < 2 && vocab.encodeUtf8(p, &ignored))
      chosen.push_back(p);
  }
  if (chosen.empty())
    chosen.push_back(vocab.decode({vocab.idOf(corpus.text[0]).value()}));
  return chosen;
}

int runTrain(const TrainArgs &a) {
  OutputPaths outputs;
  outputs.addInput(a.model, "the model");
  outputs.addInput(a.data, "the corpus (--data)");
  outputs.addInput(a.resume, "the checkpoint to resume", "--save");
  outputs.addOutput(a.save, "--save");
  outputs.addOutput(a.metricsJson, "--metrics-json");
  if (std::string why; !outputs.check(&why)) {
    std::cerr << "rnnc: error: " << why << '\n';
    return 2;
  }
  if (a.threads > 0)
    runtime::setKernelThreads(a.threads);
  else if (!std::getenv("RNNC_THREADS"))
    runtime::setKernelThreads(
        static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  // Parse-to-ready time: the model's parsing plus the train step's lowering,
  // autodiff, passes and JIT (corpus reading in between is not counted).
  using Clock = std::chrono::steady_clock;
  auto parseStart = Clock::now();
  auto model = loadModelFile(a.model);
  if (!model)
    return 1;
  Clock::duration preparing = Clock::now() - parseStart;
  const ir::TrainConfig &cfg = model->defaults->train;

  runtime::CorpusOptions corpusOptions;
  corpusOptions.maxChars = a.chars;
  corpusOptions.maxBytes = a.maxCorpusBytes;
  corpusOptions.newlines = *runtime::parseNewlineMode(a.newlines);
  corpusOptions.format = *runtime::parseCorpusFormat(a.format);
  std::string error;
  auto corpus = runtime::loadCorpus(a.data, corpusOptions, &error);
  if (!corpus) {
    std::cerr << "rnnc: error: " << error << '\n';
    return 1;
  }

  std::optional<runtime::Checkpoint> resumeFrom;
  runtime::Vocabulary vocab = runtime::Vocabulary::fromText(corpus->text);
  if (!a.resume.empty()) {
    resumeFrom = runtime::loadCheckpoint(a.resume, &error);
    if (!resumeFrom) {
      std::cerr << "rnnc: error: " << error << '\n';
      return 1;
    }
    auto saved = runtime::Vocabulary::fromChars(resumeFrom->metadata.vocabulary, &error);
    if (!saved) {
      std::cerr << "rnnc: error: " << a.resume << ": " << error << '\n';
      return 1;
    }
    vocab = *saved; // the corpus must be written in the checkpoint's characters
  }
  auto tokens = vocab.encode(corpus->text, &error);
  if (!tokens) {
    std::cerr << "rnnc: error: " << a.data << ": " << error << '\n';
    return 1;
  }

  runtime::TrainOptions options;
  options.epochs = a.epochs.value_or(cfg.epochs);
  options.sampling =
      *runtime::parseSamplingMode(a.sampling.value_or(cfg.sampling));
  options.optimizer.kind = a.optimizer.value_or(cfg.optimizer);
  options.optimizer.lr = a.lr.value_or(cfg.lr);
  options.optimizer.beta1 = cfg.beta1;
  options.optimizer.beta2 = cfg.beta2;
  options.optimizer.eps = cfg.eps;
  options.clip = a.clip.value_or(cfg.clip);
  options.seed = a.seed;
  options.savePath = a.save;
  options.metricsJsonPath = a.metricsJson;
  options.predictEvery = a.predictEvery;
  options.predictLength = a.predictLength;
  options.prefixes = a.prefixes.empty() ? defaultPrefixes(vocab, *corpus) : a.prefixes;
  const size_t corpusChars = corpus->text.size();
  std::u32string().swap(corpus->text); // the token ids hold it from here
  int64_t batch = a.batch.value_or(cfg.batch), seqLen = a.seqLen.value_or(cfg.seqLen);

  runtime::CheckpointMetadata &meta = options.checkpoint;
  meta.modelName = model->defaults->name;
  meta.modelHash = runtime::hashModelSource(model->source->text());
  meta.extra["model_source"] = model->source->text();
  meta.hyperParametersJson =
      nlohmann::json{{"optimizer", options.optimizer.kind},
                     {"lr", options.optimizer.lr},
                     {"clip", options.clip},
                     {"batch", batch},
                     {"seq_len", seqLen},
                     {"sampling", a.sampling.value_or(cfg.sampling)},
                     {"seed", a.seed}}
          .dump();

  auto compileStart = Clock::now();
  auto step = compileTrainStep(*model, vocab.size(), batch, seqLen);
  preparing += Clock::now() - compileStart;
  auto generate = compileGenerateStep(*model, vocab.size());
  if (!step || !generate)
    return 1;
  std::cerr << fmt::format("{}: {} characters, vocabulary {}, {} parameters; "
                           "train step compiled in {:.0f} ms ({:.0f} ms "
                           "from parsing to a ready train step)\n",
                           corpus->name, corpusChars, vocab.size(),
                           [&] {
                             int64_t n = 0;
                             for (auto &p : step->layout().params)
                               n += p.numElements();
                             return n;
                           }(),
                           step->compileMillis(),
                           std::chrono::duration<double, std::milli>(preparing).count());

  runtime::Trainer trainer(*step, generate.get(), vocab, options);
  bool ok = resumeFrom
                ? runtime::checkCheckpoint(
                      *resumeFrom, a.resume,
                      {runtime::hashModelSource(model->source->text()),
                       std::nullopt, {}},
                      &error) &&
                      trainer.loadParameters(*resumeFrom, &error)
                : trainer.initParameters(model->defaults->paramInits, &error);
  if (!ok || !trainer.run(*tokens, std::cout, &error)) {
    std::cout.flush();
    std::cerr << "rnnc: error: " << error << '\n';
    return 1;
  }
  return 0;
}
} // namespace

Command addTrainCommand(CLI::App &parent) {
  Command c;
  c.app = parent.add_subcommand("train", "Train a model on a text corpus");
  auto a = std::make_shared<TrainArgs>();
  CLI::App &app = *c.app;
  app.add_option("model", a->model, "The model (.rnn)")->required();
  app.add_option("--data", a->data, "Corpus: a UTF-8 text file, a .zip with one, or a fortunes file")
      ->capture_default_str();
  app.add_option("--chars", a->chars, "Keep only the first N characters (0: all)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--max-corpus-bytes", a->maxCorpusBytes,
                 "Refuse a corpus holding more text than this (bytes, after unzipping)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--newlines", a->newlines, "Newlines: space (the d2l recipe) or keep")
      ->check(CLI::IsMember({"space", "keep"}))
      ->capture_default_str();
  app.add_option("--format", a->format, "Corpus format")
      ->check(CLI::IsMember({"auto", "plain", "fortune"}))
      ->capture_default_str();
  app.add_option("--epochs", a->epochs, "Epochs (overrides the train block)")
      ->check(CLI::PositiveNumber);
  app.add_option("--batch", a->batch, "Minibatch size B")->check(CLI::PositiveNumber);
  app.add_option("--seq-len", a->seqLen, "Steps per minibatch T")->check(CLI::PositiveNumber);
  app.add_option("--sampling", a->sampling, "Minibatch sampling")
      ->check(CLI::IsMember({"random", "consecutive"}));
  app.add_option("--optimizer", a->optimizer, "Optimizer")
      ->check(CLI::IsMember({"sgd", "adam"}));
  app.add_option("--lr", a->lr, "Learning rate")->check(CLI::PositiveNumber);
  app.add_option("--clip", a->clip, "Clip gradients to this global L2 norm (0: off)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--seed", a->seed, "Seed for initialisation and sampling")
      ->check(nonNegativeInteger())
      ->capture_default_str();
  app.add_option("--save", a->save, "Checkpoint to write after every epoch");
  app.add_option("--resume", a->resume, "Checkpoint to start from");
  app.add_option("--metrics-json", a->metricsJson, "Append one JSON object per epoch to this file");
  app.add_option("--predict-every", a->predictEvery, "Continue the prefixes every K epochs (0: only at the end)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--predict-length", a->predictLength, "Characters to generate per prefix")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--prefix", a->prefixes, "A prefix to continue (repeatable)");
  app.add_option("--threads", a->threads,
                 "Threads for large matrix products (default: RNNC_THREADS, else every core)")
      ->check(CLI::Range(1, 64));
  c.run = [a] { return runTrain(*a); };
  return c;
}

} // namespace rnnc::tool
