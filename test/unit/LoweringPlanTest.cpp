//===- LoweringPlanTest.cpp - The lowering plan and its verifier ----------===//
///
/// \file
/// runtime/plan/LoweringPlan.h: planLowering on a scan that yields one body value
/// as two per-step outputs (issue 10, defect 1) computes it in the first
/// output's row and copies it into the second's, and the plan verifies;
/// then plans broken by hand (buffers live together sharing bytes, a scan
/// output without a kind, a stored value without storage, a buffer past the
/// arena, a value computed in two rows, a view that is stored too, a loop
/// nest that misses elements, a fusion split into other chunks than its
/// work gives, calling a kernel against its product-plus-bias decision or
/// computing its product in the wrong result) are each
/// rejected by verifyLoweringPlan, naming what is wrong. Plans of
/// hand-written IR are printed: unoptimised IR is followed as it is (no
/// folding or fusing of its own), an epilogue fusion's loop and work, time
/// sums in a scan.
///
//===----------------------------------------------------------------------===//
#include "runtime/plan/LoweringPlan.h"

#include "CodegenTestUtil.h"
#include "ScanFixtures.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

using namespace rnnc;
using runtime::LoweringPlan;
using runtime::ScanOutputKind;
using runtime::ValueStorage;

namespace {


class LoweringPlanTest : public ::testing::Test {
protected:
  void SetUp() override {
    module_ = fixtures::parseIR(scan_fixtures::kYieldedTwice);
    ASSERT_TRUE(module_);
    fn_ = module_->functions().front().get();
    scan_ = fn_->body().operations().front().get();
    ASSERT_EQ(scan_->kind(), ir::OpKind::Scan);
    product_ = scan_->body().operations().front().get();
    plan_ = runtime::planLowering(*fn_);
  }

  /// The verifier's message for `plan` ("" when it accepts it).
  std::string rejection(const LoweringPlan &plan) const {
    auto verified = runtime::verifyLoweringPlan(*fn_, plan);
    return verified ? "" : verified.error().message();
  }

  std::unique_ptr<ir::Module> module_;
  const ir::Function *fn_ = nullptr;
  const ir::Operation *scan_ = nullptr, *product_ = nullptr;
  LoweringPlan plan_;
};

TEST_F(LoweringPlanTest, ValueYieldedTwiceIsComputedInOneRowAndCopiedToTheOther) {
  EXPECT_EQ(rejection(plan_), "");
  const runtime::ScanPlan *scan = plan_.scan(scan_);
  ASSERT_TRUE(scan);
  ASSERT_EQ(scan->outputs.size(), 2u);
  EXPECT_EQ(scan->outputs[0], ScanOutputKind::ComputedInRow);
  EXPECT_EQ(scan->outputs[1], ScanOutputKind::CopiedToRow);
  const ValueStorage &home = plan_.storageOf(product_->result());
  EXPECT_EQ(home.kind, ValueStorage::Kind::StackedRow);
  EXPECT_EQ(home.scan, scan_);
  EXPECT_EQ(home.output, 0u);
  // Four steps: the per-step product reads %w packed once before the loop.
  ASSERT_EQ(plan_.packed.size(), 1u);
  EXPECT_EQ(plan_.op(product_).packedOperand, 0);

  std::ostringstream text;
  runtime::printLoweringPlan(*fn_, plan_, text);
  EXPECT_NE(text.str().find("scan#0 outputs: 0 computed-in-row, 1 copied-to-row"),
            std::string::npos)
      << text.str();
}

TEST_F(LoweringPlanTest, RejectsBuffersLiveTogetherSharingBytes) {
  // The carried slot (buffer 0) and the first stacked output are both live
  // across the scan.
  int64_t stacked = plan_.storageOf(scan_->result(1)).buffer;
  ASSERT_GE(stacked, 0);
  LoweringPlan broken = plan_;
  broken.placement.offsets[0] = broken.placement.offsets[static_cast<size_t>(stacked)];
  EXPECT_NE(rejection(broken).find("are live together and share bytes"), std::string::npos)
      << rejection(broken);
}

TEST_F(LoweringPlanTest, RejectsAScanOutputWithoutAKind) {
  LoweringPlan broken = plan_;
  broken.scans[scan_].outputs.pop_back();
  EXPECT_NE(rejection(broken).find("exactly one kind per per-step output"),
            std::string::npos)
      << rejection(broken);
}

TEST_F(LoweringPlanTest, RejectsAStoredValueWithoutStorage) {
  const ir::Value *tanh = scan_->body().operations()[2]->result();
  LoweringPlan broken = plan_;
  broken.storage.erase(tanh);
  broken.arenaValues.erase(
      std::find(broken.arenaValues.begin(), broken.arenaValues.end(), tanh));
  EXPECT_NE(rejection(broken).find("is computed but has no storage"), std::string::npos)
      << rejection(broken);
}

TEST_F(LoweringPlanTest, RejectsABufferPastTheArena) {
  LoweringPlan broken = plan_;
  broken.placement.offsets.back() = broken.placement.arenaBytes;
  EXPECT_NE(rejection(broken).find("is outside the arena"), std::string::npos)
      << rejection(broken);
}

TEST_F(LoweringPlanTest, RejectsAValueComputedInTwoRows) {
  LoweringPlan broken = plan_;
  broken.scans[scan_].outputs[1] = ScanOutputKind::ComputedInRow;
  EXPECT_NE(rejection(broken).find("is not in the row of"), std::string::npos)
      << rejection(broken);
}

TEST_F(LoweringPlanTest, RejectsAViewThatIsStoredToo) {
  // tanh is stored; claiming it is read in place as a view leaves it a home
  // it does not need.
  const ir::Operation *tanh = scan_->body().operations()[2].get();
  LoweringPlan broken = plan_;
  broken.ops[tanh].how = runtime::OpLowering::SliceView;
  EXPECT_NE(rejection(broken).find("is computed at its users but also has storage"),
            std::string::npos)
      << rejection(broken);
}

TEST_F(LoweringPlanTest, RejectsALoopNestThatMissesElements) {
  const ir::Operation *tanh = scan_->body().operations()[2].get();
  LoweringPlan broken = plan_;
  broken.ops[tanh].loop = {1, 2};
  EXPECT_NE(rejection(broken).find("does not cover its"), std::string::npos)
      << rejection(broken);
}

bool mentions(const std::string &text, const std::string &needle) {
  return text.find(needle) != std::string::npos;
}

/// The verified plan of the only function of `irText`, printed.
std::string printedPlan(const char *irText) {
  auto module = fixtures::parseIR(irText);
  if (!module)
    return "<parse error>";
  const ir::Function &fn = *module->functions().front();
  LoweringPlan plan = runtime::planLowering(fn);
  if (auto verified = runtime::verifyLoweringPlan(fn, plan); !verified)
    return "<invalid plan: " + verified.error().message() + ">";
  std::ostringstream os;
  runtime::printLoweringPlan(fn, plan, os);
  return os.str();
}

/// An epilogue fusion: h @ W, plus a bias row, tanh, and 1 - tanh.
constexpr const char *kEpilogue = R"(module @T {
  func @f(input %h: f32[2,3], param %W: f32[3,4], param %b: f32[4]) -> (y: f32[2,4], z: f32[2,4]) {
    %y, %z = fusion(%h, %W, %b) {
    ^body(%h1: f32[2,3], %W1: f32[3,4], %b1: f32[4]):
      %p = matmul(%h1, %W1) : f32[2,4]
      %one = constant() {value = 1.0} : f32[]
      %s = add(%p, %b1) : f32[2,4]
      %t = tanh(%s) : f32[2,4]
      %u = sub(%one, %t) : f32[2,4]
      yield %t, %u
    } : f32[2,4], f32[2,4]
    return %y, %z
  }
})";

TEST(LoweringPlanFusion, RejectsChunksKernelOrProductHomeAgainstItsDecisions) {
  auto module = fixtures::parseIR(kEpilogue);
  ASSERT_TRUE(module);
  const ir::Function &fn = *module->functions().front();
  const ir::Operation *fusion = fn.body().operations().front().get();
  LoweringPlan plan = runtime::planLowering(fn);
  auto rejection = [&] {
    auto verified = runtime::verifyLoweringPlan(fn, plan);
    return verified ? std::string() : verified.error().message();
  };
  ASSERT_EQ(rejection(), "");
  plan.fusions[fusion].chunks = 2; // 2 x 4 elements never pay for a split
  std::string error = rejection();
  EXPECT_NE(error.find("is split into other chunks than its work gives"),
            std::string::npos)
      << error;
  plan.fusions[fusion].chunks = 1;
  plan.fusions[fusion].rowBias = fusion->operand(2); // it calls rnnc_parallel_for
  error = rejection();
  EXPECT_NE(error.find("calls rnnc_parallel_for against its product-plus-bias decision"),
            std::string::npos)
      << error;
  plan.fusions[fusion].rowBias = nullptr;
  plan.fusions[fusion].productHome = 1; // %z is 1 - tanh, not the product
  error = rejection();
  EXPECT_NE(error.find("computes its product in a result that does not yield it"),
            std::string::npos)
      << error;
}

/// A fusion whose result is the first part of a concat with an arena buffer.
constexpr const char *kConcatOfFusion = R"(module @T {
  func @f(input %h: f32[2,3], input %x: f32[2,2]) -> (y: f32[2,5]) {
    %t = fusion(%h) {
    ^body(%h1: f32[2,3]):
      %a = tanh(%h1) : f32[2,3]
      yield %a
    } : f32[2,3]
    %c = concat(%t, %x) : f32[2,5]
    %y = tanh(%c) : f32[2,5]
    return %y
  }
})";

TEST(LoweringPlanFusion, RejectsAColumnStoreThatTheConcatCopiesMisplacesOrOutlives) {
  auto module = fixtures::parseIR(kConcatOfFusion);
  ASSERT_TRUE(module);
  const ir::Function &fn = *module->functions().front();
  const ir::Operation *fusion = fn.body().operations()[0].get();
  const ir::Operation *concat = fn.body().operations()[1].get();
  LoweringPlan plan = runtime::planLowering(fn);
  auto rejection = [&] {
    auto verified = runtime::verifyLoweringPlan(fn, plan);
    return verified ? std::string() : verified.error().message();
  };
  ASSERT_EQ(rejection(), "");
  ASSERT_EQ(plan.fusions[fusion].columnStores.size(), 1u);
  EXPECT_EQ(plan.op(concat).partsStored, (std::vector<bool>{true, false}));
  EXPECT_EQ(plan.op(fusion).loop.inner, 3); // rows of the part, not one flat loop
  EXPECT_STREQ(plan.op(concat).kernel, "rnnc_copy_columns"); // for %x

  plan.ops[concat].partsStored[0] = false;
  EXPECT_TRUE(mentions(rejection(), "copies that part again")) << rejection();
  plan.ops[concat].partsStored[0] = true;
  plan.fusions[fusion].columnStores[0].column = 2;
  EXPECT_TRUE(mentions(rejection(), "does not put rows of %t at its columns of %c"))
      << rejection();
  plan.fusions[fusion].columnStores[0].column = 0;
  plan.ops[concat].partsStored[1] = true; // %x: no fusion stores it
  EXPECT_TRUE(mentions(rejection(), "leaves part 1 to a fusion that does not store it"))
      << rejection();
  plan.ops[concat].partsStored[1] = false;
  int64_t buffer = plan.storageOf(concat->result()).buffer;
  plan.buffers[static_cast<size_t>(buffer)].liveAcross = nullptr;
  EXPECT_TRUE(mentions(rejection(), "buffer is not live from the fusion on")) << rejection();
}

TEST(LoweringPlanPrint, FollowsTheIROfUnoptimisedCode) {
  std::string text = printedPlan(R"(module @T {
  func @f(param %W: f32[5,3], input %idx: i32[2], input %b: f32[3]) -> (y: f32[2,3]) {
    %oh = onehot(%idx) {depth = 5} : f32[2,5]
    %xw = matmul(%oh, %W) : f32[2,3]
    %half = constant() {value = 0.5} : f32[2,3]
    %a = add(%xw, %b) : f32[2,3]
    %m = mul(%a, %half) : f32[2,3]
    %y = tanh(%m) : f32[2,3]
    return %y
  }
})");
  // Folding one-hots is simplify's, fusing fuse-elementwise's: the plan
  // stores every op, each elementwise op with its own loop.
  EXPECT_TRUE(mentions(text, "%oh = onehot(%idx)")) << text;
  EXPECT_TRUE(mentions(text, "%xw = matmul(%oh, %W)")) << text;
  EXPECT_TRUE(mentions(text, "%half = constant() {value = 0.5}          buffer 2")) << text;
  EXPECT_TRUE(mentions(text, "%a = add(%xw, %b)")) << text;
  EXPECT_TRUE(mentions(text, "; loop 2 rows x 3")) << text;
  EXPECT_TRUE(mentions(text, "%y = tanh(%m)")) << text;
  EXPECT_TRUE(mentions(text, "caller's result 0; loop of 6")) << text;
  EXPECT_TRUE(mentions(text, "return 0 %y: in the caller's buffer")) << text;
  EXPECT_FALSE(mentions(text, "fused")) << text;
}

TEST(LoweringPlanPrint, FusionProductHomeLoopAndWork) {
  std::string text = printedPlan(kEpilogue);
  // The product is computed in %y's buffer, which the loop overwrites; the
  // loop runs over 2 rows of the bias's 4 (a tanh at 24, an add and a sub
  // at 1 per element: 2 x 26 x 8).
  EXPECT_TRUE(mentions(text, "2 results; product in result 0, overwritten; loop 2 rows x 4, "
                             "work 416, 1 chunk; product calls rnnc_matmul; calls "
                             "rnnc_parallel_for"))
      << text;
}

TEST(LoweringPlanPrint, TimeSumsInTheScan) {
  std::string text = printedPlan(scan_fixtures::kTimeSumOfCarried);
  EXPECT_TRUE(mentions(text, "summed-by-producer from %3, into time sum %gs")) << text;
  EXPECT_TRUE(mentions(text, "summed-after-step from %sl, into time sum %sts")) << text;
  EXPECT_TRUE(mentions(text, "%gs = reduce_sum(%g)")) << text;
  EXPECT_TRUE(mentions(text, "time sum in its scan, buffer")) << text;
  EXPECT_TRUE(mentions(text, "adds into time sum %gs")) << text;
}

} // namespace
