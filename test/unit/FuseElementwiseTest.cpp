//===- FuseElementwiseTest.cpp - The `fusion` op and fuse-elementwise -----===//
///
/// \file
/// The `fusion` region op (ir/Ops.def) and the pass that makes it
/// (passes/FuseElementwise.cpp): text round trip of every fused example,
/// the verifier's body rules, autodiff's refusal, and hand-written fusions
/// (epilogue product, broadcast bias, constants, several results,
/// pass-through yields) run by the JIT against the interpreter
/// (runtime/codegen/CodegenFusion.cpp). Interpreter equality before/after the pass
/// on every example: PassExamplesTest.cpp; JIT on the fused examples:
/// CodegenExamplesTest.cpp.
///
//===----------------------------------------------------------------------===//
#include "IRTextTestUtil.h"
#include "test/support/IRText.h"
#include "CodegenTestUtil.h"
#include "PassTestUtil.h"

#include "ir/Printer.h"
#include "passes/Autodiff.h"
#include "ir/Verifier.h"

using namespace rnnc;

namespace {

std::vector<std::string> fusedPipeline() {
  std::vector<std::string> names = passes::defaultTrainPipeline();
  if (names.empty() || names.back() != "fuse-elementwise")
    names.push_back("fuse-elementwise");
  return names;
}

/// Verifier messages of `@f` in `text` (which must parse).
std::string verifierErrors(const std::string &text) {
  std::string parseErrors;
  auto m = fixtures::parseIR(text, &parseErrors);
  EXPECT_TRUE(m) << parseErrors;
  if (!m || !m->function("f"))
    return "<no module>";
  std::string all;
  for (const ir::VerifierError &e : ir::collectVerifierErrors(*m->function("f")))
    all += e.message + "\n";
  return all;
}

const char *kHeader = "module @M {\n";

} // namespace

TEST(FuseElementwise, FusedExamplesRoundTripThroughText) {
  for (const char *file :
       {"char_rnn.rnn", "gru.rnn", "lstm.rnn", "lstm2.rnn", "embed_gru.rnn"}) {
    SCOPED_TRACE(file);
    auto m = fixtures::loadTrainStep(file, {11, 3, 5});
    ASSERT_TRUE(m);
    ASSERT_TRUE(pass_test::runPassList(*m, fusedPipeline()));
    int fusions = 0;
    for (const auto &fn : m->functions())
      fusions += pass_test::countOps(*fn, ir::OpKind::Fusion);
    EXPECT_GT(fusions, 0);
    std::string text = ir::toString(*m), errors;
    auto parsed = fixtures::parseIR(text, &errors);
    ASSERT_TRUE(parsed) << errors;
    std::ostringstream diagText;
    DiagnosticEngine diag(nullptr, diagText);
    EXPECT_TRUE(ir::verifyModule(*parsed, diag)) << diagText.str();
    EXPECT_EQ(ir::toString(*parsed), text);
  }
}

TEST(FuseElementwise, PassIsIdempotent) {
  auto m = fixtures::loadTrainStep("lstm.rnn", {11, 3, 5});
  ASSERT_TRUE(m);
  ASSERT_TRUE(pass_test::runPassList(*m, fusedPipeline()));
  std::string once = ir::toString(*m);
  ASSERT_TRUE(pass_test::runPassList(*m, {"fuse-elementwise"}));
  EXPECT_EQ(ir::toString(*m), once);
}

TEST(FuseElementwise, VerifierAcceptsAnEpilogueFusion) {
  EXPECT_EQ(verifierErrors(std::string(kHeader) + R"(
  func @f(param %W: f32[3,4], param %b: f32[4], state %h: f32[2,3]) -> (y: f32[2,4], z: f32[2,4]) {
    %y, %z = fusion(%h, %W, %b) {
    ^body(%h1: f32[2,3], %W1: f32[3,4], %b1: f32[4]):
      %p = matmul(%h1, %W1) : f32[2,4]
      %one = constant() {value = 1.0} : f32[]
      %s = add(%p, %b1) : f32[2,4]
      %t = tanh(%s) : f32[2,4]
      %u = sub(%one, %t) : f32[2,4]
      yield %t, %u
    } : f32[2,4], f32[2,4]
    return %y, %z
  }
})"),
            "");
}

TEST(FuseElementwise, VerifierRejectsNonElementwiseBodies) {
  std::string gather = verifierErrors(std::string(kHeader) + R"(
  func @f(param %W: f32[5,3], input %x: i32[2]) -> (y: f32[2,3]) {
    %y = fusion(%W, %x) {
    ^body(%W1: f32[5,3], %x1: i32[2]):
      %g = gather(%W1, %x1) : f32[2,3]
      %t = tanh(%g) : f32[2,3]
      yield %t
    } : f32[2,3]
    return %y
  }
})");
  EXPECT_NE(gather.find("body may not hold 'gather'"), std::string::npos) << gather;

  std::string late = verifierErrors(std::string(kHeader) + R"(
  func @f(param %W: f32[3,3], state %h: f32[2,3]) -> (y: f32[2,3]) {
    %y = fusion(%h, %W) {
    ^body(%h1: f32[2,3], %W1: f32[3,3]):
      %t = tanh(%h1) : f32[2,3]
      %p = matmul(%t, %W1) : f32[2,3]
      yield %p
    } : f32[2,3]
    return %y
  }
})");
  EXPECT_NE(late.find("one matrix product, as its first op"), std::string::npos) << late;

  std::string shapes = verifierErrors(std::string(kHeader) + R"(
  func @f(state %h: f32[2,3], param %b: f32[3]) -> (y: f32[2,3], z: f32[3]) {
    %y, %z = fusion(%h, %b) {
    ^body(%h1: f32[2,3], %b1: f32[3]):
      %t = tanh(%h1) : f32[2,3]
      %e = exp(%b1) : f32[3]
      yield %t, %e
    } : f32[2,3], f32[3]
    return %y, %z
  }
})");
  EXPECT_NE(shapes.find("yields values of different shapes"), std::string::npos) << shapes;
}

TEST(FuseElementwise, BodyIsIsolatedFromAbove) {
  std::string errors;
  auto m = fixtures::parseIR(std::string(kHeader) + R"(
  func @f(state %h: f32[2,3]) -> (y: f32[2,3]) {
    %y = fusion() {
    ^body():
      %t = tanh(%h) : f32[2,3]
      yield %t
    } : f32[2,3]
    return %y
  }
})",
                             &errors);
  EXPECT_FALSE(m);
  EXPECT_NE(errors.find("isolated from above"), std::string::npos) << errors;
}

TEST(FuseElementwise, AutodiffRejectsFusion) {
  auto m = fixtures::parseIR(std::string(kHeader) + R"(
  func @forward(param %W: f32[V=3,V=3], state %h: f32[B=2,V=3], input %x: i32[T=1,B=2]) -> (logits: f32[T=1,B=2,V=3]) {
    %l = fusion(%x, %W) {
    ^body(%x1: i32[T=1,B=2], %W1: f32[V=3,V=3]):
      %g = exp(%W1) : f32[V=3,V=3]
      yield %g
    } : f32[V=3,V=3]
    %o = onehot(%x) {depth = 3} : f32[T=1,B=2,V=3]
    %y = matmul(%o, %l) : f32[T=1,B=2,V=3]
    return %y
  }
})");
  ASSERT_TRUE(m);
  auto built = passes::buildTrainStep(*m);
  ASSERT_FALSE(built);
  EXPECT_NE(built.error().message().find("cannot differentiate 'fusion'"),
            std::string::npos)
      << built.error().message();
}

TEST(FuseElementwise, JitRunsEpilogueFusionWithSeveralResults) {
  // The product is not yielded: it is computed into %y's buffer in place.
  codegen_test::checkIR(std::string(kHeader) + R"(
  func @f(param %W: f32[5,7], param %b: f32[7], state %h: f32[3,5], state %c: f32[3,7]) -> (y: f32[3,7], z: f32[3,7], w: f32[3,7]) {
    %y, %z, %w = fusion(%h, %W, %b, %c) {
    ^body(%h1: f32[3,5], %W1: f32[5,7], %b1: f32[7], %c1: f32[3,7]):
      %p = matmul(%h1, %W1) : f32[3,7]
      %one = constant() {value = 1.0} : f32[]
      %s = add(%p, %b1) : f32[3,7]
      %g = sigmoid(%s) : f32[3,7]
      %t = tanh(%s) : f32[3,7]
      %u = sub(%one, %g) : f32[3,7]
      %n = mul(%u, %c1) : f32[3,7]
      %m = add(%n, %t) : f32[3,7]
      yield %m, %g, %c1
    } : f32[3,7], f32[3,7], f32[3,7]
    return %y, %z, %w
  }
})");
}

TEST(FuseElementwise, JitRunsFusionThatYieldsItsProduct) {
  codegen_test::checkIR(std::string(kHeader) + R"(
  func @f(param %W: f32[4,6], param %b: f32[6], state %h: f32[2,3,6]) -> (y: f32[2,3,4], z: f32[2,3,4]) {
    %y, %z = fusion(%h, %W) {
    ^body(%h1: f32[2,3,6], %W1: f32[4,6]):
      %p = matmul_nt(%h1, %W1) : f32[2,3,4]
      %e = exp(%p) : f32[2,3,4]
      %q = mul(%e, %p) : f32[2,3,4]
      yield %q, %p
    } : f32[2,3,4], f32[2,3,4]
    return %y, %z
  }
})");
}

TEST(FuseElementwise, JitRunsFusionInsideScan) {
  // One char-RNN step after hoisting: the whole body is one epilogue fusion.
  codegen_test::checkIR(std::string(kHeader) + R"(
  func @f(param %U: f32[3,3], param %b: f32[3], state %h: f32[2,3], state %xs: f32[4,2,3]) -> (h: f32[2,3], hs: f32[4,2,3]) {
    %hT, %hs = scan(%h, %xs, %U, %b) {carried = 1, reverse = 0, sequences = 1} {
    ^body(%hp: f32[2,3], %xt: f32[2,3], %U1: f32[3,3], %b1: f32[3]):
      %n = fusion(%hp, %U1, %xt, %b1) {
      ^body(%hp2: f32[2,3], %U2: f32[3,3], %xt2: f32[2,3], %b2: f32[3]):
        %r = matmul(%hp2, %U2) : f32[2,3]
        %s = add(%xt2, %r) : f32[2,3]
        %s2 = add(%s, %b2) : f32[2,3]
        %t = tanh(%s2) : f32[2,3]
        yield %t
      } : f32[2,3]
      yield %n, %n
    } : f32[2,3], f32[4,2,3]
    return %hT, %hs
  }
})");
}
