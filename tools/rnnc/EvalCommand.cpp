//===- EvalCommand.cpp - `rnnc eval CKPT --data FILE` ---------------------===//
///
/// \file
/// The perplexity and bits per character of a trained model on any text,
/// computed as `rnnc train` computes its validation perplexity
/// (runtime/train/Evaluation.h: one stream, state carried, the same
/// compiled shape), so on the held-out part of the training corpus
/// (`--chars` and `--val-fraction` as in training) it gives back the
/// figure training reported. Characters outside the checkpoint's
/// vocabulary are skipped (neither fed nor scored) and counted.
///
//===----------------------------------------------------------------------===//
#include "tools/rnnc/Commands.h"
#include "tools/rnnc/TrainedModel.h"

#include "runtime/data/Corpus.h"
#include "runtime/train/Evaluation.h"

#include <fmt/format.h>
#include <iostream>
#include <memory>

namespace rnnc::tool {

namespace {
struct EvalArgs {
  std::string checkpoint;
  std::string data;
  size_t chars = 0;
  double valFraction = 0;
  uint64_t maxCorpusBytes = runtime::CorpusOptions::kDefaultMaxCorpusBytes;
  std::string newlines = "space", format = "auto";
};

int runEval(const EvalArgs &a) {
  runtime::CorpusOptions corpusOptions;
  corpusOptions.maxChars = a.chars;
  corpusOptions.maxBytes = a.maxCorpusBytes;
  corpusOptions.newlines = *runtime::parseNewlineMode(a.newlines);
  corpusOptions.format = *runtime::parseCorpusFormat(a.format);
  Expected<runtime::Corpus> corpus = runtime::loadCorpus(a.data, corpusOptions);
  if (!corpus)
    return reportError(corpus.error());
  std::u32string text = std::move(corpus->text);
  if (a.valFraction > 0) {
    Expected<std::u32string> part = runtime::takeHeldOutPart(text, a.valFraction);
    if (!part) {
      std::cerr << "rnnc: error: --val-fraction: " << part.error().message() << '\n';
      return 2;
    }
    text = std::move(*part);
  }
  Expected<TrainedModel> model =
      loadTrainedModel(a.checkpoint, runtime::kEvaluationBatch,
                       runtime::kEvaluationSeqLen, "be evaluated");
  if (!model)
    return reportError(model.error());
  runtime::EncodedText encoded = runtime::encodeKnownCharacters(text, model->vocab);
  Expected<runtime::EvaluationResult> result =
      runtime::evaluateText(*model->step, model->params, encoded.tokens);
  if (!result) {
    std::cerr << "rnnc: error: " << a.data << ": " << result.error().message() << '\n';
    return 1;
  }
  std::cout << fmt::format(
      "{}: {} characters{}, {} scored, {} outside the vocabulary (skipped: "
      "neither fed nor scored)\n"
      "perplexity {:.9g}\nbits per character {:.9g}\n",
      corpus->name, text.size(),
      a.valFraction > 0 ? fmt::format(" (the last {})", a.valFraction) : "",
      result->scored, encoded.outOfVocabulary, result->perplexity(),
      result->bitsPerChar());
  return 0;
}
} // namespace

Command addEvalCommand(CLI::App &parent) {
  Command c;
  c.app = parent.add_subcommand(
      "eval", "Perplexity and bits per character of a trained model on a text");
  auto a = std::make_shared<EvalArgs>();
  CLI::App &app = *c.app;
  app.add_option("checkpoint", a->checkpoint, "A checkpoint written by `rnnc train --save`")
      ->required();
  app.add_option("--data", a->data,
                 "The text: a UTF-8 text file, a .zip with one, or a fortunes file")
      ->required();
  app.add_option("--chars", a->chars, "Keep only the first N characters (0: all)")
      ->check(kNonNegative);
  app.add_option("--val-fraction", a->valFraction,
                 "Evaluate only the last F of the text (after --chars), as "
                 "`rnnc train --val-fraction F` holds it out (0: all of it)")
      ->check(kFraction)
      ->capture_default_str();
  app.add_option("--max-corpus-bytes", a->maxCorpusBytes,
                 "Refuse a text larger than this (bytes, after unzipping)")
      ->check(kPositive)
      ->capture_default_str();
  app.add_option("--newlines", a->newlines, "Newlines: space (the d2l recipe) or keep")
      ->check(CLI::IsMember({"space", "keep"}))
      ->capture_default_str();
  app.add_option("--format", a->format, "Text format")
      ->check(CLI::IsMember({"auto", "plain", "fortune"}))
      ->capture_default_str();
  c.run = [a] { return runEval(*a); };
  return c;
}

} // namespace rnnc::tool
