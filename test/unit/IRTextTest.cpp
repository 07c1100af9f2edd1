//===- IRTextTest.cpp - Printer and parser of the IR text form ------------===//
#include "IRTextTestUtil.h"
#include "test/support/IRText.h"

#include "ir/Printer.h"
#include "ir/Verifier.h"

#include <cmath>
#include <gtest/gtest.h>
#include <limits>

using namespace rnnc;
using namespace rnnc::ir;
using namespace rnnc::irtest;

namespace {

/// print -> parse -> print must give the same text; returns the first print.
std::string expectRoundTrip(const Module &m) {
  std::string first = toString(m);
  std::string errors;
  auto parsed = fixtures::parseIR(first, &errors);
  EXPECT_TRUE(parsed) << errors << "\n" << first;
  if (!parsed)
    return first;
  EXPECT_EQ(toString(*parsed), first);
  return first;
}

std::string parseError(const std::string &text) {
  std::string errors;
  auto m = fixtures::parseIR(text, &errors);
  EXPECT_FALSE(m) << "parsed unexpectedly:\n" << text;
  return errors;
}

const char *kHeader = "module @M {\n"
                      "  func @f(param %a: f32[B=2,H=3], input %x: i32[T=5,B=2]) -> (r: f32[B=2,H=3]) {\n";

} // namespace

TEST(IRText, PrintsTinyRnn) {
  auto m = buildTinyRnn();
  ASSERT_TRUE(verifyFunction(*m->function("forward")));
  std::string text = toString(*m);
  EXPECT_NE(text.find("module @Tiny {\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lr = 1.5,"), std::string::npos) << text;
  EXPECT_NE(text.find("init @W_xh = normal(0.0, 0.01)"), std::string::npos);
  EXPECT_NE(text.find("func @forward(param %W_xh: f32[V=4,H=3], "), std::string::npos);
  EXPECT_NE(text.find("state %h: f32[B=2,H=3], input %x: i32[T=5,B=2]) -> "
                      "(logits: f32[T=5,B=2,V=4], h: f32[B=2,H=3]) {"),
            std::string::npos) << text;
  // Hints are reused with suffixes; body args and results stay unique.
  EXPECT_NE(text.find("%h.1, %logits = scan(%h, %x, %W_xh, %W_hh, %b_h, %W_hq) "
                      "{carried = 1, reverse = 0, sequences = 1} {\n"
                      "    ^body(%h.2: f32[B=2,H=3], %x.1: i32[B=2]"),
            std::string::npos) << text;
  EXPECT_NE(text.find("      %0 = onehot(%x.1) {depth = 4} : f32[B=2,V=4]\n"
                      "      %1 = matmul(%0, %W_xh.1) : f32[B=2,H=3]\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("      yield %h.3, %y\n"
                      "    } : f32[B=2,H=3], f32[T=5,B=2,V=4]\n"
                      "    return %logits, %h.1\n"),
            std::string::npos) << text;
}

TEST(IRText, RoundTripTinyRnnKeepsStructure) {
  auto m = buildTinyRnn();
  std::string text = expectRoundTrip(*m);
  auto parsed = fixtures::parseIR(text);
  ASSERT_TRUE(parsed);
  const Function *f = parsed->function("forward");
  ASSERT_TRUE(f);
  EXPECT_TRUE(verifyFunction(*f));
  EXPECT_EQ(f->resultNames, (std::vector<std::string>{"logits", "h"}));
  EXPECT_EQ(f->argRole(4), ArgRole::State);
  ASSERT_TRUE(f->argumentNamed("W_hq"));
  const Operation &scan = *f->body().operations()[0];
  EXPECT_EQ(scan.kind(), OpKind::Scan);
  EXPECT_EQ(scan.body().operations().size(), 8u);
  EXPECT_EQ(parsed->train.lr, 1.5);
  EXPECT_EQ(parsed->train.batch, 2);
  EXPECT_EQ(parsed->paramInits.at("W_xh").b, 0.01);
  EXPECT_EQ(scan.loc.line, 6u); // ops point into the text
}

TEST(IRText, NestedScanAndAttributesRoundTrip) {
  auto m = buildTinyRnn();
  Function &f = *m->addFunction("nested");
  TensorType s = TensorType::f32({Dim{3, "H"}});
  TensorType seq = TensorType::f32({Dim{4, "T"}, Dim{2, ""}, Dim{3, "H"}});
  Value *init = f.addArgument(ArgRole::State, "s", s);
  Value *xs = f.addArgument(ArgRole::Input, "xs", seq);
  AttributeMap scanAttrs{{"carried", int64_t(1)}, {"sequences", int64_t(1)},
                         {"reverse", int64_t(1)}};
  Operation *outer = f.body().create(OpKind::Scan, {init, xs}, {s}, scanAttrs);
  Block &ob = *outer->addRegion();
  Value *oc = ob.addArgument(s, "s");
  Value *ox = ob.addArgument(seq.dropLeading());
  Operation *inner = ob.create(OpKind::Scan, {oc, ox}, {s}, scanAttrs);
  Block &ib = *inner->addRegion();
  Value *ic = ib.addArgument(s);
  Value *ix = ib.addArgument(s);
  Value *sum = ib.create(OpKind::Add, {ic, ix}, {s})->result();
  // Ops take only their own attributes, so other value kinds travel in
  // the attributes that have them (an empty list) and the train block (a
  // string that needs quoting).
  Value *c = ib.create(OpKind::Constant, {}, {TensorType::f32({})},
                       {{"value", -0.1}})->result();
  Value *same = ib.create(OpKind::ReduceSum, {sum}, {s},
                          {{"axes", std::vector<int64_t>{}}})->result();
  Value *scaled = ib.create(OpKind::Mul, {same, c}, {s})->result();
  ib.create(OpKind::Yield, {scaled}, {});
  ob.create(OpKind::Yield, {inner->result()}, {});
  f.body().create(OpKind::Return, {outer->result()}, {});
  f.resultNames = {"s"};
  m->train.sampling = "a \"q\"\n\\";
  {
    auto verified = verifyFunction(f);
    ASSERT_TRUE(verified) << verified.error().message();
  }
  std::string text = expectRoundTrip(*m);
  EXPECT_NE(text.find("{value = -0.1}"), std::string::npos) << text;
  EXPECT_NE(text.find("{axes = []}"), std::string::npos) << text;
  EXPECT_NE(text.find("sampling = \"a \\\"q\\\"\\x0a\\\\\""), std::string::npos) << text;
}

TEST(IRText, NamesAreUniqueAndDigitHintsAreNumbers) {
  Module m;
  Function &f = *m.addFunction("f");
  TensorType t = TensorType::f32({Dim{2, ""}});
  Value *a = f.addArgument(ArgRole::Input, "a", t);
  Value *v1 = f.body().create(OpKind::Neg, {a}, {t})->result();
  v1->setName("a"); // collides with the argument
  Value *v2 = f.body().create(OpKind::Neg, {v1}, {t})->result();
  v2->setName("7"); // digits only: treated as no hint
  Value *v3 = f.body().create(OpKind::Neg, {v2}, {t})->result();
  v3->setName("odd name!");
  f.body().create(OpKind::Return, {v3}, {});
  f.resultNames = {"grad.a"};
  std::string text = expectRoundTrip(m);
  EXPECT_NE(text.find("%a.1 = neg(%a)"), std::string::npos) << text;
  EXPECT_NE(text.find("%0 = neg(%a.1)"), std::string::npos) << text;
  EXPECT_NE(text.find("%odd_name_ = neg(%0)"), std::string::npos) << text;
  EXPECT_NE(text.find("-> (grad.a: f32[2])"), std::string::npos) << text;
}

TEST(IRText, RealsReadBackExactly) {
  for (double v : {0.0, -0.0, 1.0, 100.0, 0.1, 1e-8, 1.0 / 3, 6.02214076e23,
                   std::numeric_limits<double>::denorm_min(),
                   std::numeric_limits<double>::max(),
                   std::numeric_limits<double>::infinity(),
                   -std::numeric_limits<double>::infinity()}) {
    std::string s = formatReal(v);
    EXPECT_NE(s.find_first_of(".ein"), std::string::npos) << s;
    auto m = fixtures::parseIR("module { train { lr = " + s + " } }");
    ASSERT_TRUE(m) << s;
    EXPECT_EQ(m->train.lr, v) << s;
    EXPECT_EQ(std::signbit(m->train.lr), std::signbit(v)) << s;
  }
  EXPECT_EQ(formatReal(100.0), "100.0");
  EXPECT_EQ(formatReal(1e-8), "1e-08");
  auto m = fixtures::parseIR("module { train { lr = nan } }");
  ASSERT_TRUE(m);
  EXPECT_TRUE(std::isnan(m->train.lr));
}

TEST(IRText, EmptyModuleRoundTrips) {
  Module m;
  expectRoundTrip(m);
}

TEST(IRText, ErrorUnknownOp) {
  std::string e = parseError(std::string(kHeader) +
                             "    %0 = frobnicate(%a) : f32[B=2,H=3]\n    return %0\n  }\n}\n");
  EXPECT_NE(e.find("t.rnnir:3:10: error: unknown operation 'frobnicate'"),
            std::string::npos) << e;
  EXPECT_NE(e.find("\n         ^\n"), std::string::npos) << e;
}

TEST(IRText, ErrorUndefinedValue) {
  std::string e = parseError(std::string(kHeader) + "    return %nope\n  }\n}\n");
  EXPECT_NE(e.find("t.rnnir:3:12: error: use of undefined value '%nope'"),
            std::string::npos) << e;
}

TEST(IRText, ErrorRedefinedValue) {
  std::string e = parseError(std::string(kHeader) +
                             "    %a = neg(%a) : f32[B=2,H=3]\n    return %a\n  }\n}\n");
  EXPECT_NE(e.find("3:5: error: redefinition of value '%a'"), std::string::npos) << e;
}

TEST(IRText, ErrorDeclaredTypeDiffersFromInferred) {
  std::string e = parseError(std::string(kHeader) +
                             "    %0 = tanh(%a) : f32[B=2,H=4]\n    return %0\n  }\n}\n");
  EXPECT_NE(e.find("3:21: error: declared type f32[B=2,H=4] does not match "
                   "inferred type f32[B=2,H=3]"),
            std::string::npos) << e;
}

TEST(IRText, ErrorInvalidOperands) {
  std::string e = parseError(std::string(kHeader) +
                             "    %0 = matmul(%a, %a) : f32[B=2,H=3]\n    return %0\n  }\n}\n");
  EXPECT_NE(e.find("3:10: error: matmul: expects [..., K] and [K, N], got [B,H] and [B,H]"),
            std::string::npos) << e;
}

TEST(IRText, ErrorBodyUsesOuterValue) {
  std::string e = parseError(
      std::string(kHeader) +
      "    %s = scan(%a, %x) {carried = 1, reverse = 0, sequences = 1} {\n"
      "    ^body(%c: f32[B=2,H=3], %t: i32[B=2]):\n"
      "      %n = add(%c, %a) : f32[B=2,H=3]\n"
      "      yield %n\n"
      "    } : f32[B=2,H=3]\n"
      "    return %s\n  }\n}\n");
  EXPECT_NE(e.find("5:20: error: value '%a' is defined outside this scan body"),
            std::string::npos) << e;
}

TEST(IRText, ErrorBodyArgumentType) {
  std::string e = parseError(
      std::string(kHeader) +
      "    %s = scan(%a, %x) {carried = 1, reverse = 0, sequences = 1} {\n"
      "    ^body(%c: f32[B=2,H=3], %t: i32[T=5,B=2]):\n"
      "      yield %c\n"
      "    } : f32[B=2,H=3]\n"
      "    return %s\n  }\n}\n");
  EXPECT_NE(e.find("4:33: error: body argument #1 has type i32[T=5,B=2], expected i32[B=2]"),
            std::string::npos) << e;
}

TEST(IRText, ErrorReturnTypeDiffersFromSignature) {
  std::string e = parseError(std::string(kHeader) +
                             "    %0 = reduce_sum(%a) {axes = [0]} : f32[H=3]\n"
                             "    return %0\n  }\n}\n");
  EXPECT_NE(e.find("2:66: error: result 'r' declared f32[B=2,H=3] but returned f32[H=3]"),
            std::string::npos) << e;
}

TEST(IRText, ErrorMissingTerminatorAndJunk) {
  EXPECT_NE(parseError(std::string(kHeader) + "  }\n}\n")
                .find("error: function body must end with 'return'"),
            std::string::npos);
  EXPECT_NE(parseError("module { } trailing").find("1:12: error: expected end of input"),
            std::string::npos);
  EXPECT_NE(parseError("").find("1:1: error: expected 'module', got end of input"),
            std::string::npos);
  EXPECT_NE(parseError("module { train { lr = $ } }").find("unexpected character '$'"),
            std::string::npos);
  EXPECT_NE(parseError("module { train { speed = 1 } }")
                .find("unknown train setting 'speed'"),
            std::string::npos);
}

TEST(IRText, ErrorScanNestingTooDeep) {
  // 70 nested scans, each with one carried f32[2] and one sequence f32[1,2]:
  // the parser must refuse, not recurse without bound.
  std::string text = "module {\n func @f(state %s: f32[2], input %q: f32[1,1,2]) -> (s: f32[2]) {\n";
  const int depth = 70;
  for (int i = 0; i < depth; ++i)
    text += "%r" + std::to_string(i) + " = scan(%s, %q) {carried = 1, reverse = 0, sequences = 1} {\n"
            "^body(%s" + std::to_string(i) + ": f32[2], %q" + std::to_string(i) + ": f32[1,2]):\n";
  std::string errors;
  EXPECT_FALSE(fixtures::parseIR(text, &errors));
  EXPECT_NE(errors.find("error: "), std::string::npos);
  // Well-formed nesting: each level passes the sequence on as an invariant.
  auto makeNested = [](int levels) {
    std::string nested = "module {\n func @f(state %s: f32[2], input %q: f32[1,2]) -> (s: f32[2]) {\n";
    std::string closing;
    for (int i = 0; i < levels; ++i) {
      std::string id = std::to_string(i);
      std::string prevS = i ? "%s" + std::to_string(i - 1) : "%s";
      std::string prevQ = i ? "%Q" + std::to_string(i - 1) : "%q";
      nested += "%r" + id + " = scan(" + prevS + ", " + prevQ + ", " + prevQ +
                ") {carried = 1, reverse = 0, sequences = 1} {\n^body(%s" + id +
                ": f32[2], %t" + id + ": f32[2], %Q" + id + ": f32[1,2]):\n";
      closing = "yield %s" + id + "\n} : f32[2]\n" + closing;
    }
    return nested + closing + "return %r0\n}\n}\n";
  };
  std::string okErrors;
  auto ok = fixtures::parseIR(makeNested(64), &okErrors);
  ASSERT_TRUE(ok) << okErrors;
  EXPECT_EQ(toString(*fixtures::parseIR(toString(*ok))), toString(*ok));
  std::string e = parseError(makeNested(depth));
  EXPECT_NE(e.find("error: scan nesting deeper than 64"), std::string::npos) << e;
}
