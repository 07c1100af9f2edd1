//===- GradCheckRowOpsTest.cpp - Row ops and sqrt/abs vs finite differences ===//
///
/// \file
/// The normalisation ops of Ops.def (sqrt, abs, row_sum, row_max,
/// row_broadcast, layer_norm) differentiated by the autodiff pass and
/// compared with central differences of the loss, as GradCheckOpsTest does
/// for the others (tolerance 1e-6 relative, step 1e-5, double precision).
/// A reduced row is broadcast back and multiplied by a second parameter:
/// the cross-entropy of a row-constant logit has zero gradient, which would
/// check nothing. row_max's tie-breaking (the first maximum) is checked on
/// exact ties, where finite differences do not apply.
///
//===----------------------------------------------------------------------===//
#include "GradCheckSupport.h"

#include <functional>

using namespace rnnc::ir;
using namespace rnnc::testing;

namespace {

using Body = std::function<Value *(Block &, const std::vector<Value *> &)>;

const int64_t T = 2, B = 3, V = 4;

/// @forward(params of `shapes`, x) -> body(params) as logits f32[T,B,V].
std::unique_ptr<Module> forwardOf(std::vector<std::vector<int64_t>> shapes, const Body &body) {
  auto m = std::make_unique<Module>();
  Function *f = m->addFunction("forward");
  std::vector<Value *> params;
  for (size_t i = 0; i < shapes.size(); ++i)
    params.push_back(
        f->addArgument(ArgRole::Param, "p" + std::to_string(i), f32Type(shapes[i])));
  f->addArgument(ArgRole::Input, "x", i32Type({T, B}));
  f->body().create(OpKind::Return, {body(f->body(), params)}, {});
  f->resultNames = {"logits"};
  return m;
}

void checkOp(std::vector<std::vector<int64_t>> shapes, const Body &body, double lo = -1.0,
             double hi = 1.0) {
  auto m = forwardOf(std::move(shapes), body);
  checkGradients(*m, /*seed=*/5, lo, hi);
}

/// p1 * row_broadcast(reduce(p0)): a [T,B,V] logit that depends on the row.
Body reducedTimes(OpKind reduce) {
  return [reduce](Block &b, const std::vector<Value *> &p) {
    Value *r = emit(b, reduce, {p[0]});
    Value *wide = emit(b, OpKind::RowBroadcast, {r}, {{"size", V}});
    return emit(b, OpKind::Mul, {p[1], wide});
  };
}

} // namespace

TEST(GradCheckRowOps, SqrtAndAbs) {
  checkOp({{T, B, V}}, [](Block &b, const std::vector<Value *> &p) {
    return emit(b, OpKind::Sqrt, {p[0]});
  }, 0.5, 2.0);
  checkOp({{T, B, V}}, [](Block &b, const std::vector<Value *> &p) {
    return emit(b, OpKind::Abs, {p[0]});
  });
}

TEST(GradCheckRowOps, RowSumAndRowMax) {
  checkOp({{T, B, 5}, {T, B, V}}, reducedTimes(OpKind::RowSum));
  checkOp({{T, B, 5}, {T, B, V}}, reducedTimes(OpKind::RowMax));
}

TEST(GradCheckRowOps, RowBroadcastSumsItsAdjoint) {
  checkOp({{T, B, 1}, {T, B, V}}, [](Block &b, const std::vector<Value *> &p) {
    return emit(b, OpKind::Mul, {p[1], emit(b, OpKind::RowBroadcast, {p[0]}, {{"size", V}})});
  });
}

TEST(GradCheckRowOps, LayerNorm) {
  checkOp({{T, B, V}, {T, B, V}}, [](Block &b, const std::vector<Value *> &p) {
    Value *n = emit(b, OpKind::LayerNorm, {p[0]}, {{"epsilon", 1e-5}});
    return emit(b, OpKind::Mul, {p[1], n});
  });
  // A large epsilon weighs in the variance term.
  checkOp({{T, B, V}, {T, B, V}}, [](Block &b, const std::vector<Value *> &p) {
    Value *n = emit(b, OpKind::LayerNorm, {p[0]}, {{"epsilon", 0.5}});
    return emit(b, OpKind::Mul, {p[1], n});
  });
}

TEST(GradCheckRowOps, RowMaxTiesGoToTheFirstMaximum) {
  // logits = row_broadcast(row_max(p0)) * p1; p0's rows hold ties.
  auto m = forwardOf({{T, B, 5}, {T, B, V}}, reducedTimes(OpKind::RowMax));
  {
    auto built = rnnc::passes::buildTrainStep(*m);
    ASSERT_TRUE(bool(built)) << built.error().message();
  }
  const Function &ts = *m->function("train_step");
  std::vector<Tensor> args = rnnc::fixtures::randomArguments(ts, V, 3, -1.0, 1.0);
  unsigned p0 = 0;
  while (ts.body().argument(p0)->name() != "p0")
    ++p0;
  Tensor &x = args[p0];
  const int64_t rows = T * B, n = 5;
  for (int64_t r = 0; r < rows; ++r) // the maximum 2 at columns r % 4 and 4
    for (int64_t j = 0; j < n; ++j)
      x.data[r * n + j] = j == r % 4 || j == 4 ? 2.0 : -0.25 * j;
  auto out = interpret(ts, args);
  ASSERT_TRUE(out) << out.error().message();
  // The interpreter, then the JIT (rnnc_row_max_grad) on the same ties.
  std::vector<Tensor> jit = rnnc::fixtures::runJIT(ts, args);
  ASSERT_EQ(jit.size(), out->size());
  for (const std::vector<Tensor> *results : {&*out, &jit}) {
    SCOPED_TRACE(results == &jit ? "jit" : "interpreter");
    const Tensor *grad = nullptr;
    for (unsigned i = 0; i < ts.resultNames.size(); ++i)
      if (ts.resultNames[i] == "grad.p0")
        grad = &(*results)[i];
    ASSERT_NE(grad, nullptr);
    for (int64_t r = 0; r < rows; ++r) {
      double total = 0;
      for (int64_t j = 0; j < n; ++j) {
        double g = grad->data[r * n + j];
        total += std::fabs(g);
        if (j != r % 4) {
          EXPECT_EQ(g, 0.0) << "row " << r << " column " << j;
        }
      }
      EXPECT_GT(total, 0.0) << "row " << r << ": the first maximum gets the gradient";
    }
  }
}
