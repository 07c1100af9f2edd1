//===- DifferentialCheck.cpp - One model through the real pipeline, cross-checked -===//
///
/// \file
/// The comparisons of DifferentialCheck.h. Inputs are drawn as float32 and
/// the interpreter gets the same values widened to double, so the only
/// difference between the two sides is the arithmetic.
///
/// Tolerance. The bound is per tensor: ||got - want||_2 <= 1e-4 ||want||_2
/// + 1e-6 sqrt(n). Measured on this machine (Release) over 962 generated
/// models in four runs of 5-20 minutes (seeds 5000-5212 and 9000-9116 on
/// this branch; 20000-20115 and 50000-50515 with defect 1's fix applied):
/// every tensor that passed had error / bound <= 0.062 (float32 against
/// double: relL2 <= 6.2e-6 through <= 5 time steps), and every tensor that
/// failed had error / bound >= 100; none fell in [0.1, 100). So float noise
/// passes with a 16x margin, while a gradient wrong by 1e-3 relative (the
/// mildest form of defect 1 in issue 10) is 10x over the bound. The
/// 1e-6 sqrt(n) floor only matters for tensors that are ~0 (a gradient
/// through a dead relu). Finite differences: step 1e-5 in double
/// (truncation and rounding both ~1e-11), accepted when |numeric -
/// analytic| <= 1e-6 max(1, |numeric|); an entry that fails is tried again
/// with steps 1e-6 and 1e-4 so that a relu kink inside the step is not
/// reported (0 reports in 7,680 entries so far).
///
//===----------------------------------------------------------------------===//
#include "test/differential/DifferentialCheck.h"
#include "test/differential/CheckSupport.h"

#include "frontend/Frontend.h"
#include "ir/Interpreter.h"
#include "passes/Autodiff.h"
#include "passes/Pipeline.h"
#include "runtime/codegen/JIT.h"
#include "runtime/kernels/KernelsParallel.h"
#include "test/differential/AOTLoader.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <set>
#include <sstream>

namespace rnnc::difftest {

std::string Mismatch::describe() const {
  std::ostringstream s;
  s << comparison << ": " << tensor << ": relL2 " << relL2 << ", max abs " << maxAbs << ", max rel "
    << maxRel;
  if (firstIndex >= 0)
    s << "; first differing index " << firstIndex << ": got " << got << ", want " << want;
  return s.str();
}

std::string Mismatch::describeSamples() const {
  std::ostringstream s;
  s.precision(9);
  for (const Sample &x : samples)
    s << "  [" << x.index << "] got " << x.got << " want " << x.want << '\n';
  return s.str();
}

std::vector<std::string> CheckResult::failingKinds() const {
  std::set<std::string> kinds;
  for (const Mismatch &m : mismatches)
    kinds.insert(m.comparison);
  if (!error.empty() && !rejected)
    kinds.insert("pipeline");
  return {kinds.begin(), kinds.end()};
}

namespace {

bool yieldsOneValueTwice(const ir::Block &block) {
  for (const auto &op : block.operations()) {
    if (op->kind() == ir::OpKind::Yield) {
      std::set<const ir::Value *> seen;
      for (const ir::Value *v : op->operands())
        if (!seen.insert(v).second)
          return true;
    }
    for (const auto &region : op->regions())
      if (yieldsOneValueTwice(*region))
        return true;
  }
  return false;
}

bool allFinite(const std::vector<ir::Tensor> &ts) {
  for (const auto &t : ts)
    for (double v : t.data)
      if (!std::isfinite(v) || std::fabs(v) > 1e6)
        return false;
  return true;
}

std::unique_ptr<ir::Module> lower(const frontend::ast::Program &program, int64_t V, int64_t B,
                                  int64_t T, bool train, bool optimise, DiagnosticEngine &diags,
                                  std::string *error,
                                  const std::vector<std::string> &pipeline = {}) {
  frontend::ModelBindings bindings{V, B, T};
  bindings.training = train; // dropout is active in the train step only
  auto module = frontend::lowerToIR(program, bindings, diags);
  if (!module) {
    *error = "lowering failed";
    return nullptr;
  }
  if (train)
    if (auto built = passes::buildTrainStep(*module); !built) {
      *error = built.error().message();
      return nullptr;
    }
  if (optimise && !passes::runPasses(*module, pipeline, diags, nullptr)) {
    *error = "pass pipeline failed";
    return nullptr;
  }
  return module;
}

void finiteDifferences(CheckResult &r, const ir::Function &ts, std::vector<ir::Tensor> args,
                       const std::vector<ir::Tensor> &base, std::mt19937_64 &rng, int samples) {
  std::vector<std::pair<unsigned, unsigned>> params; // (arg index, result index)
  unsigned g = 0;
  while (g < ts.resultNames.size() && ts.resultNames[g].rfind("grad.", 0) != 0)
    ++g;
  for (unsigned a = 0; a < ts.body().numArguments(); ++a)
    if (ts.argRole(a) == ir::ArgRole::Param)
      params.push_back({a, g++});
  if (params.empty())
    return;
  auto loss = [&] { return (*ir::interpret(ts, args))[0].data[0]; };
  for (int s = 0; s < samples; ++s) {
    auto [a, gi] = params[rng() % params.size()];
    size_t e = rng() % args[a].data.size();
    double analytic = base[gi].data[e];
    double saved = args[a].data[e];
    bool ok = false;
    double numeric = 0;
    for (double eps : {1e-5, 1e-6, 1e-4}) {
      args[a].data[e] = saved + eps;
      double up = loss();
      args[a].data[e] = saved - eps;
      double down = loss();
      args[a].data[e] = saved;
      double n = (up - down) / (2 * eps);
      if (eps == 1e-5)
        numeric = n;
      if (std::fabs(n - analytic) <= 1e-6 * std::max(1.0, std::fabs(n))) {
        ok = true;
        break;
      }
    }
    ++r.comparisons["finite-differences"];
    if (!ok) {
      Mismatch m;
      m.comparison = "finite-differences";
      m.tensor = ts.resultNames[gi];
      m.firstIndex = static_cast<int64_t>(e);
      m.got = analytic;
      m.want = numeric;
      m.maxAbs = std::fabs(analytic - numeric);
      m.maxRel = m.maxAbs / std::max(1e-12, std::fabs(numeric));
      m.samples.push_back({m.firstIndex, analytic, numeric});
      r.mismatches.push_back(m);
    }
  }
}

/// The inputs of a B = 1 program from those of a batch: row 0 of every
/// state of `fn`, and x = x[t][0].
std::map<std::string, ir::Tensor> rowZeroInputs(const ir::Function &fn,
                                                std::map<std::string, ir::Tensor> inputs, int64_t B,
                                                int64_t t) {
  for (unsigned a = 0; a < fn.body().numArguments(); ++a) {
    ir::Tensor &st = inputs[fn.body().argument(a)->name()];
    if (fn.argRole(a) == ir::ArgRole::State) {
      st.data.resize(st.data.size() / static_cast<size_t>(B));
      st.shape[0] = 1;
    }
  }
  const ir::Tensor x = inputs.at("x");
  inputs["x"] = ir::Tensor({1, 1}, {x.data[static_cast<size_t>(t * B)]});
  return inputs;
}

/// `@forward` as rnnc runs it (generation and evaluation: the generate
/// pipeline) at (B, T) against ir::interpret of the unoptimised `@forward`;
/// then the same at B = T = 1, run T times from row 0 of the states, against
/// row 0 of the (B, T) run.
void compareForward(CheckResult &r, const frontend::ast::Program &program, int64_t V, int64_t B,
                    int64_t T, const std::map<std::string, ir::Tensor> &inputs,
                    DiagnosticEngine &diags) {
  std::string error;
  const std::vector<std::string> pipeline = passes::defaultGeneratePipeline();
  auto ref = lower(program, V, B, T, false, false, diags, &error);
  auto big = lower(program, V, B, T, false, true, diags, &error, pipeline);
  auto one = lower(program, V, 1, 1, false, true, diags, &error, pipeline);
  if (!ref || !big || !one) {
    r.error = "forward lowering: " + error;
    return;
  }
  const ir::Function &fr = *ref->function("forward");
  const ir::Function &fb = *big->function("forward"), &f1 = *one->function("forward");
  auto compiledB = runtime::CompiledFunction::compile(fb);
  auto compiled1 = runtime::CompiledFunction::compile(f1);
  if (!compiledB || !compiled1) {
    r.error = "forward compile: " + (compiledB ? compiled1.error().message()
                                               : compiledB.error().message());
    return;
  }
  auto &jb = *compiledB, &j1 = *compiled1;
  Call callB;
  if (!bindCall(fb, inputs, callB, &error)) {
    r.error = error;
    return;
  }
  runPoisoned(*jb, callB);
  std::vector<ir::Tensor> args;
  for (const auto &arg : fr.body().arguments())
    args.push_back(inputs.at(arg->name()));
  auto want = ir::interpret(fr, args);
  if (!want) {
    r.error = "interpreter (forward): " + want.error().message();
    return;
  }
  if (allFinite(*want))
    for (size_t i = 0; i < want->size(); ++i)
      compareClose(r, "forward-vs-interpreter", fr.resultNames[i], callB.resultAsDouble(i),
                   (*want)[i].data);
  // Row 0 of every state, and the tokens of column 0, for the B = 1 program.
  std::map<std::string, ir::Tensor> row0 = rowZeroInputs(f1, inputs, B, 0);
  const ir::Tensor &x = inputs.at("x");
  for (int64_t t = 0; t < T; ++t) {
    row0["x"] = ir::Tensor({1, 1}, {x.data[static_cast<size_t>(t * B)]});
    Call c1;
    if (!bindCall(f1, row0, c1, &error)) {
      r.error = error;
      return;
    }
    runPoisoned(*j1, c1);
    std::vector<double> rowWant(static_cast<size_t>(V));
    for (int64_t v = 0; v < V; ++v)
      rowWant[static_cast<size_t>(v)] = callB.f(0, static_cast<size_t>(t * B * V + v));
    compareClose(r, "generation", "logits[t=" + std::to_string(t) + "]", c1.resultAsDouble(0),
                 rowWant);
    for (size_t s = 1; s < f1.resultNames.size(); ++s) // carry the states
      row0[f1.resultNames[s]].data = c1.resultAsDouble(s);
  }
}

} // namespace

std::string frontendErrors(const std::string &text, int64_t V, int64_t B, int64_t T) {
  std::ostringstream messages;
  auto buffer = std::make_shared<SourceBuffer>("model.rnn", text);
  DiagnosticEngine diags(buffer, messages);
  auto program = frontend::parseModel(buffer, diags);
  if (program && frontend::lowerToIR(*program, {V, B, T}, diags))
    return "";
  std::string out = messages.str();
  return out.empty() ? "rejected without a message" : out;
}

CheckResult checkThreadsOnly(const std::string &text, int64_t V, int64_t B, int64_t T,
                             uint64_t seed, bool bitExact) {
  CheckResult r;
  std::ostringstream messages;
  auto buffer = std::make_shared<SourceBuffer>("model.rnn", text);
  DiagnosticEngine diags(buffer, messages);
  auto program = frontend::parseModel(buffer, diags);
  std::string error;
  auto opt =
      program ? lower(*program, V, B, T, true, true, diags, &error, passes::defaultTrainPipeline())
              : nullptr;
  if (!opt) {
    r.rejected = !program;
    r.error = messages.str() + error;
    return r;
  }
  const ir::Function &ts = *opt->function("train_step");
  r.duplicateYield = yieldsOneValueTwice(ts.body());
  auto compiled = runtime::CompiledFunction::compile(ts);
  if (!compiled) {
    r.error = "jit: " + compiled.error().message();
    return r;
  }
  auto &jit = *compiled;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> real(-0.5f, 0.5f);
  std::map<std::string, ir::Tensor> named;
  // Weights scaled by 1/sqrt(fan-in) so activations stay O(1) at these
  // sizes: an exploding model (values ~1e5) differs between summation
  // orders by far more than float rounding of a well-scaled one.
  for (unsigned a = 0; a < ts.body().numArguments(); ++a) {
    const ir::Value *arg = ts.body().argument(a);
    ir::Tensor t = ir::Tensor::filled(arg->type().shape());
    bool isInt = arg->type().elementType() == ir::ElementType::I32;
    double scale = ts.argRole(a) == ir::ArgRole::Param && t.rank() == 2
                       ? 1.0 / std::sqrt(static_cast<double>(t.shape[0]))
                       : 1.0;
    for (double &v : t.data)
      v = isInt ? static_cast<double>(rng() % static_cast<uint64_t>(V))
                : static_cast<float>(scale * real(rng));
    named[arg->name()] = std::move(t);
  }
  Call one;
  if (!bindCall(ts, named, one, &error)) {
    r.error = error;
    return r;
  }
  runtime::setKernelThreads(1);
  runPoisoned(*jit, one);
  Call two = one.freshCopy();
  runtime::setKernelThreads(2);
  runPoisoned(*jit, two);
  runtime::setKernelThreads(1);
  if (bitExact)
    compareBits(r, "threads-large", one, two, ts.resultNames);
  else
    for (size_t i = 0; i < one.results.size(); ++i)
      compareClose(r, "threads-large", ts.resultNames[i], two.resultAsDouble(i),
                   one.resultAsDouble(i));
  return r;
}

std::string blamePass(const std::function<bool(const CheckOptions &)> &stillFails) {
  std::vector<std::string> all = passes::defaultTrainPipeline();
  for (size_t k = 0; k <= all.size(); ++k) {
    CheckOptions o;
    o.passes = std::vector<std::string>(all.begin(), all.begin() + static_cast<long>(k));
    if (stillFails(o))
      return k == 0 ? "codegen" : all[k - 1];
  }
  return "";
}

CheckResult checkModelText(const std::string &text, int64_t V, int64_t B, int64_t T,
                           const CheckOptions &options) {
  CheckResult r;
  std::ostringstream messages;
  auto buffer = std::make_shared<SourceBuffer>("model.rnn", text);
  DiagnosticEngine diags(buffer, messages);
  auto program = frontend::parseModel(buffer, diags);
  std::string error;
  auto ref = program ? lower(*program, V, B, T, true, false, diags, &error) : nullptr;
  if (!ref) {
    r.rejected = true;
    r.error = messages.str() + error;
    return r;
  }
  auto opt = lower(*program, V, B, T, true, true, diags, &error,
                   options.passes ? *options.passes : passes::defaultTrainPipeline());
  if (!opt) {
    r.error = "optimised pipeline: " + messages.str() + error;
    return r;
  }
  if (options.pipelineOnly)
    return r;
  const ir::Function &ts = *ref->function("train_step");
  const ir::Function &tsOpt = *opt->function("train_step");
  r.duplicateYield = yieldsOneValueTwice(tsOpt.body());
  auto compiled = runtime::CompiledFunction::compile(tsOpt);
  if (!compiled) {
    r.error = "jit: " + compiled.error().message();
    return r;
  }
  auto &jit = *compiled;

  // Inputs: float32 values, given to the interpreter widened to double.
  std::mt19937_64 rng(options.seed);
  std::uniform_real_distribution<float> real(-0.5f, 0.5f);
  std::map<std::string, ir::Tensor> named;
  std::vector<ir::Tensor> args;
  for (const auto &arg : ts.body().arguments()) {
    ir::Tensor t = ir::Tensor::filled(arg->type().shape());
    bool isInt = arg->type().elementType() == ir::ElementType::I32;
    for (double &v : t.data)
      v = isInt ? static_cast<double>(rng() % static_cast<uint64_t>(V)) : real(rng);
    named[arg->name()] = t;
    args.push_back(std::move(t));
  }
  auto want = ir::interpret(ts, args);
  if (!want) {
    r.error = "interpreter: " + want.error().message();
    return r;
  }
  if (!allFinite(*want)) {
    r.skipped = true;
    return r;
  }
  Call one;
  if (!bindCall(tsOpt, named, one, &error)) {
    r.error = error;
    return r;
  }
  runtime::setKernelThreads(1);
  runPoisoned(*jit, one);
  for (size_t i = 0; i < want->size(); ++i)
    compareClose(r, "jit-vs-interpreter", ts.resultNames[i], one.resultAsDouble(i),
                 (*want)[i].data);

  finiteDifferences(r, ts, args, *want, rng, options.fdSamples);

  if (options.threads) {
    Call two = one.freshCopy();
    runtime::setKernelThreads(2);
    runPoisoned(*jit, two);
    runtime::setKernelThreads(1);
    compareBits(r, "threads", one, two, tsOpt.resultNames);
  }
  if (options.aot) { // the object's train step and generation step
    auto step = lower(*program, V, 1, 1, false, true, diags, &error,
                      passes::defaultGeneratePipeline());
    const ir::Function *f1 = step ? step->function("forward") : nullptr;
    std::unique_ptr<runtime::CompiledFunction> stepJit;
    if (f1) {
      auto compiledStep = runtime::CompiledFunction::compile(*f1);
      if (compiledStep)
        stepJit = std::move(*compiledStep);
      else
        error = compiledStep.error().message();
    }
    Call stepCall;
    if (stepJit && bindCall(*f1, rowZeroInputs(*f1, named, B, 0), stepCall, &error)) {
      runPoisoned(*stepJit, stepCall);
      Call aot = one.freshCopy(), aotStep = stepCall.freshCopy();
      if (runAOTModel(*f1, tsOpt, aot.argPtrs.data(), aot.resultPtrs.data(), aotStep.argPtrs.data(),
                      aotStep.resultPtrs.data(), &error)) {
        compareBits(r, "aot", one, aot, tsOpt.resultNames);
        std::vector<std::string> names;
        for (const std::string &n : f1->resultNames)
          names.push_back("forward:" + n);
        compareBits(r, "aot", stepCall, aotStep, names);
      } else {
        r.error = "aot: " + error;
      }
    } else {
      r.error = "aot: " + error;
    }
  }
  if (options.generation)
    compareForward(r, *program, V, B, T, named, diags);
  return r;
}

} // namespace rnnc::difftest
