//===- Reducer.h - Shrinking a failing model while it still fails -*- C++ -*-===//
///
/// \file
/// A greedy, C-Reduce-style reducer over the structured model: it proposes
/// smaller variants (drop a state, drop a let or a state assignment, replace
/// an expression by one of its operands or by a name of the same dimension,
/// inline a let, shrink a size, turn token input into onehot, drop the train
/// block), keeps the first variant for which `stillFails` holds (the caller
/// checks that the front end accepts it and that the same kind of mismatch
/// persists), and starts over from it, until no variant is kept or the time
/// budget is spent.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "test/differential/RandomModel.h"

#include <functional>

namespace rnnc::difftest {

struct ReduceStats {
  int attempts = 0, accepted = 0;
  double seconds = 0;
};

RandomModel reduceModel(const RandomModel &start,
                        const std::function<bool(const RandomModel &)> &stillFails,
                        double budgetSeconds, ReduceStats *stats = nullptr);

/// Size of a model (states, statements, nodes, sizes); kept variants lower it.
int64_t modelCost(const RandomModel &m);

/// Every variant of `m` the reducer tries, biggest cuts first.
std::vector<RandomModel> shrinkCandidates(const RandomModel &m);

} // namespace rnnc::difftest
