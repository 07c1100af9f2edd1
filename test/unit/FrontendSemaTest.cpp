//===- FrontendSemaTest.cpp - Sema without bindings, symbolic shapes ------===//
///
/// \file
/// Sema checks a model once, with no vocabulary: shapes compare by their
/// dimension polynomials (DimPoly), never by size, so sizes that coincide
/// (H = B, V = H, H = 256 against a literal 256) change nothing; slice
/// bounds hold for every binding; sizes are overflow-checked and limited.
/// Lowering then only evaluates the shapes sema recorded.
///
//===----------------------------------------------------------------------===//
#include "frontend/DimPoly.h"
#include "frontend/Frontend.h"
#include "frontend/Sema.h"

#include <gtest/gtest.h>

#include <sstream>

using namespace rnnc;
using namespace rnnc::frontend;

namespace {

struct Checked {
  std::unique_ptr<ast::Program> program;
  std::string diagnostics;
};

Checked check(const std::string &text) {
  auto buffer = std::make_shared<SourceBuffer>("t.rnn", text);
  std::ostringstream os;
  DiagnosticEngine diags(buffer, os);
  Checked out;
  out.program = parseModel(buffer, diags);
  out.diagnostics = os.str();
  return out;
}

/// A char-RNN whose step is `STEP` and whose args / extra params are given.
std::string model(const std::string &args, const std::string &extra,
                  const std::string &step, int batch = 32) {
  return "model M(V: vocab, " + args + ") {\n"
         "  param W_xh: [V, H] = normal(0, 0.01)\n"
         "  param W_hh: [H, H] = normal(0, 0.01)\n"
         "  param b_h: [H] = zeros\n"
         "  param W_hq: [H, V] = normal(0, 0.01)\n"
         "  param b_q: [V] = zeros\n" + extra +
         "  state h: [H] = zeros\n"
         "  step(x: onehot[V]) -> [V] {\n    " + step +
         "\n    return h @ W_hq + b_q\n  }\n}\n"
         "train { batch = " + std::to_string(batch) + " seq_len = 3 }\n";
}

bool has(const Checked &c, const std::string &s) {
  return c.diagnostics.find(s) != std::string::npos;
}

} // namespace

TEST(DimPoly, CanonicalFormAndProofs) {
  DimPoly h = DimPoly::symbol(2), e = DimPoly::symbol(3);
  auto twoH = DimPoly::mul(DimPoly::constant(2), h);
  ASSERT_TRUE(twoH);
  EXPECT_EQ(*DimPoly::sub(*twoH, h), h); // slice(g, H, 2*H): H
  EXPECT_EQ(*DimPoly::add(e, h), *DimPoly::add(h, e));
  EXPECT_NE(h, DimPoly::constant(256));
  EXPECT_TRUE(DimPoly::sub(*twoH, h)->provablyNonNegative());
  EXPECT_FALSE(DimPoly::sub(h, *twoH)->provablyNonNegative());
  std::vector<std::string> names{"B", "T", "H", "E"};
  EXPECT_EQ(DimPoly::sub(*twoH, DimPoly::constant(1))->str(names), "2*H-1");
  // 64 * (2^29 * 2^29) overflows int64: reported, never wrapped.
  auto big = DimPoly::mul(DimPoly::constant(536870912), DimPoly::constant(536870912));
  ASSERT_TRUE(big);
  EXPECT_FALSE(DimPoly::mul(DimPoly::constant(64), *big));
  EXPECT_FALSE(h.evaluate({1, 1, INT64_MAX / 2 + 1}) &&
               twoH->evaluate({1, 1, INT64_MAX / 2 + 1}));
}

TEST(FrontendSema, ChecksWithoutAnyVocabulary) {
  Checked c = check(model("H = 8", "", "h = tanh(x @ W_xh + h @ W_hh + b_h)"));
  ASSERT_TRUE(c.program) << c.diagnostics;
  ASSERT_TRUE(c.program->checked);
  auto summary = describeModel(*c.program);
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->name, "M");
  EXPECT_EQ(summary->train.batch, 32);
  EXPECT_EQ(summary->paramInits.at("W_hh").kind, "normal");
  EXPECT_TRUE(summary->functions().empty());
}

TEST(FrontendSema, BatchEqualToHIsStillADifferentDimension) {
  Checked add = check(model("H = 32", "", "h = tanh(x @ W_xh + h @ W_hh + W_hh)"));
  EXPECT_FALSE(add.program);
  EXPECT_TRUE(has(add, "error: shape mismatch: [B,H] + [H,H]")) << add.diagnostics;
  EXPECT_TRUE(has(add, "note: B and H are different dimensions even though both are 32"))
      << add.diagnostics;
  Checked contract = check(model("H = 32", "", "h = tanh(x @ W_xh @ h + b_h)"));
  EXPECT_FALSE(contract.program);
  EXPECT_TRUE(has(contract, "t.rnn:9:23: error: shape mismatch: [B,H] @ [B,H]"))
      << contract.diagnostics;
}

TEST(FrontendSema, LiteralIsNotTheNamedDimensionOfTheSameSize) {
  Checked c = check(model("H = 256", "  param c: [256] = zeros\n",
                          "h = tanh(x @ W_xh + h @ W_hh + c)"));
  EXPECT_FALSE(c.program);
  EXPECT_TRUE(has(c, "error: shape mismatch: [B,H] + [256]")) << c.diagnostics;
  EXPECT_TRUE(has(c, "note: H and 256 are different dimensions even though H = 256"))
      << c.diagnostics;
}

TEST(FrontendSema, VocabCoincidingWithHDoesNotMatter) {
  // Rejected with no vocabulary at all, so no binding can make it pass.
  Checked c = check(model("H = 5", "", "h = tanh(x @ W_hh + b_h)"));
  EXPECT_FALSE(c.program);
  EXPECT_TRUE(has(c, "error: shape mismatch: [B,V] @ [H,H]")) << c.diagnostics;
}

TEST(FrontendSema, MatchingSymbolsAcceptedAndLoweredWithCoincidingSizes) {
  Checked c = check(model("E = 32, H = 32",
                          "  param W: [E + H, 3 * H] = zeros\n"
                          "  param U: [V, E] = zeros\n",
                          "let g = concat(x @ U, h) @ W\n"
                          "    h = tanh(slice(g, H, 2 * H) + x @ W_xh)"));
  ASSERT_TRUE(c.program) << c.diagnostics;
  std::ostringstream os;
  DiagnosticEngine diags(std::make_shared<SourceBuffer>("t.rnn", ""), os);
  auto module = lowerToIR(*c.program, {32, std::nullopt, std::nullopt}, diags);
  ASSERT_TRUE(module) << os.str();
  const ir::Function &fn = *module->functions().front();
  EXPECT_EQ(fn.argumentNamed("W")->type().shape(), (std::vector<int64_t>{64, 96}));
}

TEST(FrontendSema, SliceBoundsMustHoldForEveryVocabulary) {
  Checked c = check(model("H = 4", "", "h = tanh(slice(x, 0, H) + h @ W_hh)"));
  EXPECT_FALSE(c.program);
  EXPECT_TRUE(has(c, "error: slice [0, 4) is out of range for a last axis of size V"))
      << c.diagnostics;
}

TEST(FrontendSema, OverflowingDimensionIsAnError) {
  Checked c = check(model("H = 4", "  param p: [64 * (536870912 * 536870912) + 7] = zeros\n",
                          "h = tanh(x @ W_xh + h @ W_hh)"));
  EXPECT_FALSE(c.program);
  EXPECT_TRUE(has(c, "t.rnn:7:16: error: dimension expression overflows")) << c.diagnostics;
}

TEST(FrontendSema, SizeLimitsAtCheckAndWhenTheVocabularyIsBound) {
  Checked big = check(model("H = 1e9", "", "h = tanh(x @ W_xh + h @ W_hh)"));
  EXPECT_FALSE(big.program);
  EXPECT_TRUE(has(big, "t.rnn:3:9: error: parameter 'W_hh' has 1000000000000000000 "
                       "elements; the limit is 2147483648"))
      << big.diagnostics;

  Checked ok = check(model("H = 256", "", "h = tanh(x @ W_xh + h @ W_hh)"));
  ASSERT_TRUE(ok.program) << ok.diagnostics;
  std::ostringstream os;
  DiagnosticEngine diags(std::make_shared<SourceBuffer>("t.rnn", ""), os);
  EXPECT_FALSE(lowerToIR(*ok.program, {100000000, std::nullopt, std::nullopt}, diags));
  EXPECT_NE(os.str().find("parameter 'W_xh' has 25600000000 elements; the limit is "
                          "2147483648"),
            std::string::npos)
      << os.str();
}
