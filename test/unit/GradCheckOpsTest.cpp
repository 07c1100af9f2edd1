//===- GradCheckOpsTest.cpp - Every op's adjoint vs finite differences ----===//
///
/// \file
/// For each differentiable op of Ops.def, a one- or two-op @forward is
/// differentiated by the autodiff pass and every parameter gradient of the
/// resulting @train_step is compared with central differences of the loss
/// (tolerance 1e-6 relative, step 1e-5, double precision). Broadcasting in
/// both operand orders and a value used twice (adjoints add up) included.
///
//===----------------------------------------------------------------------===//
#include "GradCheckSupport.h"

#include <functional>

using namespace rnnc::ir;
using namespace rnnc::testing;

namespace {

using Body = std::function<Value *(Block &, const std::vector<Value *> &, Value *x)>;

/// @forward(params of `shapes`, x: i32[T,B]) returns `body`'s logits
/// f32[T,B,V]; then checks its gradients.
void checkOp(std::vector<std::vector<int64_t>> shapes, int64_t T, int64_t B,
             const Body &body, double lo = -1.0, double hi = 1.0) {
  Module m;
  Function *f = m.addFunction("forward");
  std::vector<Value *> params;
  for (size_t i = 0; i < shapes.size(); ++i)
    params.push_back(
        f->addArgument(ArgRole::Param, "p" + std::to_string(i), f32Type(shapes[i])));
  Value *x = f->addArgument(ArgRole::Input, "x", i32Type({T, B}));
  Value *logits = body(f->body(), params, x);
  f->body().create(OpKind::Return, {logits}, {});
  f->resultNames = {"logits"};
  checkGradients(m, /*seed=*/3, lo, hi);
}

const int64_t T = 2, B = 3, V = 4;

Body unary(OpKind k) {
  return [k](Block &b, const std::vector<Value *> &p, Value *) {
    return emit(b, k, {p[0]});
  };
}
Body binary(OpKind k, bool swap) {
  return [k, swap](Block &b, const std::vector<Value *> &p, Value *) {
    return swap ? emit(b, k, {p[1], p[0]}) : emit(b, k, {p[0], p[1]});
  };
}

} // namespace

TEST(GradCheckOps, ElementwiseUnary) {
  for (OpKind k : {OpKind::Neg, OpKind::Tanh, OpKind::Sigmoid, OpKind::Relu,
                   OpKind::Exp}) {
    SCOPED_TRACE(opKindName(k));
    checkOp({{T, B, V}}, T, B, unary(k));
  }
  checkOp({{T, B, V}}, T, B, unary(OpKind::Log), 0.5, 2.0);
}

TEST(GradCheckOps, ElementwiseBinaryWithBroadcasting) {
  for (OpKind k : {OpKind::Add, OpKind::Sub, OpKind::Mul, OpKind::Div})
    for (bool swap : {false, true})
      for (std::vector<int64_t> small :
           {std::vector<int64_t>{T, B, V}, {V}, {B, V}, {}}) {
        SCOPED_TRACE(std::string(opKindName(k)) + (swap ? " swapped" : "") +
                     " rank " + std::to_string(small.size()));
        // Positive values keep div away from zero.
        checkOp({{T, B, V}, small}, T, B, binary(k, swap), 0.5, 2.0);
      }
}

TEST(GradCheckOps, ValueUsedTwiceSumsItsAdjoints) {
  checkOp({{T, B, V}}, T, B, [](Block &b, const std::vector<Value *> &p, Value *) {
    Value *sq = emit(b, OpKind::Mul, {p[0], p[0]});
    return emit(b, OpKind::Add, {sq, emit(b, OpKind::Tanh, {p[0]})});
  });
}

TEST(GradCheckOps, MatMulFamily) {
  const int64_t K = 5;
  checkOp({{T, B, K}, {K, V}}, T, B, binary(OpKind::MatMul, false));
  checkOp({{T, B, K}, {V, K}}, T, B, binary(OpKind::MatMulNT, false));
  // matmul_tn gives [B, V]; broadcast it into [T, B, V] logits.
  checkOp({{T, B, V}, {K, B}, {K, V}}, T, B,
          [](Block &b, const std::vector<Value *> &p, Value *) {
            return emit(b, OpKind::Add, {p[0], emit(b, OpKind::MatMulTN, {p[1], p[2]})});
          });
}

TEST(GradCheckOps, OneHotGatherScatterAdd) {
  // onehot(x) @ W: x has no gradient, W has.
  checkOp({{V, V}}, T, B, [](Block &b, const std::vector<Value *> &p, Value *x) {
    return emit(b, OpKind::MatMul, {emit(b, OpKind::OneHot, {x}, {{"depth", V}}), p[0]});
  });
  checkOp({{V, V}}, T, B, [](Block &b, const std::vector<Value *> &p, Value *x) {
    return emit(b, OpKind::Gather, {p[0], x});
  });
  // scatter_add(x, src) {rows = V} is [V, E]; logits [T, V, E] with B = V.
  checkOp({{T, V, 3}, {T, V, 3}}, T, V,
          [](Block &b, const std::vector<Value *> &p, Value *x) {
            Value *s = emit(b, OpKind::ScatterAdd, {x, p[1]}, {{"rows", V}});
            return emit(b, OpKind::Mul, {p[0], s});
          });
}

TEST(GradCheckOps, ConcatSlicePad) {
  checkOp({{T, B, 1}, {T, B, V - 1}}, T, B,
          [](Block &b, const std::vector<Value *> &p, Value *) {
            return emit(b, OpKind::Concat, {p[0], p[1]});
          });
  checkOp({{T, B, 2}}, T, B, [](Block &b, const std::vector<Value *> &p, Value *) {
    return emit(b, OpKind::Concat, {p[0], p[0]}); // same value twice
  });
  checkOp({{T, B, V + 3}}, T, B, [](Block &b, const std::vector<Value *> &p, Value *) {
    return emit(b, OpKind::Slice, {p[0]}, {{"begin", int64_t(1)}, {"end", V + 1}});
  });
  checkOp({{T, B, V}, {T, B, 2}}, T, B,
          [](Block &b, const std::vector<Value *> &p, Value *) {
            Value *pad = emit(b, OpKind::Pad, {p[1]}, {{"begin", int64_t(1)}, {"size", V}});
            return emit(b, OpKind::Add, {p[0], pad});
          });
}

TEST(GradCheckOps, ReduceSumOverLeadingAxes) {
  checkOp({{2, T, B, V}}, T, B, [](Block &b, const std::vector<Value *> &p, Value *) {
    return emit(b, OpKind::ReduceSum, {p[0]}, {{"axes", std::vector<int64_t>{0}}});
  });
  checkOp({{T, B, V}, {2, 3, V}}, T, B,
          [](Block &b, const std::vector<Value *> &p, Value *) {
            Value *r = emit(b, OpKind::ReduceSum, {p[1]},
                            {{"axes", std::vector<int64_t>{0, 1}}});
            return emit(b, OpKind::Mul, {p[0], r});
          });
}

TEST(GradCheckOps, ConstantOperandGetsNoGradient) {
  checkOp({{T, B, V}}, T, B, [](Block &b, const std::vector<Value *> &p, Value *) {
    Value *c = b.create(OpKind::Constant, {}, {f32Type({V})}, {{"value", 0.25}})->result();
    return emit(b, OpKind::Mul, {p[0], c});
  });
}
