//===- difftest.cpp - rnnc-difftest: random models until told to stop -----===//
///
/// \file
/// `rnnc-difftest --seconds N --seed S [--out DIR] [--models K]` generates
/// models from seeds S, S+1, ... (test/differential/ModelGenerator.h), checks
/// each through the real pipeline (DifferentialCheck.h) and, on a mismatch,
/// reduces the model while the same kind of mismatch persists (Reducer.h)
/// and writes to DIR/seed-<n>/: model.rnn, reduced.rnn, report.txt (seed,
/// sizes, the differing values, the reduced model's mismatches). Prints a
/// progress line every 10 s and a summary: models tested, comparisons run,
/// operators and constructs covered, mismatches. Exits 1 on any mismatch or
/// any generated model the front end rejects, 2 on a usage error.
///
/// Also: `--check FILE --vocab V --batch B --seq-len T` checks one model file
/// (a reproducer) and prints each comparison; `--frontend-only --models K`
/// only asks the front end to accept K generated models (thousands a
/// minute); `--no-repeats` turns off the repeated subexpressions;
/// 1 and 2 threads must give the same bits on the scaled-up copies too
/// (`threads-large`; the kernels' chunks do not depend on the thread count);
/// `--write-models DIR` writes the scaled-up models as files, checking nothing
/// (scripts/loss-fingerprint.sh trains them before and after a change).
/// `--loose-threads` accepts differences within the float tolerance there
/// (`--strict-threads`, the old opt-in, is the default and still accepted).
///
//===----------------------------------------------------------------------===//
#include "test/differential/DifferentialCheck.h"
#include "test/differential/ModelGenerator.h"
#include "test/differential/Reducer.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <set>
#include <string>

using namespace rnnc::difftest;

namespace {

/// A model that takes longer than this to check is reported (and written to
/// DIR/slow-seed-N/), though it is not a mismatch.
constexpr double kSlowModelSeconds = 30;

struct Options {
  double seconds = 60, reduceSeconds = 120;
  uint64_t seed = 1;
  int64_t models = -1, maxMismatches = -1;
  std::string out = "difftest-out";
  bool reduce = true, verbose = false, strictThreads = true, threadsOnly = false;
  bool aot = true;
  bool frontendOnly = false; ///< only check that the front end accepts each model
  std::string writeModels;   ///< --write-models DIR: write scaled-up models, check nothing
  std::string checkFile;     ///< --check FILE: one model, sizes from --vocab/--batch/--seq-len
  int64_t vocab = 5, batch = 2, seqLen = 3;
  GeneratorOptions generator;
};

int usage() {
  std::cerr
      << "usage: rnnc-difftest [--seconds N] [--seed S] [--models K] [--out DIR]\n"
         "                     [--reduce-seconds R] [--max-mismatches M] [--no-reduce]\n"
         "                     [--no-repeats] [--loose-threads] [--frontend-only] [--no-aot] "
         "[--verbose]\n"
         "       rnnc-difftest --check FILE.rnn [--vocab V] [--batch B] [--seq-len T] [--seed S]\n"
         "                     [--threads-only]\n"
         "       rnnc-difftest --write-models DIR [--models K] [--seed S]\n";
  return 2;
}

bool parseArgs(int argc, char **argv, Options &o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> const char * { return i + 1 < argc ? argv[++i] : nullptr; };
    const char *v = nullptr;
    if (a == "--no-reduce")
      o.reduce = false;
    else if (a == "--strict-threads") // the default; kept for old scripts
      o.strictThreads = true;
    else if (a == "--loose-threads")
      o.strictThreads = false;
    else if (a == "--no-aot")
      o.aot = false;
    else if (a == "--frontend-only")
      o.frontendOnly = true;
    else if (a == "--threads-only")
      o.threadsOnly = true;
    else if (a == "--no-repeats")
      o.generator.repeats = false;
    else if (a == "--verbose")
      o.verbose = true;
    else if ((a == "--seconds" || a == "--seed" || a == "--models" || a == "--out" ||
              a == "--reduce-seconds" || a == "--check" || a == "--vocab" || a == "--batch" ||
              a == "--seq-len" || a == "--max-mismatches" || a == "--write-models") &&
             (v = value())) {
      if (a == "--seconds")
        o.seconds = std::atof(v);
      else if (a == "--seed")
        o.seed = std::strtoull(v, nullptr, 10);
      else if (a == "--models")
        o.models = std::atoll(v);
      else if (a == "--reduce-seconds")
        o.reduceSeconds = std::atof(v);
      else if (a == "--max-mismatches")
        o.maxMismatches = std::atoll(v);
      else if (a == "--check")
        o.checkFile = v;
      else if (a == "--write-models")
        o.writeModels = v;
      else if (a == "--vocab")
        o.vocab = std::atoll(v);
      else if (a == "--batch")
        o.batch = std::atoll(v);
      else if (a == "--seq-len")
        o.seqLen = std::atoll(v);
      else
        o.out = v;
    } else
      return false;
  }
  return true;
}

/// checkModelText, then (if everything agreed and `threadsLarge`) 1 vs 2
/// threads on the scaled-up copy.
CheckResult check(const RandomModel &m, uint64_t seed, const CheckOptions &base,
                  bool threadsLarge = false, bool strictThreads = true) {
  CheckOptions o = base;
  o.seed = seed;
  CheckResult r = checkModelText(printModel(m), m.vocab, m.batch, m.seqLen, o);
  if (!threadsLarge || r.failed() || r.rejected)
    return r;
  RandomModel big = scaledUp(m);
  CheckResult br =
      checkThreadsOnly(printModel(big), big.vocab, big.batch, big.seqLen, seed, strictThreads);
  r.comparisons.insert(br.comparisons.begin(), br.comparisons.end());
  r.mismatches.insert(r.mismatches.end(), br.mismatches.begin(), br.mismatches.end());
  r.worstPassingRatio.insert(br.worstPassingRatio.begin(), br.worstPassingRatio.end());
  for (const auto &[decade, n] : br.ratioDecades)
    r.ratioDecades[decade] += n;
  if (!br.error.empty())
    r.error = "scaled-up model: " + br.error;
  return r;
}

void writeFile(const std::filesystem::path &p, const std::string &text) {
  std::ofstream(p) << text;
}

/// Every mismatch with its differing values, for report.txt.
std::string describeWithValues(const CheckResult &r) {
  std::string s;
  if (!r.error.empty())
    s += (r.rejected ? "rejected: " : "error: ") + r.error + "\n";
  for (const Mismatch &m : r.mismatches)
    s += m.describe() + "\n" + m.describeSamples();
  return s;
}

std::string describeAll(const CheckResult &r) {
  std::string s;
  if (!r.error.empty())
    s += (r.rejected ? "rejected: " : "error: ") + r.error + "\n";
  for (const Mismatch &m : r.mismatches)
    s += m.describe() + "\n";
  return s;
}

/// Writes DIR/seed-N/ (model.rnn, report.txt, reduced.rnn) for a model
/// whose check failed with `kinds`, reducing it first unless --no-reduce.
void writeMismatch(const Options &opt, const RandomModel &m, uint64_t seed, const CheckResult &r,
                   const std::vector<std::string> &kinds, const CheckOptions &base,
                   const std::function<double()> &elapsed) {
  std::filesystem::path dir = std::filesystem::path(opt.out) / ("seed-" + std::to_string(seed));
  std::filesystem::create_directories(dir);
  writeFile(dir / "model.rnn", printModel(m));
  std::string report = "seed " + std::to_string(seed) + "\nsizes " + m.sizesLine() +
                       "\nagain: rnnc-difftest --check model.rnn --vocab " +
                       std::to_string(m.vocab) + " --batch " + std::to_string(m.batch) +
                       " --seq-len " + std::to_string(m.seqLen) + " --seed " +
                       std::to_string(seed) + "\n\n" + describeWithValues(r);
  if (opt.reduce && !r.rejected) {
    std::set<std::string> wanted(kinds.begin(), kinds.end());
    // Only the comparisons that failed are rerun while reducing.
    CheckOptions narrow = base;
    narrow.fdSamples = wanted.count("finite-differences") ? base.fdSamples : 0;
    narrow.threads = wanted.count("threads") > 0;
    narrow.generation = wanted.count("generation") + wanted.count("forward-vs-interpreter") > 0;
    narrow.aot = wanted.count("aot") > 0;
  narrow.pipelineOnly = wanted.size() == 1 && wanted.count("pipeline");
    bool large = wanted.count("threads-large") > 0;
    auto stillFails = [&](const RandomModel &c) {
      CheckResult cr = check(c, seed, narrow, large, opt.strictThreads);
      if (cr.rejected)
        return false;
      for (const std::string &k : cr.failingKinds())
        if (wanted.count(k))
          return true;
      return false;
    };
    ReduceStats stats;
    RandomModel small = reduceModel(m, stillFails, opt.reduceSeconds, &stats);
    CheckResult sr = check(small, seed, base, large, opt.strictThreads);
    std::string blame = blamePass([&](const CheckOptions &o) {
      CheckResult br = check(small, seed, o, large, opt.strictThreads);
      for (const std::string &k : br.failingKinds())
        if (wanted.count(k))
          return true;
      return false;
    });
    std::string blameLine = "first failing pipeline prefix ends at: " +
                            (blame.empty() ? std::string("(none fails)") : blame) + "\n";
    std::string text = printModel(small);
    writeFile(dir / "reduced.rnn", text);
    report += "\nreduced in " + std::to_string(stats.seconds) + " s (" +
              std::to_string(stats.attempts) + " tries, " + std::to_string(stats.accepted) +
              " kept) to sizes " + small.sizesLine() + " (" + std::to_string(bodyLines(small)) +
              " step lines):\n" + text + "\n" + describeWithValues(sr) + blameLine;
    std::printf("[%7.1fs] reduced to %zu step lines (%s):\n%s%s%s", elapsed(), bodyLines(small),
                small.sizesLine().c_str(), text.c_str(), describeAll(sr).c_str(),
                blameLine.c_str());
  }
  writeFile(dir / "report.txt", report);
  std::fflush(stdout);
}

} // namespace

int main(int argc, char **argv) {
  Options opt;
  if (!parseArgs(argc, argv, opt))
    return usage();
  if (!opt.checkFile.empty()) { // one hand-written model, no reduction
    std::ifstream in(opt.checkFile);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CheckOptions o;
    o.seed = opt.seed;
    CheckResult r = opt.threadsOnly
                        ? checkThreadsOnly(text, opt.vocab, opt.batch, opt.seqLen, opt.seed,
                                           opt.strictThreads)
                        : checkModelText(text, opt.vocab, opt.batch, opt.seqLen, o);
    for (const auto &[kind, n] : r.comparisons)
      std::printf("compared %s: %lld\n", kind.c_str(), static_cast<long long>(n));
    std::printf("%s%s", describeAll(r).c_str(), r.failed() || r.rejected ? "FAIL\n" : "ok\n");
    return r.failed() || r.rejected ? 1 : 0;
  }
  if (!opt.writeModels.empty()) { // the scaled-up models as files, for `rnnc train`
    int64_t n = opt.models >= 0 ? opt.models : 20;
    for (uint64_t seed = opt.seed; seed < opt.seed + static_cast<uint64_t>(n); ++seed) {
      RandomModel m = scaledUp(generateModel(seed, opt.generator));
      std::ofstream(opt.writeModels + "/model-" + std::to_string(seed) + ".rnn") << printModel(m);
    }
    return 0;
  }
  if (opt.frontendOnly) { // generator against front end, many models a second
    int64_t n = opt.models >= 0 ? opt.models : 1000, rejected = 0;
    for (uint64_t seed = opt.seed; seed < opt.seed + static_cast<uint64_t>(n); ++seed) {
      RandomModel m = generateModel(seed, opt.generator);
      std::string errors = frontendErrors(printModel(m), m.vocab, m.batch, m.seqLen);
      if (!errors.empty() && ++rejected <= 5)
        std::printf("seed %llu rejected:\n%s%s\n", static_cast<unsigned long long>(seed),
                    errors.c_str(), printModel(m).c_str());
    }
    std::printf("front end: %lld of %lld generated models rejected\n",
                static_cast<long long>(rejected), static_cast<long long>(n));
    return rejected ? 1 : 0;
  }
  using Clock = std::chrono::steady_clock;
  auto start = Clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  std::map<std::string, int64_t> constructs, comparisons, kindsFound;
  std::map<std::string, double> worst;
  std::map<std::string, int64_t> decades;
  int64_t tested = 0, rejected = 0, skipped = 0, failures = 0, slow = 0;
  double lastProgress = 0;
  CheckOptions base;
  base.aot = opt.aot;
  for (uint64_t seed = opt.seed;; ++seed) {
    if (opt.models >= 0 ? tested >= opt.models : elapsed() >= opt.seconds)
      break;
    if (opt.maxMismatches >= 0 && failures >= opt.maxMismatches)
      break;
    RandomModel m = generateModel(seed, opt.generator);
    countConstructs(m, constructs);
    double modelStart = elapsed();
    CheckResult r = check(m, seed, base, true, opt.strictThreads);
    if (elapsed() - modelStart > kSlowModelSeconds) { // compile time is worth a look too
      ++slow;
      std::printf("[%7.1fs] SLOW seed %llu (%s): %.1f s for one model\n", elapsed(),
                  static_cast<unsigned long long>(seed), m.sizesLine().c_str(),
                  elapsed() - modelStart);
      std::filesystem::path dir =
          std::filesystem::path(opt.out) / ("slow-seed-" + std::to_string(seed));
      std::filesystem::create_directories(dir);
      writeFile(dir / "model.rnn", printModel(m));
    }
    ++tested;
    for (const auto &[k, n] : r.comparisons)
      comparisons[k] += n;
    for (const auto &[k, v] : r.worstPassingRatio)
      worst[k] = std::max(worst[k], v);
    for (const auto &[k, n] : r.ratioDecades)
      decades[k] += n;
    rejected += r.rejected;
    skipped += r.skipped;
    if (opt.verbose)
      std::printf("seed %llu: %s%s", static_cast<unsigned long long>(seed),
                  r.failed() || r.rejected ? "FAIL\n" : "ok\n", describeAll(r).c_str());
    if (r.failed() || r.rejected) {
      ++failures;
      std::vector<std::string> kinds = r.failingKinds();
      if (r.rejected)
        kinds = {"frontend-rejected"};
      for (const std::string &k : kinds)
        ++kindsFound[k];
      std::printf("[%7.1fs] MISMATCH seed %llu (%s)%s: %s", elapsed(),
                  static_cast<unsigned long long>(seed), m.sizesLine().c_str(),
                  r.duplicateYield ? " [a scan yields one value twice]" : "",
                  describeAll(r).c_str());
      writeMismatch(opt, m, seed, r, kinds, base, elapsed);
    }
    if (elapsed() - lastProgress >= 10) {
      lastProgress = elapsed();
      std::printf("[%7.1fs] %lld models, %lld mismatching\n", elapsed(),
                  static_cast<long long>(tested), static_cast<long long>(failures));
      std::fflush(stdout);
    }
  }
  std::printf("\nrnnc-difftest summary (seeds %llu..%llu, %.0f s)\n",
              static_cast<unsigned long long>(opt.seed),
              static_cast<unsigned long long>(opt.seed + static_cast<uint64_t>(tested) - 1),
              elapsed());
  std::printf("  models tested: %lld (front end rejected %lld, skipped as non-finite %lld)\n",
              static_cast<long long>(tested), static_cast<long long>(rejected),
              static_cast<long long>(skipped));
  int64_t total = 0;
  for (const auto &[k, n] : comparisons)
    total += n;
  std::printf("  comparisons run: %lld\n", static_cast<long long>(total));
  for (const auto &[k, n] : comparisons)
    if (worst.count(k))
      std::printf("    %-22s %8lld  (worst passing error / tolerance %.3g)\n", k.c_str(),
                  static_cast<long long>(n), worst[k]);
    else
      std::printf("    %-22s %8lld\n", k.c_str(), static_cast<long long>(n));
  std::printf("  tensors compared within a tolerance, by error / tolerance:\n   ");
  for (const char *d : {"<1e-3", "1e-3", "1e-2", "1e-1", "1", "10", ">=100"})
    std::printf(" %s: %lld", d, static_cast<long long>(decades[d]));
  std::printf("\n");
  std::printf("  operators and constructs covered (models using each, or uses):\n");
  for (const auto &[k, n] : constructs)
    std::printf("    %-36s %8lld\n", k.c_str(), static_cast<long long>(n));
  std::printf("  models slower than %.0f s to check: %lld\n", kSlowModelSeconds,
              static_cast<long long>(slow));
  std::printf("  mismatching models: %lld\n", static_cast<long long>(failures));
  for (const auto &[k, n] : kindsFound)
    std::printf("    %-22s %8lld\n", k.c_str(), static_cast<long long>(n));
  return failures ? 1 : 0;
}
