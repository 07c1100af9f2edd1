//===- BufferPlanTest.cpp - Arena sharing by live intervals ---------------===//
///
/// \file
/// runtime/plan/BufferPlan.h: buffers share arena bytes exactly when their live
/// intervals are disjoint. Checked on small hand-written functions (a chain
/// of products, a scan whose body reads a value from before the loop, an op
/// computed at its user) and, through planStats, on the d2l train steps:
/// sharing must shrink the arena and the counts must be the lowering's.
/// The JIT-vs-interpreter tests (CodegenExamplesTest, CodegenRandomTest)
/// check that the shared arena leaves every result unchanged.
///
//===----------------------------------------------------------------------===//
#include "runtime/plan/BufferPlan.h"
#include "runtime/codegen/Codegen.h"

#include "CodegenTestUtil.h"
#include "test/support/Examples.h"
#include "frontend/Frontend.h"
#include "passes/Autodiff.h"
#include "passes/Pipeline.h"

#include <gtest/gtest.h>

#include <iostream>
#include <map>

using namespace rnnc;

namespace {

/// One request per op result (yield and return store nothing), keyed by
/// the result's name; scan results tied to their scan like carried slots.
struct NamedRequests {
  std::vector<runtime::BufferRequest> requests;
  std::map<std::string, size_t> index;
};

NamedRequests requestPerResult(const ir::Function &fn) {
  NamedRequests named;
  std::vector<const ir::Block *> blocks{&fn.body()};
  while (!blocks.empty()) {
    const ir::Block *block = blocks.back();
    blocks.pop_back();
    for (const auto &op : block->operations()) {
      for (const auto &region : op->regions())
        blocks.push_back(region.get());
      bool scan = op->kind() == ir::OpKind::Scan;
      for (const ir::Value *r : op->results()) {
        named.index[r->name()] = named.requests.size();
        named.requests.push_back(
            {r->type().numElements() * 4, {r}, scan ? op.get() : nullptr});
      }
    }
  }
  return named;
}

const ir::Function &onlyFunction(const ir::Module &module) {
  return *module.functions().front();
}

bool share(const runtime::BufferPlan &plan, const NamedRequests &named,
           const std::string &a, const std::string &b) {
  return plan.offsets.at(named.index.at(a)) == plan.offsets.at(named.index.at(b));
}

/// Four products in a chain: each result dies at the next-but-one product,
/// so two buffers suffice (the operand and the result of a product never
/// share).
const char *kChain = R"(module @T {
  func @f(param %W: f32[N=8,N=8], input %x: f32[B=4,N=8]) -> (y: f32[B=4,N=8]) {
    %a = matmul(%x, %W) : f32[B=4,N=8]
    %b = matmul(%a, %W) : f32[B=4,N=8]
    %c = matmul(%b, %W) : f32[B=4,N=8]
    %d = matmul(%c, %W) : f32[B=4,N=8]
    return %d
  }
})";

TEST(BufferPlan, ChainOfProductsNeedsTwoBuffers) {
  auto module = fixtures::parseIR(kChain);
  ASSERT_TRUE(module);
  const ir::Function &fn = onlyFunction(*module);
  NamedRequests named = requestPerResult(fn);
  runtime::BufferPlan plan = runtime::planBuffers(fn, named.requests, nullptr);
  EXPECT_EQ(plan.unsharedBytes, 4 * 128);
  EXPECT_EQ(plan.arenaBytes, 2 * 128);
  EXPECT_EQ(plan.peakLiveBytes, 2 * 128);
  EXPECT_FALSE(share(plan, named, "a", "b"));
  EXPECT_FALSE(share(plan, named, "b", "c"));
  EXPECT_FALSE(share(plan, named, "c", "d"));
  EXPECT_TRUE(share(plan, named, "a", "c"));
  EXPECT_TRUE(share(plan, named, "b", "d"));

  auto stats = runtime::planStats(fn);
  ASSERT_TRUE(bool(stats)) << stats.error().message();
  // The code generator computes the returned %d in the caller's result
  // buffer: three arena buffers, %a and %c still sharing.
  EXPECT_EQ(stats->arenaBytes, 2 * 128);
  EXPECT_EQ(stats->unsharedBytes, 3 * 128);
  EXPECT_EQ(stats->buffers, 3);
  EXPECT_EQ(stats->kernelCallSites, 4);
  EXPECT_EQ(stats->kernelCallsPerRun, 4);
}

/// %c is computed before the scan and read in its body: it stays live for
/// the whole loop, so no body value may take its bytes; %z, after the loop,
/// may.
const char *kScanReadsOuterValue = R"(module @T {
  func @f(param %W: f32[H=8,H=8], input %h: f32[B=4,H=8], input %x: f32[T=3,B=4,H=8])
      -> (h: f32[B=4,H=8], w: f32[B=4,H=8]) {
    %c = matmul(%h, %W) : f32[B=4,H=8]
    %h.1 = scan(%h, %x, %c) {carried = 1, reverse = 0, sequences = 1} {
    ^body(%h.2: f32[B=4,H=8], %x.1: f32[B=4,H=8], %c.1: f32[B=4,H=8]):
      %t = matmul(%h.2, %W.1) : f32[B=4,H=8]
      %u = add(%t, %c.1) : f32[B=4,H=8]
      %v = matmul(%u, %W.1) : f32[B=4,H=8]
      yield %v
    } : f32[B=4,H=8]
    %z = matmul(%h.1, %W) : f32[B=4,H=8]
    %w = matmul(%z, %W) : f32[B=4,H=8]
    return %h.1, %w
  }
})";

TEST(BufferPlan, ValueReadInsideAScanLivesThroughTheLoop) {
  std::string text = kScanReadsOuterValue;
  // The body reads W as an invariant too.
  text.replace(text.find("scan(%h, %x, %c)"), 16, "scan(%h, %x, %c, %W)");
  text.replace(text.find("%c.1: f32[B=4,H=8])"), 19,
               "%c.1: f32[B=4,H=8], %W.1: f32[H=8,H=8])");
  auto module = fixtures::parseIR(text);
  ASSERT_TRUE(module);
  const ir::Function &fn = onlyFunction(*module);
  NamedRequests named = requestPerResult(fn);
  runtime::BufferPlan plan = runtime::planBuffers(fn, named.requests, nullptr);
  for (const char *bodyValue : {"t", "u", "v"}) {
    EXPECT_FALSE(share(plan, named, "c", bodyValue)) << bodyValue;
    EXPECT_FALSE(share(plan, named, "h.1", bodyValue)) << bodyValue;
  }
  EXPECT_TRUE(share(plan, named, "t", "v")); // %t dies at %u, before %v
  EXPECT_FALSE(share(plan, named, "h.1", "z"));
  EXPECT_FALSE(share(plan, named, "z", "w"));
  EXPECT_LT(plan.arenaBytes, plan.unsharedBytes);

  // The generated code agrees with the interpreter on this plan.
  EXPECT_GT(codegen_test::checkAgainstInterpreter(fn, 1, -0.5, 0.5), 0.01);
}

/// %b is computed inside %c's loop (a fused producer): %a is read there, so
/// %a and %c must not share although %a's only reader is %b.
const char *kFused = R"(module @T {
  func @f(param %W: f32[N=8,N=8], input %x: f32[B=4,N=8]) -> (y: f32[B=4,N=8]) {
    %a = matmul(%x, %W) : f32[B=4,N=8]
    %b = tanh(%a) : f32[B=4,N=8]
    %c = add(%b, %x) : f32[B=4,N=8]
    %d = matmul(%c, %W) : f32[B=4,N=8]
    return %d
  }
})";

TEST(BufferPlan, ReadsOfAnOpComputedAtItsUserCountAtTheUser) {
  auto module = fixtures::parseIR(kFused);
  ASSERT_TRUE(module);
  const ir::Function &fn = onlyFunction(*module);
  NamedRequests named = requestPerResult(fn);
  named.requests.erase(named.requests.begin() + 1); // %b stores nothing
  named.index.erase("b");
  named.index["c"] = 1;
  named.index["d"] = 2;
  auto fusedB = [](const ir::Operation *op) { return op->kind() == ir::OpKind::Tanh; };
  runtime::BufferPlan plan = runtime::planBuffers(fn, named.requests, fusedB);
  EXPECT_FALSE(share(plan, named, "a", "c"));
  EXPECT_TRUE(share(plan, named, "a", "d"));
  // Without the forwarding %a would (wrongly) die at %b and share with %c.
  runtime::BufferPlan naive = runtime::planBuffers(fn, named.requests, nullptr);
  EXPECT_TRUE(share(naive, named, "a", "c"));
}

/// A loss computed with its gradient is written at the gradient's place
/// (CodegenOps.cpp), even when nothing reads it: its buffer must not be
/// handed to %k, which is live there.
const char *kDeadLossWrittenLater = R"(module @T {
  func @f(input %y: f32[R=3,C=11], input %l: i32[R=3], input %d: f32[])
      -> (g: f32[R=3,C=11], k: f32[]) {
    %loss = cross_entropy(%y, %l) : f32[]
    %k = add(%d, %d) : f32[]
    %g = cross_entropy_grad(%y, %l, %k) : f32[R=3,C=11]
    return %g, %k
  }
})";

TEST(BufferPlan, LossWrittenAtItsGradientStaysLiveUntilThere) {
  auto module = fixtures::parseIR(kDeadLossWrittenLater);
  ASSERT_TRUE(module);
  EXPECT_GT(codegen_test::checkAgainstInterpreter(onlyFunction(*module), 11), 0.1);
}

/// The d2l train steps: sharing must pay off, and planStats must be the
/// numbers the JIT's lowering uses.
class BufferPlanExamples : public ::testing::TestWithParam<const char *> {};

TEST_P(BufferPlanExamples, D2LTrainStepArenaShrinks) {
  auto model = fixtures::checkExample(GetParam());
  ASSERT_TRUE(model);
  auto module = fixtures::lowerModel(*model, {1027, 32, 35},
                                     driver::passPipeline(driver::EntryPoint::TrainStep));
  ASSERT_TRUE(module);
  auto stats = runtime::planStats(*module->function("train_step"));
  ASSERT_TRUE(bool(stats)) << stats.error().message();
  EXPECT_GT(stats->peakLiveBytes, 0);
  EXPECT_LE(stats->peakLiveBytes, stats->arenaBytes);
  // Largest-first placement stays within 10% of the bound on these graphs.
  EXPECT_LE(stats->arenaBytes, stats->peakLiveBytes * 11 / 10);
  EXPECT_LT(stats->arenaBytes, stats->unsharedBytes * 3 / 4) << "less than 25% saved";
  EXPECT_GT(stats->buffers, 5);
  EXPECT_GT(stats->kernelCallsPerRun, stats->kernelCallSites); // scans loop
}

INSTANTIATE_TEST_SUITE_P(Models, BufferPlanExamples,
                         ::testing::Values("char_rnn.rnn", "gru.rnn", "lstm.rnn"));

} // namespace
