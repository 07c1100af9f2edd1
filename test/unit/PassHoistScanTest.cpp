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
#include "PassTestUtil.h"

#include "ir/Printer.h"

using namespace rnnc;
using namespace rnnc::pass_test;

namespace {

/// Runs `passes` on `text`'s @f and checks it against the untouched @f.
std::unique_ptr<ir::Module> checkCase(const std::string &text,
                                      const std::vector<std::string> &passes) {
  auto before = codegen_test::parseIR(text), after = codegen_test::parseIR(text);
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

const char *kNested = R"(module @T {
  func @f(input %c: f32[2], input %s: f32[3,4,2], input %w: f32[2,2])
      -> (c: f32[2], outs: f32[3,2], sums: f32[3,2]) {
    %c.1, %outs, %sums = scan(%c, %s, %w) {carried = 1, reverse = 0, sequences = 1} {
    ^body(%x: f32[2], %rows: f32[4,2], %w.1: f32[2,2]):
      %y, %ys = scan(%x, %rows, %w.1) {carried = 1, reverse = 1, sequences = 1} {
      ^body(%z: f32[2], %r: f32[2], %w.2: f32[2,2]):
        %0 = matmul(%z, %w.2) : f32[2]
        %1 = add(%0, %r) : f32[2]
        %2 = tanh(%1) : f32[2]
        %3 = mul(%2, %r) : f32[2]
        yield %2, %3
      } : f32[2], f32[4,2]
      %sum = reduce_sum(%ys) {axes = [0]} : f32[2]
      %4 = sub(%y, %x) : f32[2]
      yield %y, %4, %sum
    } : f32[2], f32[3,2], f32[3,2]
    return %c.1, %outs, %sums
  }
})";

const char *kTimeSumOfCarried = R"(module @T {
  func @f(input %h: f32[2,3], input %s: f32[4,2,3], input %w: f32[3,3])
      -> (h: f32[2,3], g: f32[3,3], st: f32[2,3], p: f32[4,2,3], q: f32[4,2,3], qs: f32[2,3], r: f32[4,3]) {
    %h.1, %g, %st, %p, %q, %r = scan(%h, %s, %w) {carried = 1, reverse = 1, sequences = 1} {
    ^body(%x: f32[2,3], %sl: f32[2,3], %w.1: f32[3,3]):
      %0 = matmul(%x, %w.1) : f32[2,3]
      %1 = tanh(%0) : f32[2,3]
      %2 = add(%1, %sl) : f32[2,3]
      %3 = matmul_tn(%x, %sl) : f32[3,3]
      %4 = mul(%2, %sl) : f32[2,3]
      %5 = sub(%2, %x) : f32[2,3]
      %6 = neg(%2) : f32[2,3]
      yield %2, %3, %sl, %4, %5, %6
    } : f32[2,3], f32[4,3,3], f32[4,2,3], f32[4,2,3], f32[4,2,3], f32[4,2,3]
    %gs = reduce_sum(%g) {axes = [0]} : f32[3,3]
    %sts = reduce_sum(%st) {axes = [0]} : f32[2,3]
    %qs = reduce_sum(%q) {axes = [0]} : f32[2,3]
    %rs = reduce_sum(%r) {axes = [1]} : f32[4,3]
    return %h.1, %gs, %sts, %p, %q, %qs, %rs
  }
})";

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
  auto m = checkCase(kNested, {"hoist-scan"});
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
  for (const char *text : {kNested, kTimeSumOfCarried, kBroadcastTrap})
    EXPECT_TRUE(checkCase(text, passes::defaultTrainPipeline()));
}

TEST(PassHoistScan, PipelineIsIdempotent) {
  for (const char *file : {"char_rnn.rnn", "gru.rnn", "lstm.rnn", "lstm2.rnn", "embed_gru.rnn"}) {
    SCOPED_TRACE(file);
    auto module = loadTrainStep(file, 11, 3, 5);
    ASSERT_TRUE(module);
    ASSERT_TRUE(runPassList(*module, passes::defaultTrainPipeline()));
    std::ostringstream once, twice;
    ir::printModule(*module, once);
    ASSERT_TRUE(runPassList(*module, passes::defaultTrainPipeline()));
    ir::printModule(*module, twice);
    EXPECT_TRUE(once.str() == twice.str()) << "second run changed:\n" << twice.str();
  }
}
