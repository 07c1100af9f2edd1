//===- PassHoistScanTest.cpp - hoist-scan and friends on hand-written IR --===//
///
/// \file
/// Edge cases the examples do not reach: reverse scans with swapping
/// carried values, nested scans, a time sum that needs h_{t-1} stacked, and
/// a broadcast that must NOT be batched (T == B, so a wrong batching would
/// still type-check against the wrong axes). Each case: interpreter before
/// vs after the passes (1e-9 relative), the JIT after, and the body op count
/// where the pass should (not) have moved something.
///
//===----------------------------------------------------------------------===//
#include "CodegenTestUtil.h"
#include "PassTestUtil.h"
#include "ScanFixtures.h"

#include "ir/Printer.h"

using namespace rnnc;
using namespace rnnc::pass_test;

namespace {

/// Runs `passes` on `text`'s @f and checks it against the untouched @f.
std::unique_ptr<ir::Module> checkCase(const std::string &text,
                                      const std::vector<std::string> &passes) {
  auto before = fixtures::parseIR(text), after = fixtures::parseIR(text);
  if (!before || !after || !runPassList(*after, passes))
    return nullptr;
  const ir::Function *a = before->function("f"), *b = after->function("f");
  EXPECT_TRUE(a && b);
  if (!a || !b)
    return nullptr;
  EXPECT_GT(expectSameResults(*a, *b, 4, 0.8), 0u);
  codegen_test::checkAgainstInterpreter(*b, 4, -0.8, 0.8);
  return after;
}

using scan_fixtures::kNestedScans;
using scan_fixtures::kTimeSumOfCarried;

// The slice is [4] and the invariant [3,4] with T = 3: batching the add as
// [T,4] + [3,4] would type-check as [3,4] but pair time with rows.
const char *kBroadcastTrap = R"(module @T {
  func @f(input %h: f32[3,4], input %s: f32[3,4], input %m: f32[3,4])
      -> (h: f32[3,4]) {
    %h.1 = scan(%h, %s, %m) {carried = 1, reverse = 0, sequences = 1} {
    ^body(%x: f32[3,4], %sl: f32[4], %m.1: f32[3,4]):
      %0 = add(%sl, %m.1) : f32[3,4]
      %1 = mul(%0, %x) : f32[3,4]
      %2 = tanh(%1) : f32[3,4]
      yield %2
    } : f32[3,4]
    return %h.1
  }
})";

} // namespace

TEST(PassHoistScan, NestedScansKeepResults) {
  auto m = checkCase(kNestedScans, {"hoist-scan"});
  ASSERT_TRUE(m);
  // The inner per-step mul(tanh, r) summed over inner time is not a
  // product the pass batches, but the outer output sub(y, x) stays (x is
  // carried) and nothing breaks.
  EXPECT_EQ(countOps(*m->function("f"), ir::OpKind::Scan), 2);
}

TEST(PassHoistScan, TimeSumNeedsTheCarriedInputStacked) {
  auto m = checkCase(kTimeSumOfCarried, {"hoist-scan"});
  ASSERT_TRUE(m);
  const ir::Function &f = *m->function("f");
  EXPECT_EQ(countOps(f, ir::OpKind::MatMulTN, 1), 0);
  EXPECT_EQ(countOps(f, ir::OpKind::MatMulTN, 0), 1);
  // neg, mul and sub feed per-step outputs only: they left the body.
  EXPECT_EQ(countOps(f, ir::OpKind::Neg, 1), 0);
  EXPECT_EQ(countOps(f, ir::OpKind::Mul, 1), 0);
  EXPECT_EQ(countOps(f, ir::OpKind::Sub, 1), 0);
}

TEST(PassHoistScan, BroadcastAgainstTimeIsNotBatched) {
  auto m = checkCase(kBroadcastTrap, {"hoist-scan"});
  ASSERT_TRUE(m);
  EXPECT_EQ(countOps(*m->function("f"), ir::OpKind::Add, 1), 1);
}

TEST(PassHoistScan, DefaultPipelineOnEveryCase) {
  for (const char *text : {kNestedScans, kTimeSumOfCarried, kBroadcastTrap})
    EXPECT_TRUE(checkCase(text, passes::defaultTrainPipeline()));
}

TEST(PassHoistScan, PipelineIsIdempotent) {
  for (const char *file : {"char_rnn.rnn", "gru.rnn", "lstm.rnn", "lstm2.rnn", "embed_gru.rnn"}) {
    SCOPED_TRACE(file);
    auto module = fixtures::loadTrainStep(file, {11, 3, 5});
    ASSERT_TRUE(module);
    ASSERT_TRUE(runPassList(*module, passes::defaultTrainPipeline()));
    std::ostringstream once, twice;
    ir::printModule(*module, once);
    ASSERT_TRUE(runPassList(*module, passes::defaultTrainPipeline()));
    ir::printModule(*module, twice);
    EXPECT_TRUE(once.str() == twice.str()) << "second run changed:\n" << twice.str();
  }
}
