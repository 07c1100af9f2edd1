//===- InterpreterTest.cpp - Every op of the reference interpreter --------===//
///
/// \file
/// One small test per op of Ops.def: a function with a single op is built by
/// hand and run on a few values whose results are worked out in the test.
/// Also: scan forward and reverse, shape and token-range errors.
///
//===----------------------------------------------------------------------===//
#include "ir/Interpreter.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace rnnc::ir;

namespace {

std::vector<Dim> dims(std::vector<int64_t> shape) {
  std::vector<Dim> d;
  for (int64_t s : shape)
    d.push_back(Dim{s, ""});
  return d;
}
TensorType f32(std::vector<int64_t> s) { return TensorType::f32(dims(s)); }
TensorType i32(std::vector<int64_t> s) { return TensorType::i32(dims(s)); }

/// A function `@f` whose arguments have `argTypes`, applying one op of kind
/// `kind` with `attrs` and returning its single result of type `resultType`.
struct OneOp {
  Function fn{"f"};
  OneOp(OpKind kind, std::vector<TensorType> argTypes, TensorType resultType,
        AttributeMap attrs = {}) {
    std::vector<Value *> operands;
    for (size_t i = 0; i < argTypes.size(); ++i)
      operands.push_back(
          fn.addArgument(ArgRole::Input, "a" + std::to_string(i), argTypes[i]));
    Operation *op = fn.body().create(kind, operands, {resultType}, attrs);
    fn.body().create(OpKind::Return, {op->result()}, {});
  }
  Tensor run(std::vector<Tensor> args) {
    auto r = interpret(fn, args);
    EXPECT_TRUE(r) << r.error().message();
    return r ? (*r)[0] : Tensor();
  }
  std::string error(std::vector<Tensor> args) {
    auto r = interpret(fn, args);
    EXPECT_FALSE(r);
    return r ? std::string() : r.error().message();
  }
};

void expectNear(const Tensor &t, std::vector<int64_t> shape,
                std::vector<double> data, double tol = 1e-12) {
  EXPECT_EQ(t.shape, shape);
  ASSERT_EQ(t.data.size(), data.size());
  for (size_t i = 0; i < data.size(); ++i)
    EXPECT_NEAR(t.data[i], data[i], tol) << "element " << i;
}

} // namespace

TEST(Interpreter, Constant) {
  OneOp f(OpKind::Constant, {}, f32({2}), {{"value", 1.5}});
  expectNear(f.run({}), {2}, {1.5, 1.5});
}

TEST(Interpreter, ElementwiseUnary) {
  std::vector<double> x{-1.0, 0.0, 2.0};
  struct Case {
    OpKind kind;
    std::vector<double> want;
  } cases[] = {
      {OpKind::Neg, {1.0, 0.0, -2.0}},
      {OpKind::Tanh, {std::tanh(-1.0), 0.0, std::tanh(2.0)}},
      {OpKind::Sigmoid, {1 / (1 + std::exp(1.0)), 0.5, 1 / (1 + std::exp(-2.0))}},
      {OpKind::Relu, {0.0, 0.0, 2.0}},
      {OpKind::Exp, {std::exp(-1.0), 1.0, std::exp(2.0)}},
      {OpKind::Step, {0.0, 0.0, 1.0}},
  };
  for (const Case &c : cases) {
    OneOp f(c.kind, {f32({3})}, f32({3}));
    expectNear(f.run({Tensor({3}, x)}), {3}, c.want);
  }
  OneOp log(OpKind::Log, {f32({2})}, f32({2}));
  expectNear(log.run({Tensor({2}, {1.0, std::exp(2.0)})}), {2}, {0.0, 2.0});
}

TEST(Interpreter, BinaryBroadcastsSuffixAndScalar) {
  OneOp add(OpKind::Add, {f32({2, 2}), f32({2})}, f32({2, 2}));
  expectNear(add.run({Tensor({2, 2}, {1, 2, 3, 4}), Tensor({2}, {10, 20})}), {2, 2},
             {11, 22, 13, 24});
  OneOp sub(OpKind::Sub, {f32({}), f32({3})}, f32({3}));
  expectNear(sub.run({Tensor::scalar(1), Tensor({3}, {1, 2, 3})}), {3}, {0, -1, -2});
  OneOp mul(OpKind::Mul, {f32({2}), f32({2})}, f32({2}));
  expectNear(mul.run({Tensor({2}, {3, 4}), Tensor({2}, {5, 6})}), {2}, {15, 24});
  OneOp div(OpKind::Div, {f32({2}), f32({})}, f32({2}));
  expectNear(div.run({Tensor({2}, {3, 4}), Tensor::scalar(2)}), {2}, {1.5, 2});
}

TEST(Interpreter, BinaryRejectsNonSuffixShapes) {
  OneOp add(OpKind::Add, {f32({2, 3}), f32({2})}, f32({2, 3}));
  EXPECT_NE(add.error({Tensor::filled({2, 3}), Tensor::filled({2})}).find("broadcast"),
            std::string::npos);
}

TEST(Interpreter, MatMulFamily) {
  // a = [[1,2],[3,4]], b = [[5,6],[7,8]].
  Tensor a({2, 2}, {1, 2, 3, 4}), b({2, 2}, {5, 6, 7, 8});
  OneOp mm(OpKind::MatMul, {f32({2, 2}), f32({2, 2})}, f32({2, 2}));
  expectNear(mm.run({a, b}), {2, 2}, {19, 22, 43, 50});
  OneOp nt(OpKind::MatMulNT, {f32({2, 2}), f32({2, 2})}, f32({2, 2}));
  expectNear(nt.run({a, b}), {2, 2}, {17, 23, 39, 53}); // a·bᵀ
  OneOp tn(OpKind::MatMulTN, {f32({2, 2}), f32({2, 2})}, f32({2, 2}));
  expectNear(tn.run({a, b}), {2, 2}, {26, 30, 38, 44}); // aᵀ·b
  // Leading axes of the left operand are rows: [1,2,2]·[2,1] -> [1,2,1].
  OneOp mm3(OpKind::MatMul, {f32({1, 2, 2}), f32({2, 1})}, f32({1, 2, 1}));
  expectNear(mm3.run({Tensor({1, 2, 2}, {1, 2, 3, 4}), Tensor({2, 1}, {1, 1})}),
             {1, 2, 1}, {3, 7});
  // matmul_tn over rank-3 operands sums all rows.
  OneOp tn3(OpKind::MatMulTN, {f32({2, 1, 1}), f32({2, 1, 2})}, f32({1, 2}));
  expectNear(tn3.run({Tensor({2, 1, 1}, {1, 2}), Tensor({2, 1, 2}, {1, 2, 3, 4})}),
             {1, 2}, {7, 10});
  OneOp bad(OpKind::MatMul, {f32({2, 3}), f32({2, 2})}, f32({2, 2}));
  EXPECT_NE(bad.error({Tensor::filled({2, 3}), b}).find("matmul"), std::string::npos);
}

TEST(Interpreter, OneHotGatherScatterAdd) {
  OneOp oh(OpKind::OneHot, {i32({2})}, f32({2, 3}), {{"depth", int64_t(3)}});
  expectNear(oh.run({Tensor({2}, {2, 0})}), {2, 3}, {0, 0, 1, 1, 0, 0});
  EXPECT_NE(oh.error({Tensor({2}, {3, 0})}).find("out of range"), std::string::npos);
  EXPECT_NE(oh.error({Tensor({2}, {-1, 0})}).find("out of range"), std::string::npos);

  OneOp g(OpKind::Gather, {f32({3, 2}), i32({2})}, f32({2, 2}));
  Tensor table({3, 2}, {1, 2, 3, 4, 5, 6});
  expectNear(g.run({table, Tensor({2}, {2, 0})}), {2, 2}, {5, 6, 1, 2});
  EXPECT_NE(g.error({table, Tensor({2}, {7, 0})}).find("out of range"),
            std::string::npos);

  OneOp s(OpKind::ScatterAdd, {i32({3}), f32({3, 2})}, f32({3, 2}),
          {{"rows", int64_t(3)}});
  expectNear(s.run({Tensor({3}, {1, 0, 1}), Tensor({3, 2}, {1, 2, 3, 4, 5, 6})}),
             {3, 2}, {3, 4, 6, 8, 0, 0});
}

TEST(Interpreter, ConcatSlicePad) {
  OneOp c(OpKind::Concat, {f32({2, 1}), f32({2, 2})}, f32({2, 3}));
  expectNear(c.run({Tensor({2, 1}, {1, 2}), Tensor({2, 2}, {3, 4, 5, 6})}), {2, 3},
             {1, 3, 4, 2, 5, 6});
  OneOp s(OpKind::Slice, {f32({2, 3})}, f32({2, 2}),
          {{"begin", int64_t(1)}, {"end", int64_t(3)}});
  expectNear(s.run({Tensor({2, 3}, {1, 2, 3, 4, 5, 6})}), {2, 2}, {2, 3, 5, 6});
  OneOp p(OpKind::Pad, {f32({2, 1})}, f32({2, 3}),
          {{"begin", int64_t(1)}, {"size", int64_t(3)}});
  expectNear(p.run({Tensor({2, 1}, {7, 8})}), {2, 3}, {0, 7, 0, 0, 8, 0});
}

TEST(Interpreter, ReduceSum) {
  Tensor x({2, 3}, {1, 2, 3, 4, 5, 6});
  OneOp r0(OpKind::ReduceSum, {f32({2, 3})}, f32({3}),
           {{"axes", std::vector<int64_t>{0}}});
  expectNear(r0.run({x}), {3}, {5, 7, 9});
  OneOp r1(OpKind::ReduceSum, {f32({2, 3})}, f32({2}),
           {{"axes", std::vector<int64_t>{1}}});
  expectNear(r1.run({x}), {2}, {6, 15});
  OneOp all(OpKind::ReduceSum, {f32({2, 3})}, f32({}),
            {{"axes", std::vector<int64_t>{0, 1}}});
  expectNear(all.run({x}), {}, {21});
}

TEST(Interpreter, CrossEntropyAndGrad) {
  // Two positions, three classes.
  Tensor logits({2, 3}, {0, 0, 0, 1, 2, 3}), labels({2}, {1, 2});
  double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  double loss = (std::log(3.0) + (std::log(z) - 3.0)) / 2;
  OneOp ce(OpKind::CrossEntropy, {f32({2, 3}), i32({2})}, f32({}));
  expectNear(ce.run({logits, labels}), {}, {loss});
  OneOp g(OpKind::CrossEntropyGrad, {f32({2, 3}), i32({2}), f32({})}, f32({2, 3}));
  double d = 2.0; // dloss, divided by 2 positions
  expectNear(g.run({logits, labels, Tensor::scalar(d)}), {2, 3},
             {1.0 / 3, 1.0 / 3 - 1, 1.0 / 3, std::exp(1.0) / z,
              std::exp(2.0) / z, std::exp(3.0) / z - 1});
  EXPECT_NE(ce.error({logits, Tensor({2}, {3, 0})}).find("out of range"),
            std::string::npos);
}

TEST(Interpreter, DeclaredShapeMismatchIsAnError) {
  OneOp neg(OpKind::Neg, {f32({2})}, f32({3}));
  EXPECT_NE(neg.error({Tensor::filled({2})}).find("declared"), std::string::npos);
  EXPECT_NE(neg.error({Tensor::filled({4})}).find("argument"), std::string::npos);
}

namespace {
/// scan(c0: [1], xs: [3,1], w: [1]) { c' = c * w + x; yield c', c' } as
/// forward or reverse: a running sum with a weight.
struct RunningSum {
  Function fn{"f"};
  explicit RunningSum(bool reverse) {
    Value *c0 = fn.addArgument(ArgRole::State, "c", f32({1}));
    Value *xs = fn.addArgument(ArgRole::Input, "xs", f32({3, 1}));
    Value *w = fn.addArgument(ArgRole::Param, "w", f32({1}));
    Operation *scan = fn.body().create(
        OpKind::Scan, {c0, xs, w}, {f32({1}), f32({3, 1})},
        {{"carried", int64_t(1)}, {"sequences", int64_t(1)},
         {"reverse", int64_t(reverse)}});
    Block *body = scan->addRegion();
    Value *c = body->addArgument(f32({1}), "c");
    Value *x = body->addArgument(f32({1}), "x");
    Value *bw = body->addArgument(f32({1}), "w");
    Value *cw = body->create(OpKind::Mul, {c, bw}, {f32({1})})->result();
    Value *next = body->create(OpKind::Add, {cw, x}, {f32({1})})->result();
    body->create(OpKind::Yield, {next, next}, {});
    fn.body().create(OpKind::Return, {scan->result(0), scan->result(1)}, {});
  }
};
} // namespace

TEST(Interpreter, ScanForward) {
  RunningSum f(false);
  auto r = interpret(f.fn, {Tensor({1}, {1}), Tensor({3, 1}, {1, 2, 3}), Tensor({1}, {2})});
  ASSERT_TRUE(r) << r.error().message();
  // c: 1 -> 1*2+1=3 -> 3*2+2=8 -> 8*2+3=19.
  expectNear((*r)[0], {1}, {19});
  expectNear((*r)[1], {3, 1}, {3, 8, 19});
}

TEST(Interpreter, ScanReverseStoresOutputsAtTheirStep) {
  RunningSum f(true);
  auto r = interpret(f.fn, {Tensor({1}, {1}), Tensor({3, 1}, {1, 2, 3}), Tensor({1}, {2})});
  ASSERT_TRUE(r) << r.error().message();
  // t=2: 1*2+3=5; t=1: 5*2+2=12; t=0: 12*2+1=25.
  expectNear((*r)[0], {1}, {25});
  expectNear((*r)[1], {3, 1}, {25, 12, 5});
}

TEST(Interpreter, WrongArgumentCount) {
  RunningSum f(false);
  auto r = interpret(f.fn, {Tensor({1}, {1})});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("arguments"), std::string::npos);
}

TEST(Interpreter, MalformedOpsAreErrorsNotCrashes) {
  Function fn("f");
  Value *a = fn.addArgument(ArgRole::Input, "a", f32({2}));
  Operation *add = fn.body().create(OpKind::Add, {a}, {f32({2})}); // one operand
  fn.body().create(OpKind::Return, {add->result()}, {});
  auto r = interpret(fn, {Tensor::filled({2})});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("operands"), std::string::npos) << r.error().message();

  OneOp oh(OpKind::OneHot, {i32({1})}, f32({1, 0}), {{"depth", int64_t(0)}});
  EXPECT_NE(oh.error({Tensor({1}, {0})}).find("depth"), std::string::npos);
}
