//===- CheckSupport.cpp - Buffers and comparisons of the differential check -===//
///
/// \file
/// See CheckSupport.h. The tolerance is justified in DifferentialCheck.cpp.
///
//===----------------------------------------------------------------------===//
#include "test/differential/CheckSupport.h"

#include "runtime/kernels/Kernels.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace rnnc::difftest {

namespace {

uint32_t bitsOf(float v) {
  uint32_t w;
  std::memcpy(&w, &v, 4);
  return w;
}

} // namespace

/// Fills this thread's kernel arena (runtime/kernels/Kernels.cpp keeps one per
/// thread, shared by every compiled function) with NaN bytes, so a value
/// read before it is written shows as NaN every time instead of whatever
/// the previous function left there: the failure no longer depends on
/// which model ran before, which the reducer needs.
void poisonArena() {
  constexpr int64_t kBytes = 8 << 20;
  std::memset(rnnc_arena_acquire(kBytes), 0xFF, kBytes);
}

void runPoisoned(const runtime::CompiledFunction &fn, Call &call) {
  poisonArena();
  // A run that fails (its arena could not be reserved) would leave the
  // results unwritten and be compared as garbage: stop loudly instead.
  if (!fn.run(call.argPtrs.data(), call.resultPtrs.data())) {
    std::fprintf(stderr, "difftest: a compiled function failed to run\n");
    std::abort();
  }
}

/// Builds a call of `fn` whose arguments are taken by name from `named`.
bool bindCall(const ir::Function &fn, const std::map<std::string, ir::Tensor> &named, Call &call,
              std::string *error) {
  for (const auto &arg : fn.body().arguments()) {
    auto it = named.find(arg->name());
    if (it == named.end() || it->second.numElements() != arg->type().numElements()) {
      *error = "no input of the right size for argument '" + arg->name() + "' of @" + fn.name();
      return false;
    }
    std::vector<uint32_t> words;
    for (double v : it->second.data)
      words.push_back(arg->type().elementType() == ir::ElementType::I32
                          ? static_cast<uint32_t>(static_cast<int32_t>(v))
                          : bitsOf(static_cast<float>(v)));
    call.args.push_back(std::move(words));
  }
  for (const ir::Value *v : fn.body().terminator()->operands())
    call.results.emplace_back(static_cast<size_t>(v->type().numElements()));
  call.pointers();
  return true;
}

/// Compares within the float-vs-double tolerance; records the margin.
void compareClose(CheckResult &r, const std::string &kind, const std::string &name,
                  const std::vector<double> &got, const std::vector<double> &want) {
  ++r.comparisons[kind];
  double diff2 = 0, want2 = 0, maxAbs = 0, maxRel = 0;
  int64_t first = -1;
  bool finite = true;
  std::vector<Mismatch::Sample> samples;
  for (size_t i = 0; i < got.size(); ++i) {
    double d = std::fabs(got[i] - want[i]);
    if (!std::isfinite(got[i]))
      finite = false, d = INFINITY;
    diff2 += d * d;
    want2 += want[i] * want[i];
    maxAbs = std::max(maxAbs, d);
    maxRel = std::max(maxRel, d / std::max(std::fabs(want[i]), 1e-12));
    if (d > kRelTol * std::fabs(want[i]) + kAbsTol * 10) {
      if (first < 0)
        first = static_cast<int64_t>(i);
      if (samples.size() < kMismatchSamples)
        samples.push_back({static_cast<int64_t>(i), got[i], want[i]});
    }
  }
  double bound = kRelTol * std::sqrt(want2) + kAbsTol * std::sqrt(double(got.size()));
  double err = std::sqrt(diff2);
  double ratio = finite ? err / bound : INFINITY;
  ++r.ratioDecades[ratio < 1e-3   ? "<1e-3"
                   : ratio < 1e-2 ? "1e-3"
                   : ratio < 1e-1 ? "1e-2"
                   : ratio < 1    ? "1e-1"
                   : ratio < 10   ? "1"
                   : ratio < 100  ? "10"
                                  : ">=100"];
  if (ratio <= 1) {
    double &worst = r.worstPassingRatio[kind];
    worst = std::max(worst, ratio);
    return;
  }
  Mismatch m;
  m.comparison = kind;
  m.tensor = name;
  m.maxAbs = maxAbs;
  m.maxRel = maxRel;
  m.relL2 = err / std::max(std::sqrt(want2), 1e-300);
  m.firstIndex = first < 0 ? 0 : first;
  m.got = got[static_cast<size_t>(m.firstIndex)];
  m.want = want[static_cast<size_t>(m.firstIndex)];
  m.samples = std::move(samples);
  r.mismatches.push_back(m);
}

/// Compares bit for bit.
void compareBits(CheckResult &r, const std::string &kind, const Call &a, const Call &b,
                 const std::vector<std::string> &names) {
  for (size_t i = 0; i < a.results.size(); ++i) {
    ++r.comparisons[kind];
    Mismatch m;
    m.comparison = kind;
    m.tensor = i < names.size() ? names[i] : "result" + std::to_string(i);
    for (size_t e = 0; e < a.results[i].size(); ++e)
      if (a.results[i][e] != b.results[i][e]) {
        double got = b.f(i, e), want = a.f(i, e);
        if (m.firstIndex < 0) {
          m.firstIndex = static_cast<int64_t>(e);
          m.got = got;
          m.want = want;
        }
        m.maxAbs = std::max(m.maxAbs, std::fabs(got - want));
        m.maxRel = std::max(m.maxRel, std::fabs(got - want) / std::max(1e-30, std::fabs(want)));
        if (m.samples.size() < kMismatchSamples)
          m.samples.push_back({static_cast<int64_t>(e), got, want});
      }
    if (m.firstIndex >= 0)
      r.mismatches.push_back(m);
  }
}

} // namespace rnnc::difftest
