//===- IRShapeInferenceTest.cpp - Result-type rules of every op -----------===//
#include "ir/ShapeInference.h"

#include <gtest/gtest.h>

using namespace rnnc::ir;

namespace {

Dim d(const char *name, int64_t size) { return Dim{size, name}; }
Dim n(int64_t size) { return Dim{size, ""}; }

/// The printed result type, or "error: <message>".
std::string infer(OpKind kind, std::vector<TensorType> operands,
                  AttributeMap attrs = {}) {
  auto r = inferResultTypes(kind, operands, attrs);
  if (!r)
    return "error: " + r.error().message();
  std::string s;
  for (auto &t : *r)
    s += (s.empty() ? "" : ", ") + t.str();
  return s;
}

const TensorType BH = TensorType::f32({d("B", 2), d("H", 3)});
const TensorType HV = TensorType::f32({d("H", 3), d("V", 4)});
const TensorType HH = TensorType::f32({d("H", 3), d("H", 3)});
const TensorType BV = TensorType::f32({d("B", 2), d("V", 4)});

} // namespace

TEST(IRShapeInference, MatMulKeepsDimNames) {
  EXPECT_EQ(infer(OpKind::MatMul, {BH, HV}), "f32[B=2,V=4]");
  EXPECT_EQ(infer(OpKind::MatMulNT, {BV, HV}), "f32[B=2,H=3]");
  EXPECT_EQ(infer(OpKind::MatMulTN, {BH, BV}), "f32[H=3,V=4]");
  TensorType tbh = TensorType::f32({d("T", 5), d("B", 2), d("H", 3)});
  EXPECT_EQ(infer(OpKind::MatMul, {tbh, HV}), "f32[T=5,B=2,V=4]");
}

TEST(IRShapeInference, MatMulMismatchShowsBothShapes) {
  std::string e = infer(OpKind::MatMul, {BV, HH});
  EXPECT_NE(e.find("error: matmul:"), std::string::npos) << e;
  EXPECT_NE(e.find("[B,V] and [H,H]"), std::string::npos) << e;
  EXPECT_EQ(infer(OpKind::MatMul, {BH, TensorType::i32({n(3), n(4)})}).rfind("error", 0), 0u);
}

TEST(IRShapeInference, BroadcastSuffixAndScalar) {
  TensorType h = TensorType::f32({n(3)});
  EXPECT_EQ(infer(OpKind::Add, {BH, h}), "f32[B=2,H=3]");
  EXPECT_EQ(infer(OpKind::Mul, {TensorType::f32({}), BH}), "f32[B=2,H=3]");
  // Names fill in from the shorter operand.
  TensorType unnamed = TensorType::f32({n(2), n(3)});
  EXPECT_EQ(infer(OpKind::Sub, {unnamed, TensorType::f32({d("H", 3)})}), "f32[2,H=3]");
  EXPECT_EQ(infer(OpKind::Add, {BH, BV}).rfind("error: add: cannot broadcast", 0), 0u);
  EXPECT_EQ(infer(OpKind::Add, {BH, TensorType::i32({n(3)})}).rfind("error", 0), 0u);
  EXPECT_EQ(infer(OpKind::Tanh, {TensorType::i32({n(3)})}).rfind("error", 0), 0u);
}

TEST(IRShapeInference, OperandCount) {
  EXPECT_EQ(infer(OpKind::Add, {BH}), "error: add: expects 2 operand(s), got 1");
}

TEST(IRShapeInference, IndexingOps) {
  TensorType idx = TensorType::i32({d("B", 2)});
  EXPECT_EQ(infer(OpKind::OneHot, {idx}, {{"depth", int64_t(4)}}), "f32[B=2,4]");
  EXPECT_EQ(infer(OpKind::OneHot, {idx}), "error: onehot: missing integer attribute 'depth'");
  EXPECT_EQ(infer(OpKind::OneHot, {idx}, {{"depth", 4.0}}),
            "error: onehot: attribute 'depth' must be an integer");
  TensorType table = TensorType::f32({d("V", 4), d("E", 6)});
  EXPECT_EQ(infer(OpKind::Gather, {table, idx}), "f32[B=2,E=6]");
  TensorType src = TensorType::f32({d("B", 2), d("E", 6)});
  EXPECT_EQ(infer(OpKind::ScatterAdd, {idx, src}, {{"rows", int64_t(4)}}), "f32[4,E=6]");
  EXPECT_EQ(infer(OpKind::Concat, {BH, BV}), "f32[B=2,7]");
  EXPECT_EQ(infer(OpKind::Slice, {BV}, {{"begin", int64_t(1)}, {"end", int64_t(3)}}),
            "f32[B=2,2]");
  EXPECT_EQ(infer(OpKind::Slice, {BV}, {{"begin", int64_t(1)}, {"end", int64_t(5)}})
                .rfind("error: slice: bounds", 0), 0u);
  EXPECT_EQ(infer(OpKind::Pad, {BH}, {{"begin", int64_t(1)}, {"size", int64_t(4)}}),
            "f32[B=2,4]");
  EXPECT_EQ(infer(OpKind::Pad, {BH}, {{"begin", int64_t(2)}, {"size", int64_t(4)}})
                .rfind("error", 0), 0u);
  EXPECT_EQ(infer(OpKind::ReduceSum, {BH}, {{"axes", std::vector<int64_t>{0}}}), "f32[H=3]");
  EXPECT_EQ(infer(OpKind::ReduceSum, {BH}, {{"axes", std::vector<int64_t>{0, 1}}}), "f32[]");
  EXPECT_EQ(infer(OpKind::ReduceSum, {BH}, {{"axes", std::vector<int64_t>{2}}})
                .rfind("error", 0), 0u);
}

TEST(IRShapeInference, Loss) {
  TensorType logits = TensorType::f32({d("T", 5), d("B", 2), d("V", 4)});
  TensorType labels = TensorType::i32({d("T", 5), d("B", 2)});
  EXPECT_EQ(infer(OpKind::CrossEntropy, {logits, labels}), "f32[]");
  EXPECT_EQ(infer(OpKind::CrossEntropyGrad, {logits, labels, TensorType::f32({})}),
            "f32[T=5,B=2,V=4]");
  EXPECT_EQ(infer(OpKind::CrossEntropy, {logits, logits}).rfind("error", 0), 0u);
}

TEST(IRShapeInference, ScanSignature) {
  TensorType x = TensorType::i32({d("T", 5), d("B", 2)});
  AttributeMap attrs{{"carried", int64_t(1)}, {"sequences", int64_t(1)},
                     {"reverse", int64_t(0)}};
  auto args = scanBodyArgumentTypes({BH, x, HV}, attrs);
  ASSERT_TRUE(args);
  ASSERT_EQ(args->size(), 3u);
  EXPECT_EQ((*args)[1].str(), "i32[B=2]");
  auto results = inferScanResultTypes({BH, x, HV}, attrs, {BH, BV});
  ASSERT_TRUE(results) << results.error().message();
  EXPECT_EQ((*results)[0].str(), "f32[B=2,H=3]");
  EXPECT_EQ((*results)[1].str(), "f32[T=5,B=2,V=4]");
  auto mismatch = inferScanResultTypes({BH, x, HV}, attrs, {BV, BV});
  ASSERT_FALSE(mismatch);
  const std::string &why = mismatch.error().message();
  EXPECT_NE(why.find("carried #0"), std::string::npos) << why;
  AttributeMap noSeq = attrs;
  noSeq["sequences"] = int64_t(0);
  EXPECT_FALSE(scanBodyArgumentTypes({BH, x, HV}, noSeq));
  EXPECT_FALSE(inferResultTypes(OpKind::Scan, {BH, x}, attrs));
}

// The RowOp trait (ir/Ops.def) is what sends an op to the row rules (and to
// the codegen's row lowering and HoistScan's batching): it must hold exactly
// for the ops ir/ShapeInferenceRowOps.cpp knows.
TEST(IRShapeInference, RowOpTraitMatchesTheRowRules) {
  const OpKind all[] = {
#define RNNC_OP(Enum, Name, NumOperands, NumResults, Traits, Attributes) OpKind::Enum,
#include "ir/Ops.def"
  };
  TensorType x = TensorType::f32({n(2), n(3)});
  unsigned rowOps = 0;
  for (OpKind k : all) {
    auto r = inferRowOpTypes(k, {x, x}, {});
    bool hasRule = r || r.error().message().find("not a row op") == std::string::npos;
    EXPECT_EQ(isRowOp(k), hasRule) << opKindName(k);
    rowOps += isRowOp(k);
  }
  EXPECT_EQ(rowOps, 6u);
}
