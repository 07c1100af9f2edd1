//===- DataParallel.cpp - One global minibatch split across ranks ---------===//
#include "runtime/train/DataParallel.h"

#include <algorithm>
#include <fmt/format.h>

namespace rnnc::runtime {

namespace {
/// Floats per rank per gather: MPI counts are int, and a bounded chunk
/// bounds the gather buffer (ranks x chunk) too.
constexpr int64_t kGatherChunk = int64_t(1) << 22;

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}
} // namespace

RowShare rowShareOf(int64_t globalBatch, int rank, int ranks) {
  int64_t q = globalBatch / ranks, m = globalBatch % ranks;
  RowShare share;
  share.count = q + (rank < m ? 1 : 0);
  share.first = rank * q + std::min<int64_t>(rank, m);
  return share;
}

Expected<DataParallel> DataParallel::create(parallel::Collective &collective,
                                            int64_t globalBatch) {
  if (globalBatch < collective.size())
    return Error(fmt::format("batch {} has fewer rows than the {} ranks; each "
                             "rank needs at least one",
                             globalBatch, collective.size()));
  return DataParallel(collective, globalBatch);
}

DataParallel::DataParallel(parallel::Collective &collective, int64_t globalBatch)
    : collective_(&collective), globalBatch_(globalBatch),
      share_(rowShareOf(globalBatch, collective.rank(), collective.size())) {
  for (int r = 0; r < collective.size(); ++r)
    weights_.push_back(
        static_cast<double>(rowShareOf(globalBatch, r, collective.size()).count) /
        static_cast<double>(globalBatch));
}

void DataParallel::takeRows(const Minibatch &global, Minibatch &mine) const {
  const int64_t T = global.seqLen, B = global.batchSize, Br = share_.count;
  mine.seqLen = T;
  mine.batchSize = Br;
  mine.inputs.resize(static_cast<size_t>(T * Br));
  mine.labels.resize(mine.inputs.size());
  for (int64_t t = 0; t < T; ++t)
    for (int64_t j = 0; j < Br; ++j) {
      size_t from = static_cast<size_t>(t * B + share_.first + j);
      size_t to = static_cast<size_t>(t * Br + j);
      mine.inputs[to] = global.inputs[from];
      mine.labels[to] = global.labels[from];
    }
}

void DataParallel::sumAcrossRanks(float &loss, TensorBuffers &grads) {
  auto start = std::chrono::steady_clock::now();
  if (reducedBefore_)
    times_.computeSeconds +=
        std::chrono::duration<double>(start - lastReduceEnd_).count();
  const int N = ranks();
  // The flat buffer: every gradient, then the loss.
  flat_.clear();
  for (const std::vector<float> &g : grads)
    flat_.insert(flat_.end(), g.begin(), g.end());
  flat_.push_back(loss);
  const int64_t n = static_cast<int64_t>(flat_.size());
  times_.bytesPerUpdate = n * static_cast<int64_t>(sizeof(float));

  collective_->barrier(); // what is left is the transfer, not a slow peer
  auto gatherStart = std::chrono::steady_clock::now();
  times_.waitSeconds += std::chrono::duration<double>(gatherStart - start).count();
  for (int64_t begin = 0; begin < n; begin += kGatherChunk) {
    const int64_t len = std::min(kGatherChunk, n - begin);
    gathered_.resize(static_cast<size_t>(len * N));
    collective_->allGather(flat_.data() + begin, std::vector<int64_t>(N, len),
                           gathered_.data());
    for (int64_t i = 0; i < len; ++i) {
      double sum = 0;
      for (int r = 0; r < N; ++r) // rank order, every rank alike
        sum += weights_[static_cast<size_t>(r)] *
               static_cast<double>(gathered_[static_cast<size_t>(r * len + i)]);
      flat_[static_cast<size_t>(begin + i)] = static_cast<float>(sum);
    }
  }
  size_t at = 0;
  for (std::vector<float> &g : grads) {
    std::copy(flat_.begin() + static_cast<std::ptrdiff_t>(at),
              flat_.begin() + static_cast<std::ptrdiff_t>(at + g.size()), g.begin());
    at += g.size();
  }
  loss = flat_[at];
  ++times_.updates;
  times_.reduceSeconds += secondsSince(gatherStart);
  lastReduceEnd_ = std::chrono::steady_clock::now();
  reducedBefore_ = true;
}

void DataParallel::gatherRows(const TensorBuffers &mine, TensorBuffers &global) {
  const int N = ranks();
  global.resize(mine.size());
  for (size_t s = 0; s < mine.size(); ++s) {
    const int64_t rowWidth =
        share_.count ? static_cast<int64_t>(mine[s].size()) / share_.count : 0;
    std::vector<int64_t> counts;
    for (int r = 0; r < N; ++r)
      counts.push_back(rowShareOf(globalBatch_, r, N).count * rowWidth);
    global[s].resize(static_cast<size_t>(globalBatch_ * rowWidth));
    collective_->allGather(mine[s].data(), counts, global[s].data());
  }
}

TensorBuffers DataParallel::takeRows(const TensorBuffers &global) const {
  TensorBuffers mine;
  for (const std::vector<float> &g : global) {
    const int64_t rowWidth = static_cast<int64_t>(g.size()) / globalBatch_;
    auto begin = g.begin() + static_cast<std::ptrdiff_t>(share_.first * rowWidth);
    mine.emplace_back(begin, begin + static_cast<std::ptrdiff_t>(share_.count * rowWidth));
  }
  return mine;
}

std::string DataParallel::describeSplit() const {
  const int N = ranks();
  const int64_t most = rowShareOf(globalBatch_, 0, N).count,
                fewest = rowShareOf(globalBatch_, N - 1, N).count;
  return fmt::format(
      "data parallel over {} {} ranks: batch {}, {}", N,
      collective_->transport(), globalBatch_,
      most == fewest ? fmt::format("{} rows per rank", most)
                     : fmt::format("{} rows on ranks 0 to {}, {} on the others",
                                   most, globalBatch_ % N - 1, fewest));
}

std::string DataParallel::describeTimes() const {
  const double n = static_cast<double>(std::max<int64_t>(times_.updates, 1));
  return fmt::format("data parallel over {} ranks: per update {:.2f} ms "
                     "compute, {:.2f} ms waiting for the slowest rank, {:.2f} "
                     "ms all-reduce of {:.2f} MB ({} updates)",
                     ranks(), 1e3 * times_.computeSeconds / n,
                     1e3 * times_.waitSeconds / n, 1e3 * times_.reduceSeconds / n,
                     static_cast<double>(times_.bytesPerUpdate) / 1e6,
                     times_.updates);
}

} // namespace rnnc::runtime
