//===- AutodiffTest.cpp - Shape of @train_step and the pass's errors ------===//
///
/// \file
/// What the shared contract promises about @train_step (argument roles,
/// result names and order), that its loss and final states equal @forward's
/// plus an independently computed cross-entropy, and that bad inputs are
/// reported, not crashed on. Gradient values: GradCheck*Test.cpp.
///
//===----------------------------------------------------------------------===//
#include "GradCheckSupport.h"

#include "passes/Pass.h"

#include <sstream>

using namespace rnnc;
using namespace rnnc::ir;
using namespace rnnc::testing;

namespace {
/// buildTrainStep's message, or "" when it succeeds.
std::string trainStepError(Module &m) {
  auto built = passes::buildTrainStep(m);
  return built ? std::string() : built.error().message();
}
} // namespace

TEST(Autodiff, TrainStepSignatureFollowsTheContract) {
  Module m;
  rnnc::fixtures::buildCharRnnForward(m, {7, 5, 3, 4});
  std::string err;
  ASSERT_EQ(trainStepError(m), "");
  const Function *ts = m.function("train_step");
  ASSERT_NE(ts, nullptr);
  std::vector<std::string> names;
  std::vector<ArgRole> roles;
  for (unsigned i = 0; i < ts->body().numArguments(); ++i) {
    names.push_back(ts->body().argument(i)->name());
    roles.push_back(ts->argRole(i));
  }
  EXPECT_EQ(names, (std::vector<std::string>{"W_xh", "W_hh", "b_h", "W_hq", "b_q",
                                             "h", "x", "y"}));
  EXPECT_EQ(roles.back(), ArgRole::Label);
  EXPECT_EQ(ts->body().argument(7)->type(), ts->body().argument(6)->type());
  EXPECT_EQ(ts->resultNames,
            (std::vector<std::string>{"loss", "h", "grad.W_xh", "grad.W_hh",
                                      "grad.b_h", "grad.W_hq", "grad.b_q"}));
  const Operation *ret = ts->body().terminator();
  ASSERT_EQ(ret->numOperands(), 7u);
  EXPECT_EQ(ret->operand(0)->type().rank(), 0u);
  for (unsigned i = 2; i < 7; ++i)
    EXPECT_EQ(ret->operand(i)->type(), ts->body().argument(i - 2)->type());
  // One forward scan and one reverse scan.
  int forwardScans = 0, reverseScans = 0;
  for (const auto &op : ts->body().operations())
    if (op->kind() == OpKind::Scan)
      ++(op->scanReverse() ? reverseScans : forwardScans);
  EXPECT_EQ(forwardScans, 1);
  EXPECT_EQ(reverseScans, 1);
}

TEST(Autodiff, LossAndStatesAgreeWithForward) {
  const int64_t V = 5, H = 3, B = 2, T = 3;
  Module m;
  rnnc::fixtures::buildCharRnnForward(m, {V, H, B, T});
  ASSERT_EQ(trainStepError(m), "");
  const Function &fwd = *m.function("forward"), &ts = *m.function("train_step");
  std::vector<Tensor> args = rnnc::fixtures::randomArguments(ts, V, 5, -0.5, 0.5);
  std::vector<Tensor> fwdArgs(args.begin(), args.end() - 1);
  auto f = interpret(fwd, fwdArgs);
  ASSERT_TRUE(f) << f.error().message();
  auto t = interpret(ts, args);
  ASSERT_TRUE(t) << t.error().message();
  // Mean softmax cross-entropy over T*B positions, by hand.
  const Tensor &logits = (*f)[0], &labels = args.back();
  double total = 0;
  for (int64_t p = 0; p < T * B; ++p) {
    double sum = 0;
    for (int64_t v = 0; v < V; ++v)
      sum += std::exp(logits.data[p * V + v]);
    total += std::log(sum) - logits.data[p * V + static_cast<int64_t>(labels.data[p])];
  }
  EXPECT_NEAR((*t)[0].data[0], total / (T * B), 1e-12);
  EXPECT_EQ((*t)[1].data, (*f)[1].data);
}

TEST(Autodiff, MissingForwardIsAnError) {
  Module m;
  std::string err;
  err = trainStepError(m);
  EXPECT_NE(err.find("no @forward"), std::string::npos) << err;
}

TEST(Autodiff, SecondRunIsAnError) {
  Module m;
  rnnc::fixtures::buildCharRnnForward(m, {3, 2, 1, 2});
  std::string err;
  ASSERT_EQ(trainStepError(m), "");
  err = trainStepError(m);
  EXPECT_NE(err.find("already has @train_step"), std::string::npos) << err;
}

TEST(Autodiff, RegisteredAsAPassReportingThroughDiagnostics) {
  auto pass = passes::createPass("autodiff");
  ASSERT_NE(pass, nullptr);
  EXPECT_STREQ(pass->name(), "autodiff");
  Module m;
  std::ostringstream os;
  DiagnosticEngine diag(nullptr, os);
  EXPECT_FALSE(pass->run(m, diag));
  EXPECT_EQ(os.str(), "error: autodiff: the module has no @forward\n");
}

TEST(Autodiff, UnreachableParamGetsZeroGradient) {
  Module m;
  rnnc::fixtures::buildCharRnnForward(m, {3, 2, 1, 2});
  Function &f = *m.function("forward");
  // An extra param the forward never reads.
  f.addArgument(ArgRole::Param, "unused", f32Type({2}));
  ASSERT_EQ(trainStepError(m), "");
  const Function &ts = *m.function("train_step");
  EXPECT_EQ(ts.resultNames.back(), "grad.unused");
  auto r = interpret(ts, rnnc::fixtures::randomArguments(ts, 3, 2, -0.5, 0.5));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->back().data, (std::vector<double>{0, 0}));
}

TEST(Autodiff, UnsupportedOpIsRefusedBeforeBuildingAnything) {
  Module m;
  Function *f = m.addFunction("forward");
  Value *p = f->addArgument(ArgRole::Param, "p", f32Type({2, 3, 4, 5}));
  f->addArgument(ArgRole::Input, "x", i32Type({2, 4}));
  // Summing a middle axis cannot be undone by suffix broadcasting.
  Value *logits = emit(f->body(), OpKind::ReduceSum, {p}, {{"axes", std::vector<int64_t>{1}}});
  f->body().create(OpKind::Return, {logits}, {});
  std::string err;
  err = trainStepError(m);
  EXPECT_NE(err.find("non-leading axes"), std::string::npos) << err;
  EXPECT_EQ(m.function("train_step"), nullptr);
}
