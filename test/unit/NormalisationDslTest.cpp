//===- NormalisationDslTest.cpp - LayerNorm, RMSNorm, softmax, tied E -----===//
///
/// \file
/// Normalisations written in the model language with sum/mean/max/sqrt
/// (and the built-in layer_norm) give the values of a reference computed
/// here in double from the same parameters; their gradients match finite
/// differences; the JIT matches the interpreter after the default pipeline.
/// Tied embeddings (`embed(E, x)` in, `h @ transpose(E)` out): E's gradient
/// is the sum of the gradients of the two uses, i.e. of an untied copy of
/// the model whose two tables hold the same values.
///
//===----------------------------------------------------------------------===//
#include "CodegenTestUtil.h"
#include "GradCheckSupport.h"
#include "PassTestUtil.h"

#include <cmath>

using namespace rnnc;
using namespace rnnc::ir;
using namespace rnnc::testing;

namespace {

const int64_t kVocab = 5, kBatch = 3, kSteps = 4;

std::unique_ptr<Module> lowerText(const std::string &text) {
  auto model = fixtures::checkSource(text);
  EXPECT_TRUE(model);
  if (!model)
    return nullptr;
  return fixtures::lowerModel(*model, {kVocab, kBatch, kSteps}, {});
}

/// The model text: one [V, V] table W read through the one-hot input, the
/// logits `expr` of `a = x @ W` (g, b: [V] gain and bias).
std::string rowModel(const std::string &expr) {
  return "model M(V: vocab) {\n"
         "  param W: [V, V] = normal(0, 1)\n"
         "  param g: [V] = ones\n"
         "  param b: [V] = zeros\n"
         "  step(x: onehot[V]) -> [V] {\n"
         "    let a = x @ W\n"
         "    return " + expr + "\n"
         "  }\n"
         "}\n";
}

const char *kLayerNormByHand =
    "(a - mean(a)) / sqrt(mean((a - mean(a)) * (a - mean(a))) + 0.00001) * g + b";
const char *kRmsNorm = "a / sqrt(mean(a * a) + 0.00001) * g";
const char *kSoftmax = "exp(a - max(a)) / sum(exp(a - max(a)))";

/// The row the reference normalises: for the one-hot input, row x of W.
using RowFn = std::function<std::vector<double>(const std::vector<double> &row,
                                                 const std::vector<double> &g,
                                                 const std::vector<double> &b)>;

std::vector<double> layerNormRef(const std::vector<double> &r, const std::vector<double> &g,
                                 const std::vector<double> &b) {
  double mean = 0, var = 0;
  for (double v : r)
    mean += v / r.size();
  for (double v : r)
    var += (v - mean) * (v - mean) / r.size();
  std::vector<double> out;
  for (size_t j = 0; j < r.size(); ++j)
    out.push_back((r[j] - mean) / std::sqrt(var + 1e-5) * g[j] + b[j]);
  return out;
}

std::vector<double> rmsNormRef(const std::vector<double> &r, const std::vector<double> &g,
                               const std::vector<double> &) {
  double ms = 0;
  for (double v : r)
    ms += v * v / r.size();
  std::vector<double> out;
  for (size_t j = 0; j < r.size(); ++j)
    out.push_back(r[j] / std::sqrt(ms + 1e-5) * g[j]);
  return out;
}

std::vector<double> softmaxRef(const std::vector<double> &r, const std::vector<double> &,
                               const std::vector<double> &) {
  double total = 0;
  std::vector<double> out;
  for (double v : r) // no max subtracted: the reference takes the plain formula
    total += std::exp(v);
  for (double v : r)
    out.push_back(std::exp(v) / total);
  return out;
}

const Tensor &argNamed(const Function &fn, const std::vector<Tensor> &args,
                       const std::string &name) {
  for (unsigned i = 0; i < fn.body().numArguments(); ++i)
    if (fn.body().argument(i)->name() == name)
      return args[i];
  ADD_FAILURE() << "no argument " << name;
  return args[0];
}

/// Interprets @forward of `expr` on seeded arguments and compares every
/// logit with `ref` of the row the input selects.
void checkValues(const std::string &expr, const RowFn &ref) {
  auto m = lowerText(rowModel(expr));
  ASSERT_TRUE(m);
  const Function &fn = *m->function("forward");
  std::vector<Tensor> args = fixtures::randomArguments(fn, kVocab, 11, -2.0, 2.0);
  auto out = interpret(fn, args);
  ASSERT_TRUE(out) << out.error().message();
  const Tensor &W = argNamed(fn, args, "W"), &x = argNamed(fn, args, "x");
  const Tensor &g = argNamed(fn, args, "g"), &b = argNamed(fn, args, "b");
  const Tensor &logits = (*out)[0];
  for (int64_t p = 0; p < kSteps * kBatch; ++p) {
    auto token = static_cast<int64_t>(x.data[p]);
    std::vector<double> row(W.data.begin() + token * kVocab,
                            W.data.begin() + (token + 1) * kVocab);
    std::vector<double> want = ref(row, g.data, b.data);
    for (int64_t j = 0; j < kVocab; ++j)
      EXPECT_NEAR(logits.data[p * kVocab + j], want[j], 1e-12)
          << expr << " at position " << p << ", column " << j;
  }
}

/// Finite differences on the interpreter, then the JIT against the
/// interpreter on @forward and @train_step after the default pipeline.
void checkGradientsAndJIT(const std::string &text, int64_t tokens = kVocab) {
  auto m = lowerText(text);
  ASSERT_TRUE(m);
  checkGradients(*m, 2, -1.0, 1.0);
  ASSERT_TRUE(pass_test::runPassList(*m, passes::defaultTrainPipeline()));
  for (const char *name : {"forward", "train_step"}) {
    SCOPED_TRACE(name);
    double largest = codegen_test::checkAgainstInterpreter(*m->function(name), tokens, -1.0, 1.0);
    EXPECT_GT(largest, 1e-2);
  }
}

} // namespace

TEST(NormalisationDsl, LayerNormByHandAndBuiltInMatchTheReference) {
  checkValues(kLayerNormByHand, layerNormRef);
  checkValues("layer_norm(a, g, b)", layerNormRef);
}

TEST(NormalisationDsl, RmsNormMatchesTheReference) { checkValues(kRmsNorm, rmsNormRef); }

TEST(NormalisationDsl, SoftmaxMatchesTheReference) { checkValues(kSoftmax, softmaxRef); }

TEST(NormalisationDsl, GradientsAndJIT) {
  for (const char *expr : {kLayerNormByHand, "layer_norm(a, g, b)", kRmsNorm, kSoftmax,
                           "a * g + abs(a) - sum(a) * (a * b)", "log(exp(a) / sum(exp(a)))"}) {
    SCOPED_TRACE(expr);
    checkGradientsAndJIT(rowModel(expr));
  }
}

namespace {

/// A tanh RNN over an embedding; `out` is the output table's name.
std::string tiedModel(bool tied) {
  return std::string("model T(V: vocab, H = 3) {\n"
                     "  param E: [V, H] = normal(0, 1)\n") +
         (tied ? "" : "  param E_out: [V, H] = normal(0, 1)\n") +
         "  param W: [H, H] = normal(0, 1)\n"
         "  state h: [H] = zeros\n"
         "  step(x: token[V]) -> [V] {\n"
         "    h = tanh(embed(E, x) + h @ W)\n"
         "    return h @ transpose(" + (tied ? "E" : "E_out") + ")\n"
         "  }\n"
         "}\n";
}

const Tensor &resultNamed(const Function &fn, const std::vector<Tensor> &out,
                          const std::string &name) {
  for (unsigned i = 0; i < fn.resultNames.size(); ++i)
    if (fn.resultNames[i] == name)
      return out[i];
  ADD_FAILURE() << "no result " << name;
  return out[0];
}

} // namespace

TEST(NormalisationDsl, TiedEmbeddingGradientIsTheSumOfBothUses) {
  auto tied = lowerText(tiedModel(true)), untied = lowerText(tiedModel(false));
  ASSERT_TRUE(tied && untied);
  {
    auto built = passes::buildTrainStep(*tied);
    ASSERT_TRUE(bool(built)) << built.error().message();
  }
  const Function &tts = *tied->function("train_step");
  std::vector<Tensor> tiedArgs = fixtures::randomArguments(tts, kVocab, 4, -1.0, 1.0);
  auto tiedOut = interpret(tts, tiedArgs);
  ASSERT_TRUE(tiedOut) << tiedOut.error().message();

  {
    auto built = passes::buildTrainStep(*untied);
    ASSERT_TRUE(bool(built)) << built.error().message();
  }
  const Function &uts = *untied->function("train_step");
  std::vector<Tensor> untiedArgs;
  for (unsigned i = 0; i < uts.body().numArguments(); ++i) {
    std::string name = uts.body().argument(i)->name();
    untiedArgs.push_back(argNamed(tts, tiedArgs, name == "E_out" ? "E" : name));
  }
  auto untiedOut = interpret(uts, untiedArgs);
  ASSERT_TRUE(untiedOut) << untiedOut.error().message();

  EXPECT_NEAR(resultNamed(tts, *tiedOut, "loss").data[0],
              resultNamed(uts, *untiedOut, "loss").data[0], 1e-12);
  const Tensor &gTied = resultNamed(tts, *tiedOut, "grad.E");
  const Tensor &gIn = resultNamed(uts, *untiedOut, "grad.E");
  const Tensor &gOut = resultNamed(uts, *untiedOut, "grad.E_out");
  double largestOut = 0, largestIn = 0;
  for (size_t i = 0; i < gTied.data.size(); ++i) {
    EXPECT_NEAR(gTied.data[i], gIn.data[i] + gOut.data[i], 1e-12) << i;
    largestOut = std::max(largestOut, std::fabs(gOut.data[i]));
    largestIn = std::max(largestIn, std::fabs(gIn.data[i]));
  }
  EXPECT_GT(largestOut, 1e-3); // both uses contribute
  EXPECT_GT(largestIn, 1e-3);
}

TEST(NormalisationDsl, TiedEmbeddingGradientsAndJIT) { checkGradientsAndJIT(tiedModel(true)); }
