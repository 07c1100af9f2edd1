//===- LoweringPlanTest.cpp - The lowering plan and its verifier ----------===//
///
/// \file
/// runtime/plan/LoweringPlan.h: planLowering on a scan that yields one body value
/// as two per-step outputs (issue 10, defect 1) computes it in the first
/// output's row and copies it into the second's, and the plan verifies;
/// then plans broken by hand (buffers live together sharing bytes, a scan
/// output without a kind, a stored value without storage, a buffer past the
/// arena, a value computed in two rows, a fused op that is stored too) are
/// each rejected by verifyLoweringPlan, naming what is wrong. Decisions the
/// default pipeline leaves codegen nothing to do for (one-hot folding,
/// constant inlining, elementwise fusion, time sums in a scan) are printed
/// from hand-written IR.
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
    module_ = codegen_test::parseIR(scan_fixtures::kYieldedTwice);
    ASSERT_TRUE(module_);
    fn_ = module_->functions().front().get();
    scan_ = fn_->body().operations().front().get();
    ASSERT_EQ(scan_->kind(), ir::OpKind::Scan);
    product_ = scan_->body().operations().front().get();
    plan_ = runtime::planLowering(*fn_);
  }

  /// The verifier's message for `plan` ("" when it accepts it).
  std::string rejection(const LoweringPlan &plan) const {
    std::string error;
    return runtime::verifyLoweringPlan(*fn_, plan, &error) ? "" : error;
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

TEST_F(LoweringPlanTest, RejectsAFusedOpThatIsStoredToo) {
  // tanh's only user is the yield: it is stored, and claiming it is fused
  // leaves it a home it does not need.
  const ir::Operation *tanh = scan_->body().operations()[2].get();
  LoweringPlan broken = plan_;
  broken.ops[tanh].how = runtime::OpLowering::FusedIntoUser;
  EXPECT_NE(rejection(broken).find("is computed at its users but also has storage"),
            std::string::npos)
      << rejection(broken);
}

bool mentions(const std::string &text, const std::string &needle) {
  return text.find(needle) != std::string::npos;
}

/// The verified plan of the only function of `irText`, printed.
std::string printedPlan(const char *irText) {
  auto module = codegen_test::parseIR(irText);
  if (!module)
    return "<parse error>";
  const ir::Function &fn = *module->functions().front();
  LoweringPlan plan = runtime::planLowering(fn);
  std::string error;
  if (!runtime::verifyLoweringPlan(fn, plan, &error))
    return "<invalid plan: " + error + ">";
  std::ostringstream os;
  runtime::printLoweringPlan(fn, plan, os);
  return os.str();
}

TEST(LoweringPlanPrint, FoldsInlinesAndFusesUnoptimisedIR) {
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
  EXPECT_TRUE(mentions(text, "folded-onehot (gather / scatter-add of %idx)")) << text;
  EXPECT_TRUE(mentions(text, "%xw = matmul(%oh, %W)")) << text;
  EXPECT_TRUE(mentions(text, "; as gather")) << text;
  EXPECT_TRUE(mentions(text, "inlined-constant 0.5")) << text;
  EXPECT_TRUE(mentions(text, "fused into %m (depth 1)")) << text;
  EXPECT_TRUE(mentions(text, "fused into %y (depth 2)")) << text;
  // An elementwise op is never computed in the caller's buffer (it might
  // be fused into a user): the returned tanh is copied there.
  EXPECT_TRUE(mentions(text, "return 0 %y: copied to the caller's buffer")) << text;
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
