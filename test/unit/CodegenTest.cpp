//===- CodegenTest.cpp - JIT-compiled ops against the interpreter ---------===//
///
/// \file
/// Differential tests of the code generator: every op of Ops.def (each
/// broadcasting form, each one-hot fold, each reduce_sum path) and scans
/// (forward, reverse, carried values swapped, no per-step output) compiled by
/// the JIT and compared with ir::interpret within 1e-4 + 1e-4·|ref|. A few
/// results are also worked out by hand so the tests do not only trust the
/// oracle.
///
//===----------------------------------------------------------------------===//
#include "CodegenTestUtil.h"
#include "ScanFixtures.h"
#include "test/support/CharRnn.h"

#include "runtime/codegen/Codegen.h"

using namespace rnnc;
using namespace rnnc::codegen_test;
using namespace rnnc::fixtures;

namespace {

/// A module holding `@f(args) -> (r: resultType)` with `body`.
std::string func(const std::string &args, const std::string &results,
                 const std::string &body) {
  return "module @T {\n  func @f(" + args + ") -> (" + results + ") {\n" + body +
         "\n  }\n}\n";
}

} // namespace

TEST(Codegen, MatMulByHand) {
  auto module = parseIR(func("input %a: f32[2,2], input %b: f32[2,2]", "r: f32[2,2]",
                             "    %0 = matmul(%a, %b) : f32[2,2]\n    return %0"));
  ASSERT_TRUE(module);
  std::vector<ir::Tensor> args{ir::Tensor({2, 2}, {1, 2, 3, 4}),
                               ir::Tensor({2, 2}, {5, 6, 7, 8})};
  std::vector<ir::Tensor> r = runJIT(*module->function("f"), args);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].data, (std::vector<double>{19, 22, 43, 50}));
}

TEST(Codegen, ElementwiseUnary) {
  for (const char *op : {"neg", "tanh", "sigmoid", "relu", "exp", "step"})
    checkIR(func("input %a: f32[3,37]", "r: f32[3,37]",
                 std::string("    %0 = ") + op + "(%a) : f32[3,37]\n    return %0"));
  // log on positive inputs only; tanh also far outside the clamp.
  checkIR(func("input %a: f32[3,37]", "r: f32[3,37]",
               "    %0 = log(%a) : f32[3,37]\n    return %0"),
          1, 0.01, 4.0);
  checkIR(func("input %a: f32[64]", "r: f32[64]",
               "    %0 = tanh(%a) : f32[64]\n    return %0"),
          1, -20.0, 20.0);
}

TEST(Codegen, TanhNearZeroAndSaturated) {
  auto module = parseIR(func("input %a: f32[5]", "r: f32[5]",
                             "    %0 = tanh(%a) : f32[5]\n    return %0"));
  ASSERT_TRUE(module);
  std::vector<double> x{0.0, 1e-5, -0.3, 30.0, -30.0};
  auto r = runJIT(*module->function("f"), {ir::Tensor({5}, x)});
  ASSERT_EQ(r.size(), 1u);
  for (size_t i = 0; i < x.size(); ++i)
    EXPECT_NEAR(r[0].data[i], std::tanh(x[i]), 1e-6) << x[i];
}

TEST(Codegen, ElementwiseBinarySameShape) {
  for (const char *op : {"add", "sub", "mul", "div"})
    checkIR(func("input %a: f32[4,9], input %b: f32[4,9]", "r: f32[4,9]",
                 std::string("    %0 = ") + op + "(%a, %b) : f32[4,9]\n    return %0"));
}

TEST(Codegen, ElementwiseBinaryBroadcasts) {
  for (const char *op : {"add", "sub", "mul", "div"}) {
    std::string o(op);
    // suffix on the right, suffix on the left, scalar on either side
    checkIR(func("input %a: f32[2,3,5], input %b: f32[5]", "r: f32[2,3,5]",
                 "    %0 = " + o + "(%a, %b) : f32[2,3,5]\n    return %0"));
    checkIR(func("input %a: f32[3,5], input %b: f32[2,3,5]", "r: f32[2,3,5]",
                 "    %0 = " + o + "(%a, %b) : f32[2,3,5]\n    return %0"));
    checkIR(func("input %a: f32[], input %b: f32[7]", "r: f32[7]",
                 "    %0 = " + o + "(%a, %b) : f32[7]\n    return %0"));
    checkIR(func("input %a: f32[7], input %b: f32[]", "r: f32[7]",
                 "    %0 = " + o + "(%a, %b) : f32[7]\n    return %0"));
  }
}

TEST(Codegen, ConstantsInlinedAndMaterialised) {
  // 2.5 feeds only elementwise ops (inlined); 0.0 is returned (stored).
  checkIR(func("input %a: f32[6]", "r: f32[6], z: f32[2,3], s: f32[6]",
               "    %c = constant() {value = 2.5} : f32[]\n"
               "    %0 = mul(%a, %c) : f32[6]\n"
               "    %z = constant() {value = 0.0} : f32[2,3]\n"
               "    %1 = sub(%c, %0) : f32[6]\n"
               "    return %0, %z, %1"));
}

TEST(Codegen, MatrixProducts) {
  checkIR(func("input %a: f32[3,4,6], input %b: f32[6,5]", "r: f32[3,4,5]",
               "    %0 = matmul(%a, %b) : f32[3,4,5]\n    return %0"));
  checkIR(func("input %a: f32[3,4,5], input %b: f32[6,5]", "r: f32[3,4,6]",
               "    %0 = matmul_nt(%a, %b) : f32[3,4,6]\n    return %0"));
  checkIR(func("input %a: f32[3,4,6], input %b: f32[3,4,5]", "r: f32[6,5]",
               "    %0 = matmul_tn(%a, %b) : f32[6,5]\n    return %0"));
}

TEST(Codegen, OneHotMaterialisedAndFolded) {
  // Returned: materialised by the onehot kernel.
  checkIR(func("input %x: i32[3,4]", "r: f32[3,4,7]",
               "    %0 = onehot(%x) {depth = 7} : f32[3,4,7]\n    return %0"),
          7);
  // Only a matmul left operand: a row gather. Only matmul_tn: a scatter-add.
  checkIR(func("input %x: i32[3,4], input %w: f32[7,5]", "r: f32[3,4,5]",
               "    %0 = onehot(%x) {depth = 7} : f32[3,4,7]\n"
               "    %1 = matmul(%0, %w) : f32[3,4,5]\n    return %1"),
          7);
  checkIR(func("input %x: i32[3,4], input %g: f32[3,4,5]", "r: f32[7,5]",
               "    %0 = onehot(%x) {depth = 7} : f32[3,4,7]\n"
               "    %1 = matmul_tn(%0, %g) : f32[7,5]\n    return %1"),
          7);
}

TEST(Codegen, GatherAndScatterAdd) {
  checkIR(func("input %w: f32[9,5], input %x: i32[2,3]", "r: f32[2,3,5]",
               "    %0 = gather(%w, %x) : f32[2,3,5]\n    return %0"),
          9);
  // Few rows, many positions: repeated ids must accumulate.
  checkIR(func("input %x: i32[4,6], input %g: f32[4,6,3]", "r: f32[3,3]",
               "    %0 = scatter_add(%x, %g) {rows = 3} : f32[3,3]\n    return %0"),
          3);
}

TEST(Codegen, ConcatSlicePad) {
  checkIR(func("input %a: f32[2,3,2], input %b: f32[2,3,5], input %c: f32[2,3,1]",
               "r: f32[2,3,8]",
               "    %0 = concat(%a, %b, %c) : f32[2,3,8]\n    return %0"));
  checkIR(func("input %a: f32[4,10]", "r: f32[4,4]",
               "    %0 = slice(%a) {begin = 3, end = 7} : f32[4,4]\n    return %0"));
  checkIR(func("input %a: f32[4,4]", "r: f32[4,10]",
               "    %0 = pad(%a) {begin = 3, size = 10} : f32[4,10]\n    return %0"));
}

TEST(Codegen, ReduceSumEveryPath) {
  const std::string args = "input %a: f32[3,4,5]";
  checkIR(func(args, "r: f32[5]",
               "    %0 = reduce_sum(%a) {axes = [0, 1]} : f32[5]\n    return %0"));
  checkIR(func(args, "r: f32[3]",
               "    %0 = reduce_sum(%a) {axes = [1, 2]} : f32[3]\n    return %0"));
  checkIR(func(args, "r: f32[3,5]",
               "    %0 = reduce_sum(%a) {axes = [1]} : f32[3,5]\n    return %0"));
  checkIR(func(args, "r: f32[4]",
               "    %0 = reduce_sum(%a) {axes = [0, 2]} : f32[4]\n    return %0"));
  checkIR(func(args, "r: f32[]",
               "    %0 = reduce_sum(%a) {axes = [0, 1, 2]} : f32[]\n    return %0"));
}

TEST(Codegen, CrossEntropyAndGradient) {
  checkIR(func("input %y: f32[3,4,11], input %l: i32[3,4], input %d: f32[]",
               "loss: f32[], g: f32[3,4,11]",
               "    %0 = cross_entropy(%y, %l) : f32[]\n"
               "    %1 = cross_entropy_grad(%y, %l, %d) : f32[3,4,11]\n"
               "    return %0, %1"),
          11);
}

TEST(Codegen, CrossEntropyLargeLogitsStayFinite) {
  auto module = parseIR(func("input %y: f32[1,3], input %l: i32[1]", "loss: f32[]",
                             "    %0 = cross_entropy(%y, %l) : f32[]\n    return %0"));
  ASSERT_TRUE(module);
  auto r = runJIT(*module->function("f"),
                  {ir::Tensor({1, 3}, {1000, 0, -1000}), ir::Tensor({1}, {1})});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_NEAR(r[0].data[0], 1000.0, 1e-3);
}

/// The d2l char-RNN step inside one scan, with the one-hot in the body
/// (V=13, H=8, B=3, T=6).
std::unique_ptr<ir::Module> charRnn() {
  auto m = std::make_unique<ir::Module>();
  buildCharRnnForward(*m, {13, 8, 3, 6});
  return m;
}

TEST(Codegen, CharRNNForwardScan) { checkAgainstInterpreter(*charRnn()->function("forward"), 13); }

TEST(Codegen, CharRNNForwardScanByHand) {
  // The same forward computed directly in the test, independent of the
  // interpreter.
  auto module = charRnn();
  const ir::Function &fn = *module->function("forward");
  std::vector<ir::Tensor> a = randomArguments(fn, 13);
  const int V = 13, H = 8, B = 3, T = 6;
  std::vector<double> h = a[5].data, logits;
  for (int t = 0; t < T; ++t) {
    std::vector<double> next(B * H);
    for (int b = 0; b < B; ++b)
      for (int j = 0; j < H; ++j) {
        int tok = static_cast<int>(a[6].data[t * B + b]);
        double s = a[0].data[tok * H + j] + a[2].data[j];
        for (int k = 0; k < H; ++k)
          s += h[b * H + k] * a[1].data[k * H + j];
        next[b * H + j] = std::tanh(s);
      }
    h = next;
    for (int b = 0; b < B; ++b)
      for (int v = 0; v < V; ++v) {
        double s = a[4].data[v];
        for (int k = 0; k < H; ++k)
          s += h[b * H + k] * a[3].data[k * V + v];
        logits.push_back(s);
      }
  }
  std::vector<ir::Tensor> want{ir::Tensor({T, B, V}, logits), ir::Tensor({B, H}, h)};
  EXPECT_EQ(expectClose(runJIT(fn, a), want, fn.resultNames), 0);
}

TEST(Codegen, ReverseScanSwapAndNoOutputs) {
  // Reverse order matters (a running product with a non-commuting mix), the
  // carried values swap roles each step, and a second scan has no per-step
  // output at all.
  checkIR(R"(module @T {
  func @f(input %a: f32[2,3], input %b: f32[2,3], input %s: f32[5,2,3])
      -> (a: f32[2,3], b: f32[2,3], out: f32[5,2,3], c: f32[2,3]) {
    %a.1, %b.1, %out = scan(%a, %b, %s) {carried = 2, reverse = 1, sequences = 1} {
    ^body(%x: f32[2,3], %y: f32[2,3], %st: f32[2,3]):
      %0 = mul(%x, %st) : f32[2,3]
      %1 = tanh(%0) : f32[2,3]
      %2 = add(%1, %y) : f32[2,3]
      yield %y, %2, %2
    } : f32[2,3], f32[2,3], f32[5,2,3]
    %c = scan(%a, %s) {carried = 1, reverse = 0, sequences = 1} {
    ^body(%x.1: f32[2,3], %st.1: f32[2,3]):
      %3 = sub(%st.1, %x.1) : f32[2,3]
      yield %3
    } : f32[2,3]
    return %a.1, %b.1, %out, %c
  }
})");
}

TEST(Codegen, EmitsReadableLLVMText) {
  auto module = charRnn();
  auto text = runtime::emitLLVMText(*module->function("forward"));
  ASSERT_TRUE(bool(text)) << text.error().message();
  EXPECT_NE(text->find("define i32 @forward(ptr %args, ptr %results)"), std::string::npos);
  // Code generation follows the IR: a one-hot feeding a matmul stays a
  // one-hot and a product (turning it into a gather is simplify's).
  EXPECT_NE(text->find("call void @rnnc_onehot"), std::string::npos);
  EXPECT_NE(text->find("call void @rnnc_matmul"), std::string::npos);
  EXPECT_EQ(text->find("call void @rnnc_gather"), std::string::npos);
}

TEST(Codegen, UnsupportedInputIsAnErrorNotACrash) {
  auto module = parseIR(func("input %a: i32[4], input %b: i32[4]", "r: i32[4]",
                             "    %0 = add(%a, %b) : i32[4]\n    return %0"));
  ASSERT_TRUE(module) << "the IR parser accepts i32 arithmetic; codegen must refuse it";
  auto text = runtime::emitLLVMText(*module->function("f"));
  ASSERT_FALSE(text);
  EXPECT_NE(text.error().message().find("f32 only"), std::string::npos)
      << text.error().message();
}

TEST(Codegen, ScanOutputsSummedOverTimeOrStackedInPlace) {
  // %g (matmul_tn) and %st (a slice argument) are summed over time in place;
  // %p is written straight into its row; %q is both returned and reduced, so
  // it stays stacked; %r is reduced over a non-time axis.
  checkIR(scan_fixtures::kTimeSumOfCarried);
}

TEST(Codegen, NestedScans) {
  // The inner scan runs once per outer step over that step's [4,2] slice; its
  // per-step output is summed over (inner) time, its carried value restarts
  // from the outer carried value every outer step.
  checkIR(scan_fixtures::kNestedScans);
}
