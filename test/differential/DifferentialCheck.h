//===- DifferentialCheck.h - One model through the real pipeline, cross-checked -*- C++ -*-===//
///
/// \file
/// Runs one model text through what `rnnc train` runs (parseModel, lowerToIR
/// with {V, B, T}, buildTrainStep, the default pass pipeline, the LLVM JIT)
/// on seeded random parameters, initial states and tokens, and compares:
///
///  - `jit-vs-interpreter`: the JIT `@train_step` against ir::interpret of
///    the same model's *unoptimised* `@train_step` (a second lowering):
///    the loss, every final state, every parameter gradient;
///  - `finite-differences`: central differences of the interpreter's loss
///    (double precision) against its own gradient on a sample of entries;
///  - `threads`: the JIT with 1 and with 2 kernel threads, bit for bit (at
///    the generator's sizes no product is large enough to be split, so
///    checkThreadsOnly repeats it on a scaled-up copy: `threads-large`);
///  - `forward-vs-interpreter`: `@forward` through the generate pipeline
///    (what generation and `rnnc eval` run) at (B, T) against ir::interpret
///    of the unoptimised `@forward`: the logits and every final state;
///  - `generation`: that `@forward` lowered with B = T = 1 and run T times,
///    carrying the state, against row 0 of it at (B, T);
///
/// Tolerance for float32 against double (`jit-vs-interpreter`,
/// `forward-vs-interpreter`, `generation`): per tensor, ||got - want||_2 <= kRelTol * ||want||_2 +
/// kAbsTol * sqrt(n). See DifferentialCheck.cpp for the measured float noise.
///
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rnnc::difftest {

constexpr double kRelTol = 1e-4;
constexpr double kAbsTol = 1e-6;
constexpr size_t kMismatchSamples = 16;

struct Mismatch {
  std::string comparison; ///< jit-vs-interpreter, finite-differences, ...
  std::string tensor;     ///< loss, grad.W3, h, logits[t=2] ...
  double maxAbs = 0, maxRel = 0, relL2 = 0;
  int64_t firstIndex = -1;  ///< first element outside the tolerance
  double got = 0, want = 0; ///< the values at firstIndex
  struct Sample {
    int64_t index;
    double got, want;
  };
  std::vector<Sample> samples; ///< the first kMismatchSamples differing entries
  /// One line: comparison, tensor, errors, first differing index.
  std::string describe() const;
  /// One line per sample: `  [index] got G want W`.
  std::string describeSamples() const;
};

struct CheckOptions {
  uint64_t seed = 1; ///< of the random parameters, states, tokens
  int fdSamples = 8; ///< parameter entries checked by differences
  bool threads = true, generation = true, aot = true;
  /// Stop after the pass pipeline (to reduce a model the pipeline rejects).
  bool pipelineOnly = false;
  /// Passes run before the JIT; unset: passes::defaultTrainPipeline().
  std::optional<std::vector<std::string>> passes;
};

struct CheckResult {
  bool rejected = false; ///< parseModel / lowering refused the text
  bool skipped = false;  ///< the interpreter's values were not finite
  std::string error;     ///< rejection or pipeline failure message
  std::vector<Mismatch> mismatches;
  std::map<std::string, int64_t> comparisons; ///< tensors compared, per kind
  /// Largest error / tolerance among the tensors that passed, per kind
  /// (how close float noise comes to the tolerance).
  std::map<std::string, double> worstPassingRatio;
  /// Error / tolerance of every tensor compared within a tolerance, counted
  /// per decade: "<1e-3", "1e-3", ..., "1e-1" pass; "1", "10", ">=100" fail.
  std::map<std::string, int64_t> ratioDecades;
  /// The optimised `@train_step` has a scan yielding one value twice (the
  /// pattern of issue 10's defect 1).
  bool duplicateYield = false;
  bool failed() const { return (!error.empty() && !rejected) || !mismatches.empty(); }
  /// The kinds that mismatched (`pipeline` for a compile failure).
  std::vector<std::string> failingKinds() const;
};

/// The first pass of the default pipeline after which `stillFails` holds
/// (trying prefixes of the pipeline), `codegen` if it fails with no pass, or
/// empty if no prefix fails.
std::string blamePass(const std::function<bool(const CheckOptions &)> &stillFails);

/// The front end's messages if parseModel or lowerToIR (with these sizes)
/// rejects `text`; empty if it accepts it.
std::string frontendErrors(const std::string &text, int64_t vocab, int64_t batch, int64_t seqLen);

/// Only the `threads` comparison, JIT against JIT (no interpreter, so the
/// sizes may be large enough for the products to be split across threads;
/// at the generator's tiny sizes they never are).
/// `bitExact` (rnnc-difftest's default) wants the same bits, which the
/// runtime promises for any thread count (runtime/kernels/KernelsParallel.h); false:
/// within the float tolerance instead (`--loose-threads`).
CheckResult checkThreadsOnly(const std::string &text, int64_t vocab, int64_t batch, int64_t seqLen,
                             uint64_t seed, bool bitExact);

/// Checks `text` specialised to V = vocab, B = batch, T = seqLen.
CheckResult checkModelText(const std::string &text, int64_t vocab, int64_t batch, int64_t seqLen,
                           const CheckOptions &options);

} // namespace rnnc::difftest
