//===- PassTestUtil.h - Interpreter checks for the optimising passes -*- C++ -*-===//
///
/// \file
/// Runs a list of passes over a copy of a model's train step (loaded by
/// test/support/Examples.h), and compares every result of @forward and
/// @train_step before and after in the double-precision interpreter
/// (|after - before| <= 1e-9 · max(|before|, 1e-3 · largest |before| of
/// that result): reassociated sums differ by rounding only).
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Diagnostics.h"
#include "ir/Interpreter.h"
#include "passes/Pipeline.h"
#include "test/support/Arguments.h"
#include "test/support/Examples.h"

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include <functional>

namespace rnnc::pass_test {

inline bool runPassList(ir::Module &module, const std::vector<std::string> &names) {
  std::ostringstream diagText;
  DiagnosticEngine diags(nullptr, diagText);
  bool ok = bool(passes::runPasses(module, names, diags, nullptr));
  EXPECT_TRUE(ok) << diagText.str();
  return ok;
}

/// Every op of `fn`, nested ones included, with its nesting depth.
inline void forEachOp(const ir::Function &fn,
                      const std::function<void(const ir::Operation &, int)> &visit) {
  std::vector<std::pair<const ir::Block *, int>> work{{&fn.body(), 0}};
  while (!work.empty()) {
    auto [block, depth] = work.back();
    work.pop_back();
    for (const auto &op : block->operations()) {
      visit(*op, depth);
      for (const auto &region : op->regions())
        work.push_back({region.get(), depth + 1});
    }
  }
}

inline int countOps(const ir::Function &fn, ir::OpKind kind, int minDepth = 0) {
  int n = 0;
  forEachOp(fn, [&](const ir::Operation &op, int depth) {
    n += op.kind() == kind && depth >= minDepth;
  });
  return n;
}

/// Interprets `before` and `after` on the same random arguments (three
/// seeds) and expects equal results; returns the number of compared values.
inline size_t expectSameResults(const ir::Function &before, const ir::Function &after,
                                int64_t tokenLimit, double w) {
  size_t compared = 0;
  for (uint64_t seed : {7u, 8u, 9u}) {
    std::vector<ir::Tensor> args = fixtures::randomArguments(before, tokenLimit, seed, -w, w);
    auto ref = ir::interpret(before, args);
    EXPECT_TRUE(ref) << ref.error().message();
    auto got = ir::interpret(after, args);
    EXPECT_TRUE(got) << got.error().message();
    if (!ref || !got)
      return compared;
    EXPECT_EQ(ref->size(), got->size());
    for (size_t r = 0; r < std::min(ref->size(), got->size()); ++r) {
      const auto &a = (*ref)[r].data, &b = (*got)[r].data;
      EXPECT_EQ((*ref)[r].shape, (*got)[r].shape) << before.resultNames[r];
      if (a.size() != b.size())
        continue;
      double largest = 0;
      for (double v : a)
        largest = std::max(largest, std::fabs(v));
      int bad = 0;
      for (size_t i = 0; i < a.size(); ++i, ++compared)
        if (std::fabs(a[i] - b[i]) > 1e-9 * std::max(std::fabs(a[i]), 1e-3 * largest) &&
            ++bad <= 3)
          ADD_FAILURE() << before.name() << " result " << before.resultNames[r]
                        << " element " << i << ": " << a[i] << " before, " << b[i]
                        << " after";
    }
  }
  return compared;
}

/// Loads `file` twice (V = 11, B = 3, T = 5), runs `passes` on one copy and
/// expects @forward and @train_step to agree with the untouched copy;
/// returns the transformed module (null if loading or a pass failed).
inline std::unique_ptr<ir::Module>
expectPassesKeepResults(const std::string &file, const std::vector<std::string> &passes,
                        double weightRange) {
  auto before = fixtures::loadTrainStep(file, {11, 3, 5});
  auto after = fixtures::loadTrainStep(file, {11, 3, 5});
  if (!before || !after || !runPassList(*after, passes))
    return nullptr;
  for (const char *name : {"forward", "train_step"}) {
    SCOPED_TRACE(name);
    const ir::Function *a = before->function(name), *b = after->function(name);
    EXPECT_TRUE(a && b);
    if (a && b) {
      EXPECT_GT(expectSameResults(*a, *b, 11, weightRange), 0u);
    }
  }
  return after;
}

} // namespace rnnc::pass_test
