//===- CodegenRandomTest.cpp - Random op graphs, JIT vs interpreter -------===//
///
/// \file
/// Seeded random functions over a pool of values with mixed shapes (so
/// broadcasting, one-hot folding, constant inlining, concat/slice/pad and
/// every reduce_sum path meet in combinations no hand-written test lists).
/// Each op is kept only if ir::Builder accepts its operands; each
/// function is compared with the interpreter within 1e-4 + 1e-4·|ref|.
/// Ops whose f32 error is unbounded on arbitrary inputs (div, log, exp) are
/// left to CodegenTest.cpp. The same graphs after fuse-elementwise (whose
/// groups must stay acyclic among slices, pads and products) keep their
/// interpreter results and match the interpreter when JIT-ed.
///
//===----------------------------------------------------------------------===//
#include "CodegenTestUtil.h"
#include "PassTestUtil.h"

#include "ir/Builder.h"

#include <cstdlib>
#include <map>
#include <random>

using namespace rnnc;
using namespace rnnc::codegen_test;
using namespace rnnc::fixtures;

namespace {

ir::TensorType f32(std::vector<int64_t> shape) {
  std::vector<ir::Dim> dims;
  for (int64_t s : shape)
    dims.push_back({s, ""});
  return ir::TensorType::f32(dims);
}

/// Builds `@f` with `numOps` random ops; returns the values nobody uses.
void buildRandomFunction(ir::Function &fn, unsigned seed, int numOps) {
  std::mt19937 rng(seed);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  std::vector<ir::Value *> pool{
      fn.addArgument(ir::ArgRole::Input, "a", f32({2, 3, 4})),
      fn.addArgument(ir::ArgRole::Input, "b", f32({3, 4})),
      fn.addArgument(ir::ArgRole::Input, "c", f32({4})),
      fn.addArgument(ir::ArgRole::Input, "s", f32({})),
      fn.addArgument(ir::ArgRole::Param, "w", f32({4, 4})),
      fn.addArgument(ir::ArgRole::Input, "idx",
                     ir::TensorType::i32({{2, ""}, {3, ""}}))};
  ir::Value *idx = pool.back();
  pool.pop_back(); // index operands are chosen explicitly
  const ir::OpKind kinds[] = {
      ir::OpKind::Neg,    ir::OpKind::Tanh,      ir::OpKind::Sigmoid,
      ir::OpKind::Relu,   ir::OpKind::Step,      ir::OpKind::Add,
      ir::OpKind::Sub,    ir::OpKind::Mul,       ir::OpKind::MatMul,
      ir::OpKind::MatMulNT, ir::OpKind::MatMulTN, ir::OpKind::OneHot,
      ir::OpKind::Gather, ir::OpKind::Concat,    ir::OpKind::Slice,
      ir::OpKind::Pad,    ir::OpKind::ReduceSum, ir::OpKind::Constant};
  int made = 0;
  for (int attempt = 0; made < numOps && attempt < numOps * 50; ++attempt) {
    ir::OpKind kind = kinds[pick(std::size(kinds))];
    std::vector<ir::Value *> operands;
    ir::AttributeMap attrs;
    ir::Value *x = pool[pick(pool.size())];
    int64_t width = x->type().rank() ? x->type().dim(x->type().rank() - 1) : 0;
    switch (kind) {
    case ir::OpKind::OneHot:
      operands = {idx};
      attrs["depth"] = int64_t{4};
      break;
    case ir::OpKind::Gather: // ids are < 4: the table needs 4 rows
      if (x->type().rank() != 2 || x->type().dim(0) < 4)
        continue;
      operands = {x, idx};
      break;
    case ir::OpKind::Slice: {
      if (width < 2)
        continue;
      int64_t begin = static_cast<int64_t>(pick(static_cast<size_t>(width - 1)));
      operands = {x};
      attrs["begin"] = begin;
      attrs["end"] = begin + 1 + static_cast<int64_t>(pick(static_cast<size_t>(width - begin)));
      break;
    }
    case ir::OpKind::Pad:
      operands = {x};
      attrs["begin"] = int64_t{1};
      attrs["size"] = width + 3;
      break;
    case ir::OpKind::ReduceSum: {
      std::vector<int64_t> axes;
      for (int64_t i = 0; i < static_cast<int64_t>(x->type().rank()); ++i)
        if (rng() % 2)
          axes.push_back(i);
      operands = {x};
      attrs["axes"] = axes;
      break;
    }
    case ir::OpKind::Concat:
      operands = {x, pool[pick(pool.size())], pool[pick(pool.size())]};
      break;
    case ir::OpKind::Constant:
      attrs["value"] = static_cast<double>(static_cast<int>(pick(7)) - 3) * 0.25;
      break;
    default:
      operands = {x};
      if (!ir::isElementwiseUnary(kind))
        operands.push_back(pool[pick(pool.size())]);
    }
    ir::Builder b(fn.body());
    ir::Value *v = kind == ir::OpKind::Constant
                       ? b.constant(pool[pick(pool.size())]->type(), attrs.at("value"))
                       : b.create(kind, operands, attrs);
    if (!v)
      continue;
    pool.push_back(v);
    ++made;
  }
  std::vector<ir::Value *> results;
  for (ir::Value *v : pool)
    if (!v->hasUses() && v->definingOp())
      results.push_back(v);
  for (size_t i = 0; i < results.size(); ++i)
    fn.resultNames.push_back("r" + std::to_string(i));
  ir::Builder(fn.body()).returnValues(results);
}

} // namespace

TEST(CodegenRandom, GraphsMatchInterpreter) {
  // RNNC_RANDOM_GRAPHS=N runs more seeds locally; the suite runs 40.
  const char *count = std::getenv("RNNC_RANDOM_GRAPHS");
  unsigned seeds = count ? static_cast<unsigned>(std::atoi(count)) : 40;
  std::map<std::string, int> opsSeen;
  for (unsigned seed = 1; seed <= seeds; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    ir::Function fn("f");
    buildRandomFunction(fn, seed, 14);
    for (const auto &op : fn.body().operations())
      ++opsSeen[op->name()];
    ASSERT_GT(fn.body().terminator()->numOperands(), 0u);
    checkAgainstInterpreter(fn, 4);
    if (HasFailure())
      return; // one failing seed is enough to debug
  }
  // The generator must actually reach every op it lists.
  EXPECT_EQ(opsSeen.size(), 19u); // 18 kinds + return
}

TEST(CodegenRandom, FusedGraphsMatchInterpreter) {
  const char *count = std::getenv("RNNC_RANDOM_GRAPHS");
  unsigned seeds = count ? static_cast<unsigned>(std::atoi(count)) : 40;
  int fusions = 0, withProduct = 0;
  for (unsigned seed = 1; seed <= seeds; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    ir::Module before, after;
    buildRandomFunction(*before.addFunction("f"), seed, 20);
    buildRandomFunction(*after.addFunction("f"), seed, 20);
    ASSERT_TRUE(pass_test::runPassList(after, {"fuse-elementwise"}));
    const ir::Function &fused = *after.function("f");
    for (const auto &op : fused.body().operations())
      if (op->kind() == ir::OpKind::Fusion) {
        ++fusions;
        withProduct += ir::isMatrixProduct(op->body().operations().front()->kind());
      }
    pass_test::expectSameResults(*before.function("f"), fused, 4, 1.5);
    checkAgainstInterpreter(fused, 4);
    if (HasFailure())
      return;
  }
  EXPECT_GT(fusions, 0);
  EXPECT_GT(withProduct, 0);
}
