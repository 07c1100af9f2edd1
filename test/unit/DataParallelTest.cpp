//===- DataParallelTest.cpp - Row shares and the fixed-order sum ----------===//
///
/// \file
/// DataParallel against a fake collective that plays one rank of a job and
/// makes up the other ranks' buffers: the split rule, the rows a rank takes,
/// the row-weighted sum in rank order and the gather of a carried state.
/// The end-to-end tests under MPI are test/lit/runtime/mpi-*.test.
///
//===----------------------------------------------------------------------===//
#include "runtime/train/DataParallel.h"

#include <gtest/gtest.h>

using namespace rnnc;
using namespace rnnc::runtime;

namespace {

/// Rank `rank` of `size`; peer r's buffer is `peer(r, i)` at index i.
class FakeCollective final : public parallel::Collective {
public:
  FakeCollective(int rank, int size) : rank_(rank), size_(size) {}
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int localSize() const override { return size_; }
  std::string transport() const override { return "fake"; }
  static float peer(int r, int64_t i) { return 0.25f * float(r + 1) + 0.5f * float(i); }
  void allGather(const float *mine, const std::vector<int64_t> &counts,
                 float *all) override {
    int64_t at = 0;
    for (int r = 0; r < size_; ++r)
      for (int64_t i = 0; i < counts[size_t(r)]; ++i)
        all[at++] = r == rank_ ? mine[i] : peer(r, i);
  }
  void barrier() override {}
  [[noreturn]] void abortAll(int status) override { std::abort(); }

private:
  int rank_, size_;
};

TEST(DataParallelTest, RowSharesCoverTheBatchOnceFirstRanksTakeTheRemainder) {
  for (int64_t B : {1, 4, 7, 32, 33})
    for (int N = 1; N <= B && N <= 9; ++N) {
      int64_t next = 0;
      for (int r = 0; r < N; ++r) {
        RowShare s = rowShareOf(B, r, N);
        EXPECT_EQ(s.first, next) << B << " " << N << " " << r;
        EXPECT_EQ(s.count, B / N + (r < B % N ? 1 : 0));
        next += s.count;
      }
      EXPECT_EQ(next, B);
    }
}

TEST(DataParallelTest, FewerRowsThanRanksIsAnError) {
  FakeCollective job(0, 5);
  Expected<DataParallel> dp = DataParallel::create(job, 4);
  ASSERT_FALSE(dp);
  EXPECT_EQ(dp.error().message(),
            "batch 4 has fewer rows than the 5 ranks; each rank needs at least one");
}

TEST(DataParallelTest, TakesItsColumnsOfATimeMajorBatch) {
  FakeCollective job(1, 3); // B = 7: rows 3, 2, 2; rank 1 has rows 3..4
  Expected<DataParallel> dp = DataParallel::create(job, 7);
  ASSERT_TRUE(dp);
  Minibatch global;
  global.seqLen = 2;
  global.batchSize = 7;
  for (int t = 0; t < 2; ++t)
    for (int b = 0; b < 7; ++b) {
      global.inputs.push_back(10 * t + b);
      global.labels.push_back(100 + 10 * t + b);
    }
  Minibatch mine;
  dp->takeRows(global, mine);
  EXPECT_EQ(mine.batchSize, 2);
  EXPECT_EQ(mine.inputs, (std::vector<int32_t>{3, 4, 13, 14}));
  EXPECT_EQ(mine.labels, (std::vector<int32_t>{103, 104, 113, 114}));
}

TEST(DataParallelTest, SumsRowWeightedInRankOrderOnEveryRank) {
  // B = 4 over 3 ranks: weights 2/4, 1/4, 1/4. This is rank 2.
  FakeCollective job(2, 3);
  Expected<DataParallel> dp = DataParallel::create(job, 4);
  ASSERT_TRUE(dp);
  TensorBuffers grads = {{1.0f, -2.0f, 3.5f}, {0.125f}};
  float loss = 6.0f;
  dp->sumAcrossRanks(loss, grads);
  const std::vector<float> mine = {1.0f, -2.0f, 3.5f, 0.125f, 6.0f};
  const double w[3] = {0.5, 0.25, 0.25};
  auto expected = [&](int64_t i) {
    double sum = 0;
    for (int r = 0; r < 3; ++r)
      sum += w[r] * double(r == 2 ? mine[size_t(i)] : FakeCollective::peer(r, i));
    return float(sum);
  };
  EXPECT_EQ(grads[0], (std::vector<float>{expected(0), expected(1), expected(2)}));
  EXPECT_EQ(grads[1], (std::vector<float>{expected(3)}));
  EXPECT_EQ(loss, expected(4));
  EXPECT_EQ(dp->times().updates, 1);
  EXPECT_EQ(dp->times().bytesPerUpdate, 5 * 4);
}

TEST(DataParallelTest, GathersACarriedStateAndTakesItsRowsBack) {
  FakeCollective job(0, 2); // B = 3: rank 0 rows 0..1, rank 1 row 2
  Expected<DataParallel> dp = DataParallel::create(job, 3);
  ASSERT_TRUE(dp);
  TensorBuffers mine = {{1, 2, 3, 4}}; // [2 rows, 2]
  TensorBuffers global;
  dp->gatherRows(mine, global);
  ASSERT_EQ(global.size(), 1u);
  EXPECT_EQ(global[0], (std::vector<float>{1, 2, 3, 4, FakeCollective::peer(1, 0),
                                           FakeCollective::peer(1, 1)}));
  EXPECT_EQ(dp->takeRows(global), mine);
}

} // namespace
