//===- Trainer.cpp - The training loop ------------------------------------===//
#include "runtime/train/Trainer.h"

#include "runtime/train/Decoding.h"
#include "runtime/train/Generator.h"
#include "runtime/train/Progress.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <iostream>
#include <optional>
#include <ostream>
#include <sys/stat.h>

namespace rnnc::runtime {

std::string hyperParametersJson(const ir::TrainConfig &train,
                                std::optional<uint64_t> seed) {
  nlohmann::json j = {{"optimizer", train.optimizer},
                      {"lr", train.lr},
                      {"clip", train.clip},
                      {"batch", train.batch},
                      {"seq_len", train.seqLen},
                      {"sampling", train.sampling}};
  if (seed)
    j["seed"] = *seed;
  else
    j["compiled"] = true;
  return j.dump();
}

Trainer::Trainer(const TrainStep &step, const ForwardStep *generate,
                 const Vocabulary &vocab, TrainOptions options)
    : step_(step), generate_(generate), vocab_(vocab),
      options_(std::move(options)),
      session_(step, options_.optimizer, options_.clip) {
  session_.setDataParallel(options_.dataParallel);
  session_.setDropoutSeed(options_.seed);
}

Expected<void>
Trainer::initParameters(const std::map<std::string, ir::ParamInit> &inits) {
  return session_.initParameters(inits, options_.seed);
}

Expected<void> Trainer::loadParameters(const Checkpoint &checkpoint) {
  return session_.loadParameters(checkpoint);
}

namespace {

/// A step's mean loss above 10 ln V + 100 nats is divergence, not learning.
/// ln V is the loss of a uniform guess, where a run starts (6.9 for the d2l
/// corpus's 1,027 characters; its losses only fall from there). Ten times
/// that plus 100 nats leaves room for a poor initialisation (logits spread
/// by ~100), is far below the ~1e29 of `--lr 1e30`, and stays below
/// ln(DBL_MAX) = 709.8 for any V < e^60, so an epoch whose steps all pass
/// the bound always has a finite perplexity.
constexpr double kDivergenceScale = 10, kDivergenceOffset = 100;

const char *const kTrainStateKey = "train_state";
const char *const kValidationKey = "validation";
const char *const kStatePrefix = "__state__.";
const char *const kAdamMPrefix = "__adam__.m.";
const char *const kAdamVPrefix = "__adam__.v.";

/// Doubles go into the JSON as hexadecimal text: exact in both directions.
std::string hexDouble(double x) { return fmt::format("{:a}", x); }
std::optional<double> parseHexDouble(const nlohmann::json &j) {
  if (!j.is_string())
    return std::nullopt;
  const std::string &text = j.get_ref<const std::string &>();
  char *end = nullptr;
  double x = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size())
    return std::nullopt;
  return x;
}

const char *samplingName(SamplingMode mode) {
  return mode == SamplingMode::Random ? "random" : "consecutive";
}

bool sameFile(const std::string &a, const std::string &b) {
  struct stat sa, sb;
  if (a.empty() || b.empty())
    return false;
  if (::stat(a.c_str(), &sa) != 0 || ::stat(b.c_str(), &sb) != 0)
    return a == b;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

} // namespace

struct Trainer::RunState {
  TrainPosition position;
  const Sampler *sampler = nullptr;
  const EpochTally *tally = nullptr;
};

struct Trainer::ResumeData {
  TrainPosition position;
  bool hasState = false; ///< false: an older checkpoint, parameters only
  std::string sampling, optimizer;
  int64_t batch = 0, seqLen = 0, corpusTokens = 0;
  uint64_t seed = 0;
  long long optimizerSteps = 0;
  double lossSum = 0, normSum = 0;
  int64_t tokens = 0;
  TensorBuffers states;
  std::vector<std::vector<double>> adamM, adamV;
  std::optional<ValidationRecord> validation;
};

Expected<void> Trainer::resumeFrom(const Checkpoint &checkpoint) {
  if (Expected<void> loaded = loadParameters(checkpoint); !loaded)
    return loaded;
  auto data = std::make_shared<ResumeData>();
  data->position.epochsDone = checkpoint.metadata.epoch;
  auto it = checkpoint.metadata.extra.find(kTrainStateKey);
  if (it == checkpoint.metadata.extra.end()) {
    // An older checkpoint: parameters and epoch only.
    resume_ = std::move(data);
    return {};
  }
  auto fail = [](const std::string &what) {
    return Error("the checkpoint's train_state is corrupt: " + what);
  };
  nlohmann::json j = nlohmann::json::parse(it->second, nullptr, false);
  if (!j.is_object())
    return fail("not a JSON object");
  auto integer = [&](const char *key, int64_t &out) {
    auto f = j.find(key);
    if (f == j.end() || !f->is_number_integer() || f->get<int64_t>() < 0)
      return false;
    out = f->get<int64_t>();
    return true;
  };
  auto text = [&](const char *key, std::string &out) {
    auto f = j.find(key);
    if (f == j.end() || !f->is_string())
      return false;
    out = f->get<std::string>();
    return true;
  };
  int64_t steps = 0;
  auto seed = j.find("seed");
  auto lossSum = j.find("epoch_loss_sum");
  auto normSum = j.find("epoch_grad_norm_sum");
  std::optional<double> loss = lossSum == j.end() ? std::nullopt : parseHexDouble(*lossSum);
  std::optional<double> norm = normSum == j.end() ? std::nullopt : parseHexDouble(*normSum);
  if (!integer("batches_done", data->position.batchesDone) ||
      !integer("batch", data->batch) || !integer("seq_len", data->seqLen) ||
      !integer("corpus_tokens", data->corpusTokens) ||
      !integer("optimizer_steps", steps) || !integer("epoch_tokens", data->tokens) ||
      !text("sampling", data->sampling) || !text("optimizer", data->optimizer) ||
      seed == j.end() || !seed->is_number_unsigned() || !loss || !norm)
    return fail("a field is missing or has the wrong type");
  if (auto v = j.find(kValidationKey); v != j.end()) {
    ValidationRecord record;
    auto best = v->is_object() ? v->find("best") : v->end();
    std::optional<double> bestValue =
        v->is_object() && best != v->end() ? parseHexDouble(*best) : std::nullopt;
    auto field = [&](const char *key, int64_t &out) {
      auto f = v->find(key);
      if (f == v->end() || !f->is_number_integer() || f->get<int64_t>() < 0)
        return false;
      out = f->get<int64_t>();
      return true;
    };
    if (!bestValue || !field("best_epoch", record.bestEpoch) ||
        !field("epochs_since_best", record.epochsSinceBest))
      return fail("the validation record is incomplete");
    record.best = *bestValue;
    data->validation = record;
  }
  data->hasState = true;
  data->seed = seed->get<uint64_t>();
  data->optimizerSteps = steps;
  data->lossSum = *loss;
  data->normSum = *norm;
  const ModelLayout &layout = step_.layout();
  if (data->position.batchesDone > 0) {
    // The state of all B rows; a data-parallel rank keeps its own.
    for (const TensorSlot &slot : layout.states) {
      std::vector<int64_t> shape = slot.shape;
      shape[0] = session_.globalBatch();
      const NamedTensor *t = checkpoint.find(kStatePrefix + slot.name);
      if (!t || t->isF64 || t->shape != shape)
        return fail("no carried state '" + slot.name + "' of the model's shape");
      data->states.push_back(t->data);
    }
    if (options_.dataParallel)
      data->states = options_.dataParallel->takeRows(data->states);
  }
  if (data->optimizer == "adam" && steps > 0) {
    for (size_t i = 0; i < layout.params.size(); ++i) {
      const NamedTensor *m = checkpoint.find(kAdamMPrefix + layout.params[i].name);
      const NamedTensor *v = checkpoint.find(kAdamVPrefix + layout.params[i].name);
      size_t n = session_.parameters()[i].size();
      if (!m || !v || !m->isF64 || !v->isF64 || m->data64.size() != n ||
          v->data64.size() != n)
        return fail("no Adam moments for '" + layout.params[i].name + "'");
      data->adamM.push_back(m->data64);
      data->adamV.push_back(v->data64);
    }
  }
  resume_ = std::move(data);
  return {};
}

std::string Trainer::keptCheckpoint() const {
  auto describe = [](const TrainPosition &p) {
    return p.batchesDone == 0
               ? fmt::format("epoch {}", p.epochsDone)
               : fmt::format("epoch {}, step {}", p.epochsDone + 1, p.batchesDone);
  };
  if (saved_)
    return fmt::format(" (the checkpoint of {} in '{}' is kept)",
                       describe(*saved_), options_.savePath);
  if (options_.savePath.empty())
    return "";
  if (!resume_)
    return " (no checkpoint was written)";
  if (sameFile(options_.resumePath, options_.savePath))
    return fmt::format(" (the checkpoint of {} in '{}' is kept)",
                       describe(resume_->position), options_.savePath);
  return fmt::format(" (no checkpoint was written by this run; '{}', {}, is "
                     "unchanged)",
                     options_.resumePath, describe(resume_->position));
}

Expected<RunResult> Trainer::run(const std::vector<int32_t> &tokens,
                                 std::ostream &log) {
  if (Expected<void> reserved = step_.reserveArena(); !reserved)
    return reserved.error();
  const ModelLayout &layout = step_.layout();
  Expected<Sampler> sampler = Sampler::create(tokens, options_.sampling,
                                              session_.globalBatch(),
                                              layout.seqLen, options_.seed);
  if (!sampler)
    return sampler.error();
  session_.resetOptimizer(); // each run starts its optimizer afresh
  if (Expected<void> made = session_.ensureOptimizer(); !made)
    return made.error();
  Optimizer &optimizer = *session_.optimizer();
  batchesPerEpoch_ = sampler->batchesPerEpoch();

  // Resume: the numbering continues; the sampler, the optimizer and a
  // mid-epoch state are restored when the run is the same as the saved one.
  int64_t firstEpoch = 1;
  bool midEpoch = false;
  EpochTally tally;
  if (resume_) {
    const ResumeData &r = *resume_;
    firstEpoch = r.position.epochsDone + 1;
    bool sameSampler = r.sampling == samplingName(options_.sampling) &&
                       r.batch == session_.globalBatch() && r.seqLen == layout.seqLen &&
                       r.seed == options_.seed &&
                       r.corpusTokens == static_cast<int64_t>(tokens.size());
    if (!speaks()) {
      // rank 0 gives the notes
    } else if (!r.hasState)
      std::cerr << "rnnc: note: the checkpoint carries no run state (an older "
                   "rnnc); training continues from its parameters and epoch, "
                   "with a fresh sampler and optimizer\n";
    else if (!sameSampler)
      std::cerr << "rnnc: note: this run's sampling, batch, seq_len, seed or "
                   "corpus differs from the checkpoint's; training continues "
                   "from its parameters and epoch, not exactly as the saved "
                   "run would have\n";
    if (sameSampler && r.position.batchesDone > 0 &&
        r.position.batchesDone < batchesPerEpoch_ &&
        r.states.size() == session_.states().size()) {
      midEpoch = true;
      sampler->restorePosition(firstEpoch, r.position.batchesDone);
      session_.states() = r.states;
      tally.meter.restore(r.lossSum, r.tokens);
      tally.normSum = r.normSum;
      tally.steps = r.position.batchesDone;
    } else {
      sampler->restorePosition(r.position.epochsDone, 0);
    }
    if (r.optimizer == options_.optimizer.kind)
      optimizer.restoreStepCount(r.optimizerSteps);
    if (r.optimizer != options_.optimizer.kind) {
      if (r.hasState && speaks())
        std::cerr << "rnnc: note: the checkpoint was trained with "
                  << r.optimizer << ", this run uses " << options_.optimizer.kind
                  << "; its optimizer state starts afresh\n";
    } else if (auto *adam = dynamic_cast<AdamOptimizer *>(&optimizer);
               adam && !r.adamM.empty()) {
      if (Expected<void> restored =
              adam->restoreState(r.optimizerSteps, r.adamM, r.adamV);
          !restored)
        return restored.error();
    }
    if (options_.validationStep && r.validation)
      validation_ = *r.validation;
    if (options_.patience > 0 && validation_.epochsSinceBest >= options_.patience) {
      if (speaks())
        std::cerr << fmt::format("rnnc: note: the checkpoint's validation "
                               "perplexity has not improved for {} epochs "
                               "(--patience {}); nothing to train\n",
                               validation_.epochsSinceBest, options_.patience);
      return RunResult::Finished;
    }
    if (firstEpoch > options_.epochs) {
      if (speaks())
        std::cerr << fmt::format("rnnc: note: the checkpoint has {} epochs and "
                               "--epochs {} is the total; nothing to train\n",
                               r.position.epochsDone, options_.epochs);
      return RunResult::Finished;
    }
  }
  const double lossBound =
      kDivergenceScale * std::log(static_cast<double>(std::max<int64_t>(layout.vocab, 2))) +
      kDivergenceOffset;

  ProgressDisplay progress;
  ProgressState state;
  state.totalEpochs = options_.epochs;
  state.batchesPerEpoch = batchesPerEpoch_;
  state.epoch = firstEpoch;
  state.batchesDone = tally.steps;
  state.startFraction = progressFraction(state);
  const int64_t tokensPerBatch = session_.globalBatch() * layout.seqLen;
  auto trainStart = std::chrono::steady_clock::now();

  auto runState = [&](int64_t epochsDone, int64_t batchesDone) {
    RunState rs;
    rs.position = {epochsDone, batchesDone};
    rs.sampler = &*sampler;
    rs.tally = &tally;
    return rs;
  };
  auto diverged = [&](int64_t epoch, const std::string &why) {
    progress.clear();
    return Error(fmt::format("training diverged at epoch {}, step {}: {}; stopping{}",
                             epoch, tally.steps, why, keptCheckpoint()));
  };
  int64_t stepsThisRun = 0;
  auto stopNow = [&] {
    return (options_.stopRequested && *options_.stopRequested) ||
           (options_.stopAfterSteps > 0 && stepsThisRun >= options_.stopAfterSteps);
  };
  auto interrupt = [&](int64_t epochsDone, int64_t batchesDone) -> Expected<RunResult> {
    progress.clear();
    stoppedAt_ = {epochsDone, batchesDone};
    interruptCheckpoint_ =
        options_.savePath.empty() ? options_.interruptPath : options_.savePath;
    // An epoch end was just saved to savePath; otherwise save here.
    bool saved = batchesDone == 0 && !options_.savePath.empty();
    if (!saved) {
      Expected<void> written =
          saveCheckpoint(interruptCheckpoint_, runState(epochsDone, batchesDone));
      if (!written)
        return written.error();
    }
    return RunResult::Interrupted;
  };

  for (int64_t epoch = firstEpoch; epoch <= options_.epochs; ++epoch) {
    auto epochStart = std::chrono::steady_clock::now();
    if (!(midEpoch && epoch == firstEpoch))
      session_.startEpoch(*sampler, tally);
    bool stopped = false;
    auto afterStep = [&] {
      ++stepsThisRun;
      double elapsed = std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - trainStart)
                           .count();
      state.epoch = epoch;
      state.batchesDone = tally.steps;
      state.perplexity = tally.meter.perplexity();
      state.elapsedSeconds = elapsed;
      state.tokensPerSecond = static_cast<double>(stepsThisRun * tokensPerBatch) /
                              std::max(elapsed, 1e-9);
      if (speaks())
        progress.update(state);
      stopped = stopNow() && tally.steps < batchesPerEpoch_;
      return !stopped;
    };
    Expected<StepResult> trained =
        session_.trainEpoch(*sampler, lossBound, tally, afterStep);
    if (!trained)
      return trained.error();
    const StepResult &step = *trained;
    switch (step.status) {
    case StepStatus::Updated:
      break;
    case StepStatus::NonFiniteLoss:
      return diverged(epoch, fmt::format("non-finite loss ({})", step.loss));
    case StepStatus::LossAboveBound:
      return diverged(epoch,
                      fmt::format("loss {:.4g} is above the bound {:.1f} "
                                  "(10 ln V + 100, V = {})",
                                  step.loss, lossBound, layout.vocab));
    case StepStatus::NonFiniteGradient:
      return diverged(epoch, "non-finite gradient");
    case StepStatus::OutOfMemory:
      return Error(step_.arenaShortfall());
    }
    if (stopped) {
      if (!session_.parametersFinite())
        return diverged(epoch, "the parameters are no longer finite");
      return interrupt(epoch - 1, tally.steps);
    }
    // The last update has no loss to show it yet: check before saving.
    if (!session_.parametersFinite())
      return diverged(epoch, "the parameters are no longer finite");
    EpochMetrics m;
    m.epoch = epoch;
    m.loss = tally.meter.meanLoss();
    m.perplexity = tally.meter.perplexity();
    m.gradNorm =
        tally.steps ? tally.normSum / static_cast<double>(tally.steps) : 0;
    m.seconds = std::chrono::duration<double>(
                    std::chrono::steady_clock::now() - epochStart)
                    .count();
    m.tokensPerSecond =
        static_cast<double>(tally.meter.tokens()) / std::max(m.seconds, 1e-9);
    if (!std::isfinite(m.perplexity))
      return diverged(epoch, "non-finite perplexity");
    bool improved = false;
    if (options_.validationStep) {
      Expected<EvaluationResult> held = evaluateText(
          *options_.validationStep, session_.parameters(), options_.validationTokens);
      if (!held) {
        progress.clear();
        return Error("validation: " + held.error().message());
      }
      m.valPerplexity = held->perplexity();
      m.valBitsPerChar = held->bitsPerChar();
      improved = validation_.observe(epoch, *m.valPerplexity);
      state.valPerplexity = *m.valPerplexity;
    }
    history_.push_back(m);
    if (Expected<void> appended = appendMetrics(m); !appended)
      return appended.error();
    if (!options_.savePath.empty()) {
      if (Expected<void> written = saveCheckpoint(options_.savePath, runState(epoch, 0));
          !written)
        return written.error();
      saved_ = TrainPosition{epoch, 0};
    }
    if (improved && !options_.saveBestPath.empty()) {
      Expected<void> written = saveCheckpoint(options_.saveBestPath, runState(epoch, 0));
      if (!written)
        return written.error();
    }
    const bool outOfPatience = options_.patience > 0 &&
                               validation_.epochsSinceBest >= options_.patience;
    bool last = epoch == options_.epochs || outOfPatience;
    bool predictNow = last || (options_.predictEvery > 0 &&
                               epoch % options_.predictEvery == 0);
    if (speaks() &&
        (predictNow || epoch == 1 || epoch == firstEpoch || epoch % 10 == 0)) {
      progress.clear();
      log << fmt::format("epoch {}, perplexity {:.3f}{}, grad norm {:.3f}, "
                         "{:.0f} tokens/s, {:.2f} s\n",
                         epoch, m.perplexity,
                         m.valPerplexity ? fmt::format(", val perplexity {:.3f}",
                                                       *m.valPerplexity)
                                         : "",
                         m.gradNorm, m.tokensPerSecond, m.seconds);
      log.flush();
    }
    if (predictNow && speaks())
      predict(log);
    if (outOfPatience) {
      if (speaks())
        log << fmt::format("stopping early: no better validation perplexity in "
                           "{} epochs (--patience {})\n",
                           validation_.epochsSinceBest, options_.patience);
      break;
    }
    if (stopNow() && !last)
      return interrupt(epoch, 0);
  }
  progress.clear();
  if (options_.validationStep && validation_.best && speaks())
    log << fmt::format("best validation perplexity {:.3f} at epoch {}{}\n",
                       *validation_.best, validation_.bestEpoch,
                       options_.saveBestPath.empty()
                           ? ""
                           : fmt::format(" (saved to '{}')", options_.saveBestPath));
  return RunResult::Finished;
}

void Trainer::predict(std::ostream &log) const {
  if (!generate_)
    return;
  TextGenerator generator(*generate_, session_.parameters(), vocab_);
  for (const std::string &prefix : options_.prefixes) {
    TokenChooser greedy;
    Expected<std::string> text =
        generator.continueText(prefix, options_.predictLength, greedy);
    log << " - " << (text ? *text : "(" + text.error().message() + ")") << '\n';
  }
}

Expected<void> Trainer::appendMetrics(const EpochMetrics &m) const {
  if ((options_.metricsJsonPath.empty() && !options_.onEpochMetrics) ||
      !speaks())
    return {};
  nlohmann::json j = {{"epoch", m.epoch},
                      {"loss", m.loss},
                      {"perplexity", m.perplexity},
                      {"grad_norm", m.gradNorm},
                      {"tokens_per_s", m.tokensPerSecond},
                      {"seconds", m.seconds}};
  if (m.valPerplexity) {
    j["val_perplexity"] = *m.valPerplexity;
    j["val_bits_per_char"] = *m.valBitsPerChar;
  }
  const std::string line = j.dump();
  if (!options_.metricsJsonPath.empty()) {
    std::ofstream out(options_.metricsJsonPath, std::ios::app);
    errno = 0;
    out << line << '\n';
    out.flush(); // a full disk shows here, not in a destructor
    if (!out)
      return Error("cannot write metrics to '" + options_.metricsJsonPath + "'" +
                   (errno ? std::string(": ") + std::strerror(errno) : ""));
  }
  if (options_.onEpochMetrics)
    return options_.onEpochMetrics(line);
  return {};
}

Expected<void> Trainer::saveCheckpoint(const std::string &path,
                                       const RunState &run) {
  // Every rank gives its rows of a carried state; rank 0 alone writes.
  TensorBuffers allStates;
  const TensorBuffers *states = &session_.states();
  if (options_.dataParallel && run.position.batchesDone > 0) {
    options_.dataParallel->gatherRows(session_.states(), allStates);
    states = &allStates;
  }
  if (!speaks())
    return {};
  const Optimizer *optimizer = session_.optimizer();
  CheckpointMetadata meta = options_.checkpoint;
  meta.epoch = run.position.epochsDone;
  meta.vocabulary = vocab_.chars();
  const ModelLayout &layout = step_.layout();
  nlohmann::json state = {
      {"batches_done", run.position.batchesDone},
      {"sampling", samplingName(run.sampler->mode())},
      {"batch", run.sampler->batchSize()},
      {"seq_len", run.sampler->seqLen()},
      {"seed", options_.seed},
      {"corpus_tokens", run.sampler->corpusTokens()},
      {"optimizer", options_.optimizer.kind},
      {"optimizer_steps", optimizer->stepCount()},
      {"epoch_loss_sum",
       hexDouble(run.position.batchesDone ? run.tally->meter.lossSum() : 0)},
      {"epoch_tokens",
       run.position.batchesDone ? run.tally->meter.tokens() : 0},
      {"epoch_grad_norm_sum",
       hexDouble(run.position.batchesDone ? run.tally->normSum : 0)}};
  if (validation_.best)
    state[kValidationKey] = {{"best", hexDouble(*validation_.best)},
                             {"best_epoch", validation_.bestEpoch},
                             {"epochs_since_best", validation_.epochsSinceBest}};
  meta.extra[kTrainStateKey] = state.dump();
  std::vector<TensorView> views;
  for (size_t i = 0; i < layout.params.size(); ++i)
    views.push_back({layout.params[i].name, layout.params[i].shape,
                     session_.parameters()[i].data()});
  if (run.position.batchesDone > 0)
    for (size_t i = 0; i < layout.states.size(); ++i) {
      std::vector<int64_t> shape = layout.states[i].shape;
      shape[0] = session_.globalBatch();
      views.push_back({kStatePrefix + layout.states[i].name, shape,
                       (*states)[i].data()});
    }
  if (auto *adam = dynamic_cast<const AdamOptimizer *>(optimizer);
      adam && adam->momentCount() == layout.params.size()) {
    for (size_t i = 0; i < layout.params.size(); ++i) {
      views.push_back({kAdamMPrefix + layout.params[i].name,
                       layout.params[i].shape, nullptr, adam->firstMoment(i).data()});
      views.push_back({kAdamVPrefix + layout.params[i].name,
                       layout.params[i].shape, nullptr, adam->secondMoment(i).data()});
    }
  }
  return runtime::saveCheckpoint(path, meta, views);
}

} // namespace rnnc::runtime
