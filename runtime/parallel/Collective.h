//===- Collective.h - What data-parallel training needs of MPI --*- C++ -*-===//
///
/// \file
/// The few collective operations data-parallel training uses, behind an
/// interface with two implementations: one process (`SingleProcess`, here,
/// header-only, so runtime/train/ and the C API need no MPI and no link
/// dependency) and MPI (`MpiCollective.cpp`, built when CMake finds MPI and
/// RNNC_MPI is on). The trainer's data-parallel logic
/// (runtime/train/DataParallel.h) is written once against this interface.
///
/// There is deliberately no all-reduce: MPI_Allreduce may pick a different
/// summation order from run to run (its algorithm depends on message size,
/// topology and tuning), and the sum of floats depends on the order. The
/// trainer gathers every rank's buffer instead and sums in rank order, so a
/// fixed number of ranks gives bit-identical runs.
///
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace rnnc::parallel {

class Collective {
public:
  virtual ~Collective() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// Ranks on this machine (to share its cores among them).
  virtual int localSize() const = 0;
  bool isRoot() const { return rank() == 0; }
  /// What carries the ranks' messages, for messages ("MPI", "one process").
  virtual std::string transport() const = 0;

  /// Every rank's `counts[rank]` floats at `mine`, concatenated in rank
  /// order into `all` (sum of `counts` floats) on every rank.
  virtual void allGather(const float *mine, const std::vector<int64_t> &counts,
                         float *all) = 0;
  /// Returns once every rank has called it.
  virtual void barrier() = 0;
  /// Ends every rank now with `status` (the caller printed why).
  [[noreturn]] virtual void abortAll(int status) = 0;
};

/// The degenerate case: one rank, nothing to exchange.
class SingleProcess final : public Collective {
public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int localSize() const override { return 1; }
  std::string transport() const override { return "one process"; }
  void allGather(const float *mine, const std::vector<int64_t> &counts,
                 float *all) override {
    std::memcpy(all, mine, static_cast<size_t>(counts.at(0)) * sizeof(float));
  }
  void barrier() override {}
  [[noreturn]] void abortAll(int status) override { std::_Exit(status); }
};

} // namespace rnnc::parallel
