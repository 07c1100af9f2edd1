//===- PassExamplesTest.cpp - Each optimising pass keeps every example's results -===//
///
/// \file
/// For every model in examples/ (V = 11, B = 3, T = 5): @forward and
/// @train_step are interpreted before and after simplify, dce, cse,
/// hoist-scan, fuse-elementwise and the default train pipeline, on three
/// random argument sets,
/// and must agree to 1e-9 relative (passes/*.cpp; PassTestUtil.h). Each
/// pass is also checked to have done its job where the model allows it.
///
//===----------------------------------------------------------------------===//
#include "PassTestUtil.h"

#include <set>

using namespace rnnc;
using namespace rnnc::pass_test;

namespace {

struct Example {
  const char *file;
  double weightRange;
};

class PassExamples : public ::testing::TestWithParam<Example> {
protected:
  /// Runs `passes` on a fresh copy and compares it with an untouched one.
  std::unique_ptr<ir::Module> checkPasses(const std::vector<std::string> &passes) {
    return expectPassesKeepResults(GetParam().file, passes, GetParam().weightRange);
  }
};

} // namespace

TEST_P(PassExamples, SimplifyKeepsResults) {
  auto m = checkPasses({"simplify", "dce"});
  ASSERT_TRUE(m);
  // No one-hot product survives: each became a gather or a scatter-add.
  for (const auto &fn : m->functions()) {
    int hotProducts = 0;
    forEachOp(*fn, [&](const ir::Operation &op, int) {
      if (op.kind() == ir::OpKind::MatMul || op.kind() == ir::OpKind::MatMulTN) {
        const ir::Operation *def = op.operand(0)->definingOp();
        hotProducts += def && def->kind() == ir::OpKind::OneHot;
      }
    });
    EXPECT_EQ(hotProducts, 0) << fn->name();
  }
}

TEST_P(PassExamples, DceKeepsResults) { EXPECT_TRUE(checkPasses({"dce"})); }

TEST_P(PassExamples, CseKeepsResults) { EXPECT_TRUE(checkPasses({"cse", "dce"})); }

TEST_P(PassExamples, HoistScanKeepsResults) {
  auto m = checkPasses({"simplify", "dce", "hoist-scan"});
  ASSERT_TRUE(m);
  const ir::Function *train = m->function("train_step");
  ASSERT_TRUE(train);
  // Every weight-gradient product left the reverse scan and the input
  // lookups left the forward one.
  EXPECT_EQ(countOps(*train, ir::OpKind::MatMulTN, 1), 0);
  EXPECT_EQ(countOps(*train, ir::OpKind::ScatterAdd, 1), 0);
  EXPECT_EQ(countOps(*train, ir::OpKind::Gather, 1), 0);
  EXPECT_GT(countOps(*train, ir::OpKind::MatMulTN, 0), 0);
}

TEST_P(PassExamples, HoistScanAloneKeepsResults) {
  EXPECT_TRUE(checkPasses({"hoist-scan"}));
}

TEST_P(PassExamples, DefaultTrainPipelineKeepsResults) {
  EXPECT_TRUE(checkPasses(passes::defaultTrainPipeline()));
}

TEST_P(PassExamples, FuseElementwiseAloneKeepsResults) {
  auto m = checkPasses({"fuse-elementwise"});
  ASSERT_TRUE(m);
  EXPECT_GT(countOps(*m->function("train_step"), ir::OpKind::Fusion), 0);
}

TEST_P(PassExamples, FuseElementwiseAfterPipelineKeepsResults) {
  std::vector<std::string> names = passes::defaultTrainPipeline();
  if (names.back() != "fuse-elementwise")
    names.push_back("fuse-elementwise");
  auto m = checkPasses(names);
  ASSERT_TRUE(m);
  // Every scan body holds fusions, and each forward cell's state update is
  // one kernel: every new state comes from a fusion, and a gated cell's two
  // states (LSTM's c and h) from the same one.
  for (const char *name : {"forward", "train_step"}) {
    SCOPED_TRACE(name);
    const ir::Function *fn = m->function(name);
    ASSERT_TRUE(fn);
    EXPECT_GT(countOps(*fn, ir::OpKind::Fusion, 1), 0);
  }
  const ir::Operation *scan = nullptr;
  for (const auto &op : m->function("forward")->body().operations())
    if (op->kind() == ir::OpKind::Scan)
      scan = op.get();
  ASSERT_TRUE(scan);
  const ir::Operation *yield = scan->body().terminator();
  std::set<const ir::Operation *> updates;
  for (unsigned i = 0; i < scan->scanNumCarried(); ++i) {
    const ir::Operation *def = yield->operand(i)->definingOp();
    ASSERT_TRUE(def);
    EXPECT_EQ(def->kind(), ir::OpKind::Fusion) << "state #" << i;
    updates.insert(def);
  }
  if (scan->scanNumCarried() >= 2) {
    EXPECT_LT(updates.size(), scan->scanNumCarried());
  }
}

INSTANTIATE_TEST_SUITE_P(AllExamples, PassExamples,
                         ::testing::Values(Example{"char_rnn.rnn", 0.5},
                                           Example{"gru.rnn", 0.5},
                                           Example{"lstm.rnn", 0.5},
                                           Example{"lstm2.rnn", 0.5},
                                           Example{"embed_gru.rnn", 0.5}),
                         [](const auto &info) {
                           std::string n = info.param.file;
                           return n.substr(0, n.find('.'));
                         });
