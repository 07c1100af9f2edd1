//===- VerifierTest.cpp - The verifier rejects each kind of broken IR -----===//
#include "IRTextTestUtil.h"
#include "ir/Parser.h"
#include "test/support/IRText.h"

#include "ir/Verifier.h"

#include <gtest/gtest.h>
#include <sstream>

using namespace rnnc;
using namespace rnnc::ir;
using namespace rnnc::irtest;

namespace {

/// The first verifier message for `@forward` of `m`, or "ok".
std::string firstError(const Module &m, const char *fn = "forward") {
  auto verified = verifyFunction(*m.function(fn));
  return verified ? "ok" : verified.error().message();
}

bool contains(const std::string &s, const std::string &part) {
  return s.find(part) != std::string::npos;
}

/// Whether any verifier message for `@forward` contains `part`.
bool anyError(const Module &m, const std::string &part) {
  for (auto &err : collectVerifierErrors(*m.function("forward")))
    if (contains(err.message, part))
      return true;
  return false;
}

Operation &scanOf(Module &m) { return *m.function("forward")->body().operations()[0]; }
Block &bodyOf(Module &m) { return scanOf(m).body(); }
/// The n-th op of the scan body (0 = onehot ... 6 = the output matmul, 7 = yield).
Operation &bodyOp(Module &m, size_t n) { return *bodyOf(m).operations()[n]; }

} // namespace

TEST(Verifier, AcceptsTinyRnn) {
  auto m = buildTinyRnn();
  EXPECT_EQ(firstError(*m), "ok");
  std::ostringstream os;
  DiagnosticEngine diag(nullptr, os);
  EXPECT_TRUE(verifyModule(*m, diag));
  EXPECT_EQ(os.str(), "");
}

TEST(Verifier, RejectsWrongResultType) {
  auto m = buildTinyRnn();
  bodyOp(*m, 1).result()->setType(TensorType::f32({Dim{2, "B"}, Dim{4, "V"}}));
  std::string e = firstError(*m);
  EXPECT_TRUE(contains(e, "in @forward: 'matmul' op result #0 has type "
                          "f32[B=2,V=4], expected f32[B=2,H=3]")) << e;
}

TEST(Verifier, RejectsIllTypedOperands) {
  auto m = buildTinyRnn();
  Operation &add = bodyOp(*m, 3);
  add.setOperand(1, bodyOp(*m, 0).result()); // [B,H] + [B,V]
  EXPECT_TRUE(contains(firstError(*m), "'add' op add: cannot broadcast")) << firstError(*m);
}

TEST(Verifier, RejectsMissingAttribute) {
  auto m = buildTinyRnn();
  Operation &onehot = bodyOp(*m, 0);
  onehot.setAttr("depth", std::string("four"));
  EXPECT_TRUE(contains(firstError(*m), "attribute 'depth' must be an integer"));
}

TEST(Verifier, RejectsWrongOperandCount) {
  auto m = buildTinyRnn();
  Operation &tanh = bodyOp(*m, 5);
  tanh.setOperands({tanh.operand(0), tanh.operand(0)});
  EXPECT_TRUE(contains(firstError(*m), "'tanh' op expects 1 operand(s), has 2"))
      << firstError(*m);
}

TEST(Verifier, RejectsUseBeforeDefinition) {
  auto m = buildTinyRnn();
  Block &body = bodyOf(*m);
  // Move the first matmul (uses onehot) in front of the onehot.
  Operation *mm = &bodyOp(*m, 1);
  body.insert(0, body.take(mm));
  EXPECT_TRUE(contains(firstError(*m), "'matmul' op operand #0 is used before its definition"))
      << firstError(*m);
}

TEST(Verifier, RejectsBodyUsingOuterValue) {
  auto m = buildTinyRnn();
  Value *outerW = m->function("forward")->argumentNamed("W_hh");
  bodyOp(*m, 2).setOperand(1, outerW);
  EXPECT_TRUE(contains(firstError(*m), "operand #1 is defined outside this block"))
      << firstError(*m);
}

TEST(Verifier, RejectsMissingTerminator) {
  auto m = buildTinyRnn();
  Function &f = *m->function("forward");
  f.body().erase(f.body().terminator());
  EXPECT_TRUE(contains(firstError(*m), "function body must end with 'return'"))
      << firstError(*m);
}

TEST(Verifier, RejectsTerminatorInTheMiddle) {
  auto m = buildTinyRnn();
  Block &body = bodyOf(*m);
  Operation *yield = body.terminator();
  body.insert(0, body.take(yield));
  EXPECT_TRUE(anyError(*m, "'yield' op terminator is not the last op of its block"));
  EXPECT_TRUE(anyError(*m, "'yield' op operand #0 is used before its definition"));
}

TEST(Verifier, RejectsReturnInScanBody) {
  auto m = buildTinyRnn();
  Block &body = bodyOf(*m);
  Operation *yield = body.terminator();
  std::vector<Value *> ops = yield->operands();
  body.erase(yield);
  body.create(OpKind::Return, ops, {});
  EXPECT_TRUE(anyError(*m, "'return' op scan body must end with 'yield'"));
}

TEST(Verifier, RejectsWrongBodyArgumentType) {
  auto m = buildTinyRnn();
  bodyOf(*m).argument(1)->setType(TensorType::i32({Dim{5, "T"}, Dim{2, "B"}}));
  EXPECT_TRUE(anyError(*m, "'scan' op body argument #1 has type "
                           "i32[T=5,B=2], expected i32[B=2]"));
}

TEST(Verifier, RejectsYieldOfWrongCarriedType) {
  auto m = buildTinyRnn();
  Operation *yield = bodyOf(*m).terminator();
  yield->setOperand(0, bodyOp(*m, 6).result()); // yields [B,V] for carried [B,H]
  EXPECT_TRUE(contains(firstError(*m), "'scan' op scan: body yields f32[B,V] for carried #0"))
      << firstError(*m);
}

TEST(Verifier, RejectsScanWithoutSegments) {
  auto m = buildTinyRnn();
  scanOf(*m).setAttr("sequences", int64_t(0));
  EXPECT_TRUE(contains(firstError(*m), "at least one sequence is required"))
      << firstError(*m);
}

TEST(Verifier, RejectsReturnCountMismatch) {
  auto m = buildTinyRnn();
  m->function("forward")->resultNames.push_back("extra");
  EXPECT_TRUE(contains(firstError(*m), "'return' op returns 2 value(s) but the "
                                       "function names 3 result(s)"))
      << firstError(*m);
}

TEST(Verifier, RejectsDuplicateNames) {
  auto m = buildTinyRnn();
  m->function("forward")->body().argument(1)->setName("W_xh");
  EXPECT_TRUE(contains(firstError(*m), "two arguments are named 'W_xh'"));
  m->addFunction("forward");
  std::ostringstream os;
  DiagnosticEngine diag(nullptr, os);
  EXPECT_FALSE(verifyModule(*m, diag));
  EXPECT_TRUE(contains(os.str(), "two functions are named '@forward'")) << os.str();
}

TEST(Verifier, ReportsAtOpLocation) {
  // Ops read from text point into it, so verifier errors after a (broken)
  // pass still name the line of the op in the input.
  std::string text = "module {\n"
                     "  func @f(input %a: f32[2]) -> (r: f32[2]) {\n"
                     "    %0 = neg(%a) : f32[2]\n"
                     "    return %0\n"
                     "  }\n"
                     "}\n";
  auto buf = std::make_shared<SourceBuffer>("t.rnnir", text);
  std::ostringstream os;
  DiagnosticEngine diag(buf, os);
  auto m = parseModuleText(buf, diag);
  ASSERT_TRUE(m) << os.str();
  m->function("f")->body().operations()[0]->result()->setType(TensorType::f32({Dim{3, ""}}));
  EXPECT_FALSE(verifyModule(*m, diag));
  EXPECT_TRUE(contains(os.str(), "t.rnnir:3:5: error: in @f: 'neg' op result #0 has type "
                                 "f32[3], expected f32[2]\n    %0 = neg(%a) : f32[2]\n    ^"))
      << os.str();
}
