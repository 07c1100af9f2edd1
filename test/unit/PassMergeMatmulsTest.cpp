//===- PassMergeMatmulsTest.cpp - merge-matmuls keeps every example's results -===//
///
/// \file
/// For every model in examples/ (V = 11, B = 3, T = 5), merge-matmuls alone
/// and after hoist-scan leaves @forward and @train_step unchanged in the
/// interpreter (PassTestUtil.h), and does its job: no block keeps two
/// products of one left operand, and the LSTM's forward step does one
/// product, its reverse step one matmul_nt (passes/MergeMatmuls.cpp).
///
//===----------------------------------------------------------------------===//
#include "PassTestUtil.h"

#include <map>

using namespace rnnc;
using namespace rnnc::pass_test;

namespace {

class MergeMatmulsExamples : public ::testing::TestWithParam<const char *> {};

/// The most matmuls of one block that share their left operand.
int mostProductsPerLeft(const ir::Function &fn) {
  int most = 0;
  std::vector<const ir::Block *> work{&fn.body()};
  while (!work.empty()) {
    const ir::Block *block = work.back();
    work.pop_back();
    std::map<const ir::Value *, int> perLeft;
    for (const auto &op : block->operations()) {
      if (op->kind() == ir::OpKind::MatMul)
        most = std::max(most, ++perLeft[op->operand(0)]);
      for (const auto &region : op->regions())
        work.push_back(region.get());
    }
  }
  return most;
}

/// The scans of `fn`'s body, in order.
std::vector<const ir::Operation *> scans(const ir::Function &fn) {
  std::vector<const ir::Operation *> found;
  for (const auto &op : fn.body().operations())
    if (op->kind() == ir::OpKind::Scan)
      found.push_back(op.get());
  return found;
}

int countInBlock(const ir::Block &block, ir::OpKind kind) {
  int n = 0;
  for (const auto &op : block.operations())
    n += op->kind() == kind;
  return n;
}

} // namespace

TEST_P(MergeMatmulsExamples, AloneKeepsResults) {
  auto m = expectPassesKeepResults(GetParam(), {"merge-matmuls"}, 0.5);
  ASSERT_TRUE(m);
  for (const auto &fn : m->functions())
    EXPECT_LE(mostProductsPerLeft(*fn), 1) << fn->name();
}

TEST_P(MergeMatmulsExamples, AfterHoistScanKeepsResults) {
  auto m = expectPassesKeepResults(GetParam(), {"simplify", "dce", "hoist-scan",
                                                "merge-matmuls", "dce"}, 0.5);
  ASSERT_TRUE(m);
  for (const auto &fn : m->functions())
    EXPECT_LE(mostProductsPerLeft(*fn), 1) << fn->name();
  // Nothing the pass made is left for hoist-scan to undo: weight-gradient
  // products stay out of the reverse scan.
  EXPECT_EQ(countOps(*m->function("train_step"), ir::OpKind::MatMulTN, 1), 0);
}

TEST_P(MergeMatmulsExamples, IdempotentAndVerifiable) {
  auto m = expectPassesKeepResults(GetParam(), {"simplify", "dce", "hoist-scan",
                                                "merge-matmuls", "merge-matmuls", "cse",
                                                "dce"}, 0.5);
  EXPECT_TRUE(m);
}

INSTANTIATE_TEST_SUITE_P(AllExamples, MergeMatmulsExamples,
                         ::testing::Values("char_rnn.rnn", "gru.rnn", "lstm.rnn",
                                           "lstm2.rnn", "embed_gru.rnn"),
                         [](const auto &info) {
                           std::string n = info.param;
                           return n.substr(0, n.find('.'));
                         });

TEST(MergeMatmuls, LstmStepsDoOneProductEach) {
  auto m = expectPassesKeepResults("lstm.rnn", {"simplify", "dce", "hoist-scan",
                                                "merge-matmuls", "simplify", "cse", "dce"},
                                   0.5);
  ASSERT_TRUE(m);
  auto found = scans(*m->function("train_step"));
  ASSERT_EQ(found.size(), 2u);
  const ir::Block &forward = found[0]->body(), &reverse = found[1]->body();
  EXPECT_EQ(countInBlock(forward, ir::OpKind::MatMul), 1);
  EXPECT_EQ(countInBlock(reverse, ir::OpKind::MatMulNT), 1);
  EXPECT_EQ(countInBlock(reverse, ir::OpKind::MatMul), 0);
  // The four gates' weights are joined once, before the scans.
  EXPECT_EQ(countInBlock(forward, ir::OpKind::Concat), 0);
  EXPECT_EQ(countInBlock(reverse, ir::OpKind::Concat), 1); // the gate adjoints
  // The weight gradients after the scans are time-batched: not merged.
  EXPECT_EQ(countOps(*m->function("train_step"), ir::OpKind::MatMulTN, 0), 5); // 4 W_h*, W_hq
}
