//===- IRTextFuzzer.cpp - libFuzzer entry over the IR text parser ---------===//
///
/// \file
/// Feeds arbitrary bytes through what `rnnc opt -x ir` does: parseModuleText,
/// then verifyModule. A module that verifies must print and read back to the
/// same text (the round trip is stable); when every value in it is tiny,
/// each function runs in the interpreter on small arguments without crashing
/// (its errors are fine); and the default pass pipeline, once as it is and
/// once after autodiff (`rnnc opt --passes=autodiff,...`), either refuses it
/// with a message or leaves IR that verifies, reads back and computes the
/// same values in the interpreter (within 1e-6 relative). Any crash,
/// sanitizer report, unstable round trip, parse failure of printed IR or
/// invalid IR after a pass is a bug; diagnostics are expected and ignored.
/// Regression inputs live in test/lit/ir/ and
/// test/unit/IRParserRobustnessTest.cpp.
///
//===----------------------------------------------------------------------===//
#include "ir/Interpreter.h"
#include "ir/Parser.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "passes/Autodiff.h"
#include "passes/Pipeline.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <vector>

namespace {

using namespace rnnc;
using namespace rnnc::ir;

/// Elements the interpreter may touch in one run; above it we skip running.
constexpr int64_t kMaxInterpretedElements = 1 << 12;

std::unique_ptr<Module> parse(const std::string &name, std::string text,
                              std::string *errors) {
  auto buffer = std::make_shared<SourceBuffer>(name, std::move(text));
  std::ostringstream os;
  DiagnosticEngine diag(buffer, os);
  auto module = parseModuleText(buffer, diag);
  if (module && !diag.hasErrors() && !verifyModule(*module, diag))
    module = nullptr;
  if (errors)
    *errors = os.str();
  return diag.hasErrors() ? nullptr : std::move(module);
}

std::string print(const Module &m) {
  std::ostringstream os;
  printModule(m, os);
  return os.str();
}

/// `a * b`, saturating (sizes come straight from the input).
int64_t mulCapped(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_mul_overflow(a, b, &r) ? INT64_MAX : r;
}

int64_t elementsCapped(const TensorType &t) {
  int64_t n = 1;
  for (int64_t d : t.shape())
    n = mulCapped(n, d);
  return n;
}

/// True if every value of `f` (scan bodies counted once per step) is small.
bool isTiny(const Function &f) {
  int64_t total = 0;
  std::vector<std::pair<const Block *, int64_t>> work{{&f.body(), 1}};
  while (!work.empty()) {
    auto [block, times] = work.back();
    work.pop_back();
    for (const auto &arg : block->arguments())
      total += std::min(kMaxInterpretedElements + 1,
                        mulCapped(elementsCapped(arg->type()), times));
    if (total > kMaxInterpretedElements)
      return false;
    for (const auto &op : block->operations()) {
      for (unsigned i = 0; i < op->numResults(); ++i)
        total += std::min(kMaxInterpretedElements + 1,
                          mulCapped(elementsCapped(op->result(i)->type()), times));
      if (total > kMaxInterpretedElements)
        return false;
      for (const auto &region : op->regions()) {
        int64_t steps = 1;
        if (op->kind() == OpKind::Scan)
          steps = op->operand(op->scanNumCarried())->type().dim(0);
        work.push_back({region.get(), mulCapped(times, steps)});
      }
    }
  }
  return total <= kMaxInterpretedElements;
}

/// Deterministic, varied arguments: f32 in (-0.5, 0.5), i32 alternating 0, 1.
std::vector<Tensor> smallArguments(const Function &f) {
  std::vector<Tensor> args;
  for (const auto &arg : f.body().arguments()) {
    Tensor t = Tensor::filled(arg->type().shape());
    bool isIndex = arg->type().elementType() == ElementType::I32;
    for (size_t i = 0; i < t.data.size(); ++i)
      t.data[i] = isIndex ? double(i % 2) : 0.5 * std::sin(0.7 * i + args.size());
    args.push_back(std::move(t));
  }
  return args;
}

/// The results of `f` on smallArguments, if it is tiny and runs.
std::optional<std::vector<Tensor>> interpretSmall(const Function &f) {
  if (!isTiny(f))
    return std::nullopt;
  auto results = interpret(f, smallArguments(f));
  if (!results)
    return std::nullopt; // not comparable: the check below needs a value
  return std::move(*results);
}

bool close(double a, double b) {
  if (std::isnan(a) || std::isnan(b))
    return std::isnan(a) && std::isnan(b);
  if (std::isinf(a) || std::isinf(b))
    return a == b;
  return std::fabs(a - b) <= 1e-9 + 1e-6 * std::max(std::fabs(a), std::fabs(b));
}

using Results = std::map<std::string, std::vector<Tensor>>;

/// Which results of the optimised functions differ from `before`, or "".
std::string compareResults(const Module &optimised, const Results &before) {
  for (const auto &[name, want] : before) {
    const Function *f = optimised.function(name);
    if (!f)
      return "@" + name + " is gone";
    auto got = interpret(*f, smallArguments(*f));
    if (!got)
      return "@" + name + " no longer runs: " + got.error().message();
    if (got->size() != want.size())
      return "@" + name + " returns a different number of results";
    for (size_t r = 0; r < want.size(); ++r) {
      if ((*got)[r].shape != want[r].shape)
        return "@" + name + " result #" + std::to_string(r) + " changed shape";
      for (size_t i = 0; i < want[r].data.size(); ++i)
        if (!close((*got)[r].data[i], want[r].data[i]))
          return "@" + name + " result #" + std::to_string(r) + " element " +
                 std::to_string(i) + ": " + std::to_string(want[r].data[i]) +
                 " before the passes, " + std::to_string((*got)[r].data[i]) +
                 " after";
    }
  }
  return "";
}

[[noreturn]] void bug(const char *what, const std::string &detail) {
  std::fprintf(stderr, "IR fuzzer: %s\n%s\n", what, detail.c_str());
  std::abort();
}

/// Runs the default pipeline on a fresh copy of `printed` (after autodiff
/// with `differentiate`): a refusal is fine, IR that does not verify or
/// read back, or functions that compute other values than `before`, are bugs.
void runPipeline(const std::string &printed, bool differentiate,
                 const Results &before) {
  auto module = parse("printed.rnnir", printed, nullptr);
  std::ostringstream os;
  DiagnosticEngine diag(nullptr, os);
  std::string error;
  if (differentiate) {
    if (!passes::buildTrainStep(*module))
      return;
    if (!verifyModule(*module, diag))
      bug("autodiff made invalid IR", os.str() + print(*module));
  }
  if (!passes::runPasses(*module, passes::defaultTrainPipeline(), diag, nullptr)) {
    if (os.str().find("the IR is invalid after pass") != std::string::npos)
      bug("a pass made invalid IR", os.str() + printed);
    return;
  }
  std::string optimised = print(*module);
  if (!parse("optimised.rnnir", optimised, &error))
    bug("optimised IR does not read back", optimised + error);
  // The passes keep each function's meaning (the interpreter computes in
  // double, so only reassociation-sized differences are allowed).
  std::string differs = compareResults(*module, before);
  if (std::getenv("RNNC_FUZZ_VERBOSE"))
    std::fprintf(stderr, "compared %zu function(s) after the passes%s\n",
                 before.size(), differentiate ? " and autodiff" : "");
  if (!differs.empty())
    bug("the passes changed what a function computes",
        differs + "\n" + printed + "---\n" + optimised);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  auto module = parse("fuzz.rnnir", text, nullptr);
  if (!module)
    return 0;
  std::string printed = print(*module);
  std::string errors;
  auto again = parse("printed.rnnir", printed, &errors);
  if (!again) {
    std::fprintf(stderr, "printed IR does not read back:\n%s\n%s\n",
                 printed.c_str(), errors.c_str());
    std::abort();
  }
  std::string reprinted = print(*again);
  if (reprinted != printed) {
    std::fprintf(stderr, "round trip is not stable:\n%s\n---\n%s\n",
                 printed.c_str(), reprinted.c_str());
    std::abort();
  }
  Results before;
  for (const auto &f : module->functions())
    if (auto results = interpretSmall(*f))
      before[f->name()] = std::move(*results);
  runPipeline(printed, false, before);
  runPipeline(printed, true, before);
  return 0;
}
