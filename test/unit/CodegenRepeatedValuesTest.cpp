//===- CodegenRepeatedValuesTest.cpp - One value in several scan outputs --===//
///
/// \file
/// Issue 10, defect 1: a subexpression written twice (`h @ W + h @ W`)
/// becomes, after autodiff and cse, one body value yielded as two per-step
/// outputs of the forward scan. Each stacked output must get every row, not
/// only the first output that the value is computed into. Checked two ways:
/// hand-written scans that yield one value twice and yield each kind of
/// value a body can see (a carried value, a sequence slice, an invariant, a
/// constant), and the issue's models through autodiff and the default
/// pipeline, JIT against the interpreter on the unoptimised train step.
///
//===----------------------------------------------------------------------===//
#include "CodegenTestUtil.h"
#include "PassTestUtil.h"
#include "ScanFixtures.h"

using namespace rnnc;
using namespace rnnc::codegen_test;
using namespace rnnc::fixtures;

TEST(CodegenRepeatedValues, ScanYieldsOneValueAsTwoOutputs) {
  checkIR(scan_fixtures::kYieldedTwice);
}

TEST(CodegenRepeatedValues, ScanYieldsEveryKindOfValue) {
  // Per-step outputs: the new carried value twice, the old carried value, the
  // sequence slice, the invariant broadcast to rows, and a constant.
  checkIR(R"(module @T {
  func @f(input %a: f32[2,3], input %s: f32[4,2,3], input %w: f32[2,3])
      -> (a: f32[2,3], n1: f32[4,2,3], n2: f32[4,2,3], old: f32[4,2,3],
          sl: f32[4,2,3], inv: f32[4,2,3], k: f32[4,2,3]) {
    %a.1, %n1, %n2, %old, %sl, %inv, %k = scan(%a, %s, %w) {carried = 1, reverse = 1, sequences = 1} {
    ^body(%x: f32[2,3], %st: f32[2,3], %w.1: f32[2,3]):
      %0 = mul(%x, %st) : f32[2,3]
      %1 = add(%0, %w.1) : f32[2,3]
      %2 = tanh(%1) : f32[2,3]
      %c = constant() {value = 0.25} : f32[2,3]
      yield %2, %2, %2, %x, %st, %w.1, %c
    } : f32[2,3], f32[4,2,3], f32[4,2,3], f32[4,2,3], f32[4,2,3], f32[4,2,3], f32[4,2,3]
    return %a.1, %n1, %n2, %old, %sl, %inv, %k
  }
})");
}

namespace {

/// The train step of `step` (a step body over h: [H]) after the default
/// pipeline, against the interpreter on the unoptimised one.
void checkTrainStep(const std::string &step) {
  std::string text = R"(model M(V: vocab, H = 6) {
  param W_xh: [V, H] = normal(0, 0.1)
  param W_hh: [H, H] = normal(0, 0.1)
  param W_hq: [H, V] = normal(0, 0.1)
  param b_q:  [V]    = zeros
  state h: [H] = zeros
  step(x: onehot[V]) -> [V] {
)" + step + R"(
  }
})";
  SCOPED_TRACE(step);
  auto plain = fixtures::loadTrainStepFromText(text, {7, 3, 4});
  auto optimised = fixtures::loadTrainStepFromText(text, {7, 3, 4});
  ASSERT_TRUE(plain && optimised);
  ASSERT_TRUE(pass_test::runPassList(*optimised, passes::defaultTrainPipeline()));
  const ir::Function &want = *plain->function("train_step");
  const ir::Function &got = *optimised->function("train_step");
  std::vector<ir::Tensor> args = randomArguments(want, 7, /*seed=*/7, -0.5, 0.5);
  auto ref = ir::interpret(want, args);
  ASSERT_TRUE(ref) << ref.error().message();
  EXPECT_EQ(expectClose(runJIT(got, args), *ref, got.resultNames), 0);
}

} // namespace

TEST(CodegenRepeatedValues, ProductWrittenTwice) {
  checkTrainStep("h = tanh(x @ W_xh + h @ W_hh)\n return h @ W_hq + h @ W_hq + b_q");
}

TEST(CodegenRepeatedValues, GateWrittenTwice) {
  checkTrainStep("let q = h @ W_hh\n let c = tanh(x @ W_xh)\n"
                 "h = sigmoid(q) * c + (1 - sigmoid(q)) * h\n return h @ W_hq + b_q");
}

TEST(CodegenRepeatedValues, ActivationWrittenTwice) {
  checkTrainStep("let a = x @ W_xh + h @ W_hh\n h = 0.5 * tanh(a) + 0.5 * tanh(a)\n"
                 "return h @ W_hq + b_q");
}
