//===- TrainCommand.cpp - `rnnc train MODEL` ------------------------------===//
///
/// \file
/// Trains a model on a text corpus with the JIT-compiled train step.
/// Command-line values override the model's `train` block. Prints one line
/// per epoch (every tenth when not on a terminal) and greedy continuations of
/// the prefixes every --predict-every epochs and at the end.
///
/// Ctrl-C: the first SIGINT lets the current step finish, saves a resumable
/// checkpoint (to --save, else to MODEL_STEM-interrupted.safetensors in the
/// current directory), prints its path and the command that resumes, and
/// exits 130; a second SIGINT exits at once with 130.
///
/// Started by an MPI launcher (`mpirun -np N rnnc train ...`), each rank
/// trains on its share of every global minibatch (runtime/train/
/// DataParallel.h) and rank 0 alone speaks and writes; an error on any rank
/// ends the whole job (MPI_Abort) after that rank printed it.
///
//===----------------------------------------------------------------------===//
#include "tools/rnnc/Commands.h"
#include "runtime/driver/Driver.h"
#include "runtime/driver/ReleaseCompilerMemory.h"
#include "tools/rnnc/OutputPaths.h"

#include "runtime/data/Checkpoint.h"
#include "runtime/data/Corpus.h"
#include "runtime/data/AtomicFile.h"
#include "runtime/kernels/KernelIsa.h"
#include "runtime/kernels/KernelProfile.h"
#include "runtime/kernels/KernelsParallel.h"
#include "runtime/parallel/Launch.h"
#include "runtime/train/DataParallel.h"
#include "runtime/train/Evaluation.h"
#include "runtime/train/PlotSvg.h"
#include "runtime/train/Trainer.h"
#include "runtime/data/Vocabulary.h"

#include <fmt/format.h>
#include <algorithm>
#include <csignal>
#include <fstream>
#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>
#include <memory>

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
  std::string save, resume, metricsJson, plot;
  int64_t predictEvery = 50, predictLength = 50;
  int threads = 0; ///< 0: RNNC_THREADS if set, else every core
  int64_t interruptAfterSteps = 0; ///< testing: as if Ctrl-C came then
  bool printAfterAll = false;
  bool profile = false;
  std::vector<std::string> prefixes;
  double valFraction = 0;
  std::string valData, saveBest;
  int64_t patience = 0;
};

/// The d2l prefixes when the corpus has them, else a Tang-poem opening, else
/// the corpus's first character.
std::vector<std::string> defaultPrefixes(const runtime::Vocabulary &vocab,
                                         const runtime::Corpus &corpus) {
  std::vector<std::string> chosen;
  for (const char *p : {"分开", "不分开", "春风", "明月"})
    if (chosen.size() < 2 && vocab.encodeUtf8(p))
      chosen.push_back(p);
  if (chosen.empty())
    chosen.push_back(vocab.decode({vocab.idOf(corpus.text[0]).value()}));
  return chosen;
}

volatile std::sig_atomic_t interruptRequested = 0;

/// First SIGINT: ask the trainer to stop after its step. Second: leave now
/// (only async-signal-safe calls here).
extern "C" void onInterrupt(int) {
  if (interruptRequested) {
    const char newline = '\n';
    (void)!::write(STDERR_FILENO, &newline, 1);
    ::_exit(130);
  }
  interruptRequested = 1;
}

std::string shellQuote(const std::string &word) {
  if (!word.empty() &&
      word.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                             "0123456789_-+=./:,@%") == std::string::npos)
    return word;
  std::string out = "'";
  for (char c : word)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

/// This process's command line with `--resume PATH` in place of any
/// --resume it had: the command that continues an interrupted run.
std::string resumeCommand(const std::string &path) {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::vector<std::string> args;
  for (std::string arg; std::getline(in, arg, '\0');)
    args.push_back(arg);
  if (args.empty())
    args = {"rnnc", "train", "MODEL", "..."};
  std::string out;
  // Options to drop with their values: the old --resume and the testing hook.
  auto dropped = [](const std::string &arg, bool &takesValue) {
    for (const char *name : {"--resume", "--interrupt-after-steps"}) {
      takesValue = arg == name;
      if (takesValue || arg.rfind(std::string(name) + "=", 0) == 0)
        return true;
    }
    return false;
  };
  for (size_t i = 0; i < args.size(); ++i) {
    bool takesValue = false;
    if (dropped(args[i], takesValue))
      i += takesValue ? 1 : 0;
    else
      out += (out.empty() ? "" : " ") + shellQuote(args[i]);
  }
  return out + " --resume " + shellQuote(path);
}

int trainOnRank(const TrainArgs &a, parallel::Collective &job) {
  OutputPaths outputs;
  outputs.addInput(a.model, "the model");
  outputs.addInput(a.data, "the corpus (--data)");
  outputs.addInput(a.resume, "the checkpoint to resume", "--save");
  outputs.addOutput(a.save, "--save");
  outputs.addOutput(a.metricsJson, "--metrics-json");
  outputs.addOutput(a.plot, "--plot");
  outputs.addInput(a.valData, "the held-out text (--val-data)");
  outputs.addOutput(a.saveBest, "--save-best");
  const bool validating = a.valFraction > 0 || !a.valData.empty();
  if (a.valFraction > 0 && !a.valData.empty()) {
    std::cerr << "rnnc: error: --val-fraction and --val-data both name a "
                 "held-out text; give one\n";
    return 2;
  }
  if (!validating && (!a.saveBest.empty() || a.patience > 0)) {
    std::cerr << "rnnc: error: " << (a.saveBest.empty() ? "--patience" : "--save-best")
              << " needs a held-out text: add --val-fraction F or --val-data FILE\n";
    return 2;
  }
  if (auto checked = outputs.check(); !checked) {
    std::cerr << "rnnc: error: " << checked.error().message() << '\n';
    return 2;
  }
  if (a.threads > 0)
    runtime::setKernelThreads(a.threads);
  else if (!std::getenv("RNNC_THREADS")) // ranks on one machine share its cores
    runtime::setKernelThreads(std::max(
        1, static_cast<int>(std::thread::hardware_concurrency()) / job.localSize()));
  // Parse-to-ready time: the model's parsing plus the train step's lowering,
  // autodiff, passes and JIT (corpus reading in between is not counted).
  using Clock = std::chrono::steady_clock;
  auto parseStart = Clock::now();
  auto model = driver::checkModelFile(a.model, std::cerr);
  if (!model)
    return reportError(model.error());
  Clock::duration preparing = Clock::now() - parseStart;

  runtime::CorpusOptions corpusOptions;
  corpusOptions.maxChars = a.chars;
  corpusOptions.maxBytes = a.maxCorpusBytes;
  corpusOptions.newlines = *runtime::parseNewlineMode(a.newlines);
  corpusOptions.format = *runtime::parseCorpusFormat(a.format);
  Expected<runtime::Corpus> corpus = runtime::loadCorpus(a.data, corpusOptions);
  if (!corpus)
    return reportError(corpus.error());

  std::optional<runtime::Checkpoint> resumeFrom;
  runtime::Vocabulary vocab = runtime::Vocabulary::fromText(corpus->text);
  if (!a.resume.empty()) {
    Expected<runtime::Checkpoint> loaded = runtime::loadCheckpoint(a.resume);
    if (!loaded)
      return reportError(loaded.error());
    resumeFrom = std::move(*loaded);
    Expected<runtime::Vocabulary> saved =
        runtime::Vocabulary::fromChars(resumeFrom->metadata.vocabulary);
    if (!saved) {
      std::cerr << "rnnc: error: " << a.resume << ": " << saved.error().message()
                << '\n';
      return 1;
    }
    vocab = *saved; // the corpus must be written in the checkpoint's characters
    auto source = resumeFrom->metadata.extra.find("model_source");
    if (source == resumeFrom->metadata.extra.end() ||
        runtime::hashModelSource(source->second) != resumeFrom->metadata.modelHash) {
      std::cerr << "rnnc: error: " << a.resume
                << (source == resumeFrom->metadata.extra.end()
                        ? ": the checkpoint does not carry its model source\n"
                        : ": the model source does not match its hash (corrupt "
                          "checkpoint)\n");
      return 1;
    }
  }
  // The vocabulary above is the whole corpus's, so a --val-fraction part
  // has no character the model lacks.
  std::u32string heldOut;
  if (a.valFraction > 0) {
    Expected<std::u32string> part = runtime::takeHeldOutPart(corpus->text, a.valFraction);
    if (!part) {
      std::cerr << "rnnc: error: --val-fraction: " << part.error().message() << '\n';
      return 2;
    }
    heldOut = std::move(*part);
  } else if (!a.valData.empty()) {
    runtime::CorpusOptions heldOutOptions = corpusOptions;
    heldOutOptions.maxChars = 0; // --chars limits the training corpus only
    Expected<runtime::Corpus> file = runtime::loadCorpus(a.valData, heldOutOptions);
    if (!file)
      return reportError(file.error());
    heldOut = std::move(file->text);
  }
  runtime::EncodedText validation = runtime::encodeKnownCharacters(heldOut, vocab);
  if (validating && validation.tokens.size() < 2) {
    std::cerr << "rnnc: error: the held-out text has "
              << validation.tokens.size()
              << " characters in the model's vocabulary; at least 2 are needed\n";
    return 1;
  }
  Expected<std::vector<int32_t>> tokens = vocab.encode(corpus->text);
  if (!tokens) {
    std::cerr << "rnnc: error: " << a.data << ": " << tokens.error().message()
              << '\n';
    return 1;
  }

  // The model's train block with the command line's values over it.
  ir::TrainConfig train = model->defaults->train;
  train.epochs = a.epochs.value_or(train.epochs);
  train.sampling = a.sampling.value_or(train.sampling);
  train.optimizer = a.optimizer.value_or(train.optimizer);
  train.lr = a.lr.value_or(train.lr);
  train.clip = a.clip.value_or(train.clip);
  train.batch = a.batch.value_or(train.batch);
  train.seqLen = a.seqLen.value_or(train.seqLen);

  runtime::TrainOptions options;
  options.epochs = train.epochs;
  options.sampling = *runtime::parseSamplingMode(train.sampling);
  options.optimizer = {train.optimizer, train.lr, train.beta1, train.beta2,
                       train.eps};
  options.clip = train.clip;
  options.seed = a.seed;
  options.savePath = a.save;
  options.metricsJsonPath = a.metricsJson;
  // --plot: redrawn after every epoch from this run's metrics lines, as
  // `rnnc plot` draws a --metrics-json file.
  std::string plotLines;
  if (!a.plot.empty())
    options.onEpochMetrics = [&plotLines, &a](const std::string &line) -> Expected<void> {
      plotLines += line + '\n';
      Expected<std::vector<runtime::MetricsRow>> rows =
          runtime::parseMetricsJsonLines(plotLines, "--plot");
      if (!rows)
        return rows.error();
      return runtime::writeFileAtomically(a.plot, runtime::renderPerplexityPlot(*rows),
                                          "plot ");
    };
  options.predictEvery = a.predictEvery;
  options.predictLength = a.predictLength;
  options.prefixes = a.prefixes.empty() ? defaultPrefixes(vocab, *corpus) : a.prefixes;
  options.resumePath = a.resume;
  {
    std::string stem = a.model.substr(a.model.rfind('/') == std::string::npos
                                          ? 0
                                          : a.model.rfind('/') + 1);
    if (stem.size() > 4 && stem.compare(stem.size() - 4, 4, ".rnn") == 0)
      stem.resize(stem.size() - 4);
    options.interruptPath = stem + "-interrupted.safetensors";
  }
  options.stopRequested = &interruptRequested;
  options.stopAfterSteps = a.interruptAfterSteps;
  options.saveBestPath = a.saveBest;
  options.patience = a.patience;
  const size_t corpusChars = corpus->text.size();
  std::u32string().swap(corpus->text); // the token ids hold it from here

  runtime::CheckpointMetadata &meta = options.checkpoint;
  meta.modelName = model->defaults->name;
  meta.modelHash = runtime::hashModelSource(model->source->text());
  meta.extra["model_source"] = model->source->text();
  meta.hyperParametersJson = runtime::hyperParametersJson(train, a.seed);

  // Data-parallel: this rank's step is compiled for its rows of the batch.
  std::optional<runtime::DataParallel> parallel;
  int64_t stepBatch = train.batch;
  if (job.size() > 1) {
    Expected<runtime::DataParallel> made =
        runtime::DataParallel::create(job, train.batch);
    if (!made)
      return reportError(made.error());
    parallel.emplace(std::move(*made));
    options.dataParallel = &*parallel;
    stepBatch = parallel->share().count;
    if (job.isRoot())
      std::cerr << "rnnc: " << parallel->describeSplit() << '\n';
  }

  // The train step at B x T and the generation step at B = T = 1: one
  // lowering each.
  driver::CompileOptions compile;
  compile.printAfterAll = a.printAfterAll ? &std::cerr : nullptr;
  auto compileStart = Clock::now();
  auto trainStep =
      driver::compileModel(*model, {vocab.size(), stepBatch, train.seqLen}, compile);
  preparing += Clock::now() - compileStart;
  if (!trainStep)
    return reportError(trainStep.error());
  compile.entry = driver::EntryPoint::Forward;
  auto generateStep = driver::compileModel(*model, {vocab.size(), 1, 1}, compile);
  if (!generateStep)
    return reportError(generateStep.error());
  std::unique_ptr<runtime::TrainStepProgram> step = std::move(trainStep->trainStep);
  std::unique_ptr<runtime::ForwardProgram> generate = std::move(generateStep->forward);
  // Validation: one stream of the held-out text (Evaluation.h).
  std::unique_ptr<runtime::ForwardProgram> evaluate;
  std::string validationNote;
  if (validating) {
    auto evaluateStep = driver::compileModel(
        *model, {vocab.size(), runtime::kEvaluationBatch, runtime::kEvaluationSeqLen},
        compile);
    if (!evaluateStep)
      return reportError(evaluateStep.error());
    evaluate = std::move(evaluateStep->forward);
    options.validationStep = evaluate.get();
    options.validationTokens = std::move(validation.tokens);
    validationNote = fmt::format(
        "validation: {} characters held out ({}){}; perplexity after every "
        "epoch over all of them, one stream (B = {}, T = {}), state carried\n",
        options.validationTokens.size() + validation.outOfVocabulary,
        a.valData.empty() ? fmt::format("the last {} of the corpus", a.valFraction)
                          : "'" + a.valData + "'",
        validation.outOfVocabulary
            ? fmt::format(", {} of them outside the vocabulary and skipped "
                          "(neither fed nor scored)",
                          validation.outOfVocabulary)
            : "",
        runtime::kEvaluationBatch, runtime::kEvaluationSeqLen);
  }
  if (job.isRoot())
    std::cerr << fmt::format("{}: {} characters, vocabulary {}, {} parameters; "
                           "train step compiled in {:.0f} ms ({:.0f} ms "
                           "from parsing to a ready train step); kernels {}, "
                           "{} thread{}\n",
                           corpus->name, corpusChars, vocab.size(),
                           [&] {
                             int64_t n = 0;
                             for (auto &p : step->layout().params)
                               n += p.numElements();
                             return n;
                           }(),
                           step->compileMillis(),
                           std::chrono::duration<double, std::milli>(preparing).count(),
                           runtime::kernelIsaName(runtime::kernelIsa()),
                           runtime::kernelThreads(),
                           runtime::kernelThreads() == 1 ? "" : "s");
  if (job.isRoot())
    std::cerr << validationNote;
  driver::releaseCompilerMemory(); // every program the run needs is compiled

  runtime::Trainer trainer(*step, generate.get(), vocab, options);
  Expected<void> ready = Expected<void>::success();
  if (resumeFrom) {
    ready = runtime::checkCheckpoint(
        *resumeFrom, a.resume,
        {runtime::hashModelSource(model->source->text()), std::nullopt, {}});
    if (ready)
      ready = trainer.resumeFrom(*resumeFrom);
  } else {
    ready = trainer.initParameters(model->defaults->paramInits);
  }
  if (!ready) {
    std::cerr << "rnnc: error: " << ready.error().message() << '\n';
    return 1;
  }
  // From here on Ctrl-C stops after the current step with a checkpoint.
  // Not in an MPI job: a rank stopping alone would leave the others in the
  // all-reduce; there SIGINT ends the rank, and mpirun the job (Ctrl-C on
  // mpirun ends every rank; the last epoch's checkpoint is kept).
  if (job.size() == 1) {
    struct sigaction action = {};
    action.sa_handler = onInterrupt;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGINT, &action, nullptr);
  }
  if (a.profile)
    runtime::setKernelProfiling(true);
  Expected<runtime::RunResult> result = trainer.run(*tokens, std::cout);
  std::cout.flush();
  if (parallel && job.isRoot() && result)
    std::cerr << "rnnc: " << parallel->describeTimes() << '\n';
  if (a.profile && job.isRoot())
    std::cerr << runtime::formatKernelProfile(runtime::kernelProfile());
  if (!result) {
    std::cerr << "rnnc: error: " << result.error().message() << '\n';
    return 1;
  }
  if (*result == runtime::RunResult::Interrupted) {
    if (!job.isRoot())
      return 130;
    const runtime::TrainPosition &at = trainer.stoppedAt();
    std::cerr << fmt::format(
        "rnnc: interrupted at epoch {}, step {} of {}; saved a resumable "
        "checkpoint to '{}'\nrnnc: resume with: {}\n",
        at.batchesDone ? at.epochsDone + 1 : at.epochsDone,
        at.batchesDone ? at.batchesDone : trainer.batchesPerEpoch(),
        trainer.batchesPerEpoch(), trainer.interruptCheckpoint(),
        resumeCommand(trainer.interruptCheckpoint()));
    return 130;
  }
  return 0;
}

/// One process, or one rank of an MPI job: an error on a rank ends them all.
int runTrain(const TrainArgs &a) {
  Expected<std::unique_ptr<parallel::Collective>> job =
      parallel::joinLaunchedJob();
  if (!job)
    return reportError(job.error());
  if ((*job)->size() > 1) {
    // Whole lines: the launcher merges every rank's stderr, and an
    // unbuffered stream interleaves two ranks' messages mid-line.
    static char lineBuffer[1 << 12];
    std::setvbuf(stderr, lineBuffer, _IOLBF, sizeof lineBuffer);
    std::cerr.unsetf(std::ios::unitbuf);
  }
  int status = trainOnRank(a, **job);
  if (status != 0 && status != 130 && (*job)->size() > 1) {
    std::cerr << fmt::format("rnnc: rank {} of {} failed; ending every rank\n",
                             (*job)->rank(), (*job)->size());
    (*job)->abortAll(status); // the others may be waiting for this rank
  }
  return status;
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
      ->check(kNonNegative);
  app.add_option("--max-corpus-bytes", a->maxCorpusBytes,
                 "Refuse a corpus holding more text than this (bytes, after unzipping)")
      ->check(kPositive)
      ->capture_default_str();
  app.add_option("--newlines", a->newlines, "Newlines: space (the d2l recipe) or keep")
      ->check(CLI::IsMember({"space", "keep"}))
      ->capture_default_str();
  app.add_option("--format", a->format, "Corpus format")
      ->check(CLI::IsMember({"auto", "plain", "fortune"}))
      ->capture_default_str();
  app.add_option("--epochs", a->epochs, "Epochs (overrides the train block)")
      ->check(kPositive);
  app.add_option("--batch", a->batch, "Minibatch size B")->check(kPositive);
  app.add_option("--seq-len", a->seqLen, "Steps per minibatch T")->check(kPositive);
  app.add_option("--sampling", a->sampling, "Minibatch sampling")
      ->check(CLI::IsMember({"random", "consecutive"}));
  app.add_option("--optimizer", a->optimizer, "Optimizer")
      ->check(CLI::IsMember({"sgd", "adam"}));
  app.add_option("--lr", a->lr, "Learning rate")->check(kPositive);
  app.add_option("--clip", a->clip, "Clip gradients to this global L2 norm (0: off)")
      ->check(kNonNegative);
  app.add_option("--seed", a->seed, "Seed for initialisation and sampling")
      ->check(nonNegativeInteger())
      ->capture_default_str();
  app.add_option("--save", a->save, "Checkpoint to write after every epoch");
  app.add_option("--resume", a->resume, "Checkpoint to start from");
  app.add_option("--metrics-json", a->metricsJson, "Append one JSON object per epoch to this file");
  app.add_option("--plot", a->plot,
                 "Redraw perplexity against epoch into this SVG file after every epoch");
  app.add_option("--predict-every", a->predictEvery, "Continue the prefixes every K epochs (0: only at the end)")
      ->check(kNonNegative)
      ->capture_default_str();
  app.add_option("--predict-length", a->predictLength, "Characters to generate per prefix")
      ->check(kNonNegative)
      ->capture_default_str();
  app.add_option("--prefix", a->prefixes, "A prefix to continue (repeatable)");
  app.add_option("--val-fraction", a->valFraction,
                 "Hold out the last F of the corpus (after --chars) and report "
                 "its perplexity after every epoch (0: none)")
      ->check(kFraction)
      ->capture_default_str();
  app.add_option("--val-data", a->valData,
                 "Report the perplexity of this held-out text after every epoch");
  app.add_option("--save-best", a->saveBest,
                 "Write the checkpoint of the epoch with the best validation "
                 "perplexity here");
  app.add_option("--patience", a->patience,
                 "Stop after N epochs without a better validation perplexity "
                 "(0: never)")
      ->check(nonNegativeInteger())
      ->capture_default_str();
  app.add_option("--threads", a->threads,
                 "Threads for large matrix products (default: RNNC_THREADS, else every core)")
      ->check(CLI::Range(1, 64));
  app.add_flag("--profile", a->profile,
               "After training, print where the train steps' time went: "
               "recurrence, projections, loss (forward and backward), update, "
               "and each core's idle time");
  app.add_flag("--print-after-all", a->printAfterAll,
               "Print the IR after lowering and every pass, the plan and the "
               "LLVM module before and after optimisation to stderr");
  app.add_option("--interrupt-after-steps", a->interruptAfterSteps,
                 "Testing: act as on Ctrl-C after N steps")
      ->check(kNonNegative)
      ->group(""); // hidden
  c.run = [a] { return runTrain(*a); };
  return c;
}

} // namespace rnnc::tool
