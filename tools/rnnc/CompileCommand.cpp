//===- CompileCommand.cpp - `rnnc compile MODEL -o OUT.o --header OUT.h` --===//
///
/// \file
/// Ahead-of-time compilation: compiles the model twice with the driver (the
/// train block's B, T for `@train_step`; B = T = 1 for the inference step)
/// and writes one object (runtime/codegen/AOTCompiler.h) plus a C header that a C or
/// C++ program links with the runtime library `rnnc_capi`. The vocabulary
/// comes from a corpus (--data, as `rnnc train` builds it), a checkpoint
/// (--from) or just its size (--vocab; characters then come from the first
/// checkpoint loaded at run time). `--stats` prints, per function, the
/// arena its lowering plan needs (runtime/plan/LoweringPlan.h), what it would need
/// without sharing, the most bytes live at once (the bound for any plan),
/// the buffer count and the kernel calls; with --stats the object is
/// optional.
///
//===----------------------------------------------------------------------===//
#include "tools/rnnc/Commands.h"
#include "runtime/driver/Driver.h"
#include "tools/rnnc/OutputPaths.h"

#include "runtime/codegen/AOTCompiler.h"
#include "runtime/codegen/Codegen.h"
#include "runtime/data/Checkpoint.h"
#include "runtime/data/Corpus.h"
#include "runtime/data/Vocabulary.h"
#include "runtime/train/Trainer.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

namespace rnnc::tool {

namespace {
struct CompileArgs {
  std::string model, output, header, emit = "obj", targetCPU, targetFeatures, name;
  std::optional<int64_t> vocab;
  std::string data, from;
  bool stats = false;
};

int fail(const std::string &message) {
  std::cerr << "rnnc: error: " << message << '\n';
  return 1;
}

/// The vocabulary (characters when known, else just its size).
bool resolveVocabulary(const CompileArgs &a, const std::string &modelHash,
                       std::optional<std::u32string> &chars, int64_t &size) {
  if (!a.data.empty()) {
    Expected<runtime::Corpus> corpus =
        runtime::loadCorpus(a.data, runtime::CorpusOptions{});
    if (!corpus)
      return fail(corpus.error().message()), false;
    chars = runtime::Vocabulary::fromText(corpus->text).chars();
  } else if (!a.from.empty()) {
    Expected<runtime::Checkpoint> ckpt = runtime::loadCheckpoint(a.from);
    if (!ckpt)
      return fail(ckpt.error().message()), false;
    // The program will load this checkpoint: refuse it now, not at run time.
    if (ckpt->metadata.modelHash != modelHash)
      return fail(a.from +
                  ": the checkpoint was saved for a different model "
                  "than '" +
                  a.model + "'"),
             false;
    Expected<runtime::Vocabulary> vocab =
        runtime::Vocabulary::fromChars(ckpt->metadata.vocabulary);
    if (!vocab)
      return fail(a.from + ": " + vocab.error().message()), false;
    chars = vocab->chars();
  }
  size = chars ? static_cast<int64_t>(chars->size()) : *a.vocab;
  return true;
}

/// One line per function: `stats @name: key=value ...` (stable, for tests).
bool printPlanStats(const ir::Function &fn) {
  auto stats = runtime::planStats(fn);
  if (!stats)
    return fail("@" + fn.name() + ": " + stats.error().message()), false;
  double saved = stats->unsharedBytes
                     ? 100.0 * static_cast<double>(stats->unsharedBytes - stats->arenaBytes) /
                           static_cast<double>(stats->unsharedBytes)
                     : 0.0;
  std::printf("stats @%s: arena_bytes=%lld unshared_bytes=%lld saved=%.1f%% "
              "peak_live_bytes=%lld buffers=%lld kernel_call_sites=%lld "
              "kernel_calls_per_run=%lld\n",
              fn.name().c_str(), static_cast<long long>(stats->arenaBytes),
              static_cast<long long>(stats->unsharedBytes), saved,
              static_cast<long long>(stats->peakLiveBytes),
              static_cast<long long>(stats->buffers),
              static_cast<long long>(stats->kernelCallSites),
              static_cast<long long>(stats->kernelCallsPerRun));
  return true;
}

bool writeText(const std::string &path, const std::string &text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  return static_cast<bool>(out);
}

int runCompile(const CompileArgs &a) {
  int sources = !a.data.empty() + !a.from.empty() + a.vocab.has_value();
  if (sources != 1) {
    std::cerr << "rnnc: error: give exactly one of --vocab, --data, --from\n";
    return 2;
  }
  if (a.output.empty() && !a.stats) {
    std::cerr << "rnnc: error: --output is required (unless --stats)\n";
    return 2;
  }
  OutputPaths outputs;
  outputs.addInput(a.model, "the model");
  outputs.addInput(a.data, "the corpus (--data)");
  outputs.addInput(a.from, "the checkpoint (--from)");
  outputs.addOutput(a.output, "--output");
  outputs.addOutput(a.header, "--header");
  if (auto checked = outputs.check(); !checked) {
    std::cerr << "rnnc: error: " << checked.error().message() << '\n';
    return 2;
  }
  runtime::AOTOptions options;
  options.targetCPU = a.targetCPU;
  options.targetFeatures = a.targetFeatures;
  options.emit = a.emit == "asm"    ? runtime::AOTEmitKind::Assembly
                 : a.emit == "llvm" ? runtime::AOTEmitKind::LLVM
                                    : runtime::AOTEmitKind::Object;
  if (auto known = runtime::checkTarget(a.targetCPU, a.targetFeatures); !known) {
    std::cerr << "rnnc: error: " << known.error().message() << '\n';
    return 2;
  }
  auto model = driver::checkModelFile(a.model, std::cerr);
  if (!model)
    return reportError(model.error());
  options.prefix =
      a.name.empty() ? runtime::defaultPrefix(model->defaults->name) : a.name;
  if (!runtime::isValidPrefix(options.prefix)) {
    std::cerr << "rnnc: error: invalid --name '" << options.prefix
              << "': use a C identifier that does not start with 'rnnc_'\n";
    return 2;
  }
  std::optional<std::u32string> chars;
  int64_t vocab = 0;
  if (!resolveVocabulary(a, runtime::hashModelSource(model->source->text()),
                         chars, vocab))
    return 1;
  const ir::TrainConfig &cfg = model->defaults->train;
  // The train step at the train block's B x T, the inference step at
  // B = T = 1; both go to LLVM together in emitCompiledModel.
  driver::CompileOptions compile;
  compile.lastStage = driver::LastStage::Passes;
  auto train = driver::compileModel(*model, {vocab, cfg.batch, cfg.seqLen}, compile);
  if (!train)
    return reportError(train.error());
  compile.entry = driver::EntryPoint::Forward;
  auto step = driver::compileModel(*model, {vocab, 1, 1}, compile);
  if (!step)
    return reportError(step.error());
  const ir::Module &trainModule = *train->module, &stepModule = *step->module;
  if (a.stats) {
    if (!printPlanStats(*stepModule.function("forward")) ||
        !printPlanStats(*trainModule.function("train_step")))
      return 1;
    std::fflush(stdout);
    if (a.output.empty())
      return 0;
  }

  runtime::AOTModelFacts facts;
  facts.source = model->source->text();
  facts.hash = runtime::hashModelSource(facts.source);
  facts.vocabulary = chars;
  facts.hyperParametersJson = runtime::hyperParametersJson(cfg, std::nullopt);
  auto json = runtime::describeModel(stepModule, trainModule, facts);
  if (!json)
    return reportError(json.error());
  // The header first: it is cheap, and a failure then leaves no object.
  if (!a.header.empty()) {
    runtime::AOTHeaderInfo info;
    info.prefix = options.prefix;
    info.modelName = model->defaults->name;
    info.vocab = vocab;
    info.batch = cfg.batch;
    info.seqLen = cfg.seqLen;
    info.hasVocabulary = chars.has_value();
    auto layout = runtime::readLayout(*trainModule.function("train_step"));
    if (!layout)
      return reportError(layout.error());
    for (const auto &p : layout->params) {
      std::string shape;
      for (int64_t d : p.shape)
        shape += (shape.empty() ? "" : ", ") + std::to_string(d);
      info.params.push_back(p.name + ": [" + shape + "]");
    }
    if (!writeText(a.header, runtime::generateCHeader(info)))
      return fail("cannot write '" + a.header + "'");
  }
  if (auto emitted = runtime::emitCompiledModel(
          *stepModule.function("forward"), *trainModule.function("train_step"),
          *json, options, a.output);
      !emitted) {
    if (!a.header.empty())
      std::remove(a.header.c_str()); // no header without its object
    return reportError(emitted.error());
  }
  return 0;
}
} // namespace

Command addCompileCommand(CLI::App &parent) {
  Command c;
  c.app = parent.add_subcommand(
      "compile",
      "Compile a model ahead of time into an object file and a C header");
  auto a = std::make_shared<CompileArgs>();
  CLI::App &app = *c.app;
  app.add_option("model", a->model, "The model (.rnn)")->required();
  app.add_option("-o,--output", a->output,
                 "The object file to write (required unless --stats)");
  app.add_option("--header", a->header, "The C header to write");
  app.add_option(
         "--vocab", a->vocab,
         "Vocabulary size V (characters come from a checkpoint at run time)")
      ->check(kPositive);
  app.add_option(
      "--data", a->data,
      "Build the vocabulary from this corpus, as `rnnc train --data` does");
  app.add_option("--from", a->from, "Take the vocabulary from this checkpoint");
  app.add_option("--emit", a->emit, "What to write")
      ->check(CLI::IsMember({"obj", "asm", "llvm"}))
      ->capture_default_str();
  app.add_option("--target-cpu", a->targetCPU,
                 "LLVM CPU name, e.g. x86-64-v3 for a portable object "
                 "(default: this host's CPU)");
  app.add_option("--target-features", a->targetFeatures,
                 "LLVM features added to or removed from the CPU's, e.g. "
                 "-avx512f (the runtime library picks its own kernels when "
                 "the program starts)");
  app.add_option("--name", a->name,
                 "Prefix of the C entry points (default: from the model name)");
  app.add_flag("--stats", a->stats,
               "Print each function's arena size (planned and without "
               "sharing), buffer count and kernel calls");
  c.run = [a] { return runCompile(*a); };
  return c;
}

} // namespace rnnc::tool
