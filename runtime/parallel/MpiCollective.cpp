//===- MpiCollective.cpp - The collective over MPI ------------------------===//
///
/// \file
/// Collective on MPI_COMM_WORLD. Only the main thread calls MPI (the
/// kernels' worker threads never do), so MPI_THREAD_FUNNELED is enough.
/// Errors are fatal (MPI's default handler): a broken peer ends the job.
///
//===----------------------------------------------------------------------===//
#include "runtime/parallel/Collective.h"

#include <climits>
#include <cstdio>
#include <memory>
#include <mpi.h>

namespace rnnc::parallel {

namespace {
class MpiCollective final : public Collective {
public:
  MpiCollective() {
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    MPI_Comm local;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_,
                        MPI_INFO_NULL, &local);
    MPI_Comm_size(local, &localSize_);
    MPI_Comm_free(&local);
  }
  ~MpiCollective() override { MPI_Finalize(); }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int localSize() const override { return localSize_; }
  std::string transport() const override { return "MPI"; }

  void allGather(const float *mine, const std::vector<int64_t> &counts,
                 float *all) override {
    std::vector<int> intCounts(counts.size()), displacements(counts.size());
    int64_t offset = 0;
    for (size_t r = 0; r < counts.size(); ++r) {
      // MPI counts are int; the trainer gathers in chunks far below that.
      if (counts[r] > INT_MAX || offset > INT_MAX) {
        std::fprintf(stderr, "rnnc: error: a gather of more than 2^31 "
                             "floats per call\n");
        abortAll(1);
      }
      intCounts[r] = static_cast<int>(counts[r]);
      displacements[r] = static_cast<int>(offset);
      offset += counts[r];
    }
    MPI_Allgatherv(mine, intCounts[static_cast<size_t>(rank_)], MPI_FLOAT, all,
                   intCounts.data(), displacements.data(), MPI_FLOAT,
                   MPI_COMM_WORLD);
  }

  void barrier() override { MPI_Barrier(MPI_COMM_WORLD); }

  [[noreturn]] void abortAll(int status) override {
    std::fflush(stdout);
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, status);
    std::_Exit(status); // MPI_Abort does not return; if it did, still end
  }

private:
  int rank_ = 0, size_ = 1, localSize_ = 1;
};
} // namespace

std::unique_ptr<Collective> makeMpiCollective() {
  return std::make_unique<MpiCollective>();
}

} // namespace rnnc::parallel
