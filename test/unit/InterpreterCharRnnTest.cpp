//===- InterpreterCharRnnTest.cpp - d2l char RNN forward vs plain loops ---===//
///
/// \file
/// Issue 2's acceptance test: the interpreter's forward pass of the d2l 6.4
/// char RNN (a few steps, small V/H/B, fixed weights) equals the same
/// recurrence written out as plain loops in this file. Run on the IR built by
/// hand and, when the front end is present, on examples/char_rnn.rnn lowered
/// with a small vocabulary.
///
//===----------------------------------------------------------------------===//
#include "GradCheckSupport.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace rnnc::ir;
using namespace rnnc::testing;

namespace {

/// h = tanh(onehot(x)·W_xh + h·W_hh + b_h); y = h·W_hq + b_q, with loops.
/// `args` in the contract's order; returns {logits [T,B,V], final h [B,H]}.
std::vector<std::vector<double>> referenceCharRnn(const std::vector<Tensor> &args,
                                                  int64_t V, int64_t H, int64_t B,
                                                  int64_t T) {
  const auto &Wxh = args[0].data, &Whh = args[1].data, &bh = args[2].data;
  const auto &Whq = args[3].data, &bq = args[4].data, &x = args[6].data;
  std::vector<double> h = args[5].data, logits(T * B * V);
  for (int64_t t = 0; t < T; ++t) {
    std::vector<double> next(B * H);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t j = 0; j < H; ++j) {
        int64_t token = static_cast<int64_t>(x[t * B + b]);
        double s = Wxh[token * H + j] + bh[j];
        for (int64_t k = 0; k < H; ++k)
          s += h[b * H + k] * Whh[k * H + j];
        next[b * H + j] = std::tanh(s);
      }
    h = next;
    for (int64_t b = 0; b < B; ++b)
      for (int64_t v = 0; v < V; ++v) {
        double s = bq[v];
        for (int64_t k = 0; k < H; ++k)
          s += h[b * H + k] * Whq[k * V + v];
        logits[(t * B + b) * V + v] = s;
      }
  }
  return {logits, h};
}

void expectAllNear(const std::vector<double> &got, const std::vector<double> &want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], 1e-12) << "element " << i;
}

} // namespace

TEST(InterpreterCharRnn, HandBuiltForwardMatchesLoops) {
  const int64_t V = 6, H = 4, B = 3, T = 5;
  Module m;
  rnnc::fixtures::buildCharRnnForward(m, {V, H, B, T});
  const Function &f = *m.function("forward");
  std::vector<Tensor> args = rnnc::fixtures::randomArguments(f, V, /*seed=*/7, -1.0, 1.0);
  auto out = interpret(f, args);
  ASSERT_TRUE(out) << out.error().message();
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[0].shape, (std::vector<int64_t>{T, B, V}));
  auto want = referenceCharRnn(args, V, H, B, T);
  expectAllNear((*out)[0].data, want[0]);
  expectAllNear((*out)[1].data, want[1]);
}

TEST(InterpreterCharRnn, OutOfRangeTokenIsAnError) {
  Module m;
  rnnc::fixtures::buildCharRnnForward(m, {3, 2, 1, 2});
  const Function &f = *m.function("forward");
  std::vector<Tensor> args = rnnc::fixtures::randomArguments(f, 3, 1, -0.5, 0.5);
  args[6].data[1] = 3; // vocab is 3
  auto out = interpret(f, args);
  ASSERT_FALSE(out);
  const std::string &err = out.error().message();
  EXPECT_NE(err.find("out of range"), std::string::npos) << err;
}

TEST(InterpreterCharRnn, LoweredExampleMatchesLoops) {
  const int64_t V = 6, H = 256, B = 2, T = 3;
  auto m = rnnc::fixtures::lowerExample("char_rnn.rnn", {V, B, T});
  ASSERT_TRUE(m);
  const Function &f = *m->function("forward");
  ASSERT_EQ(f.body().numArguments(), 7u);
  EXPECT_EQ(f.body().argument(1)->type().shape(), (std::vector<int64_t>{H, H}));
  std::vector<Tensor> args = rnnc::fixtures::randomArguments(f, V, /*seed=*/11, -0.1, 0.1);
  auto out = interpret(f, args);
  ASSERT_TRUE(out) << out.error().message();
  auto want = referenceCharRnn(args, V, H, B, T);
  expectAllNear((*out)[0].data, want[0]);
  expectAllNear((*out)[1].data, want[1]);
}
