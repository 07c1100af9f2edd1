//===- JITTest.cpp - The CompiledFunction API -----------------------------===//
///
/// \file
/// What callers of runtime/codegen/JIT.h rely on beyond op-by-op correctness
/// (CodegenTest.cpp): errors come back as messages, repeated calls give the
/// same answer (the reused arena carries no state), a state buffer may be
/// both an argument and a result (the trainer carries h in place), several
/// compiled functions coexist, and the O3 pipeline vectorises elementwise
/// loops for the host.
///
//===----------------------------------------------------------------------===//
#include "CodegenTestUtil.h"

#include "runtime/kernels/Kernels.h"
#include "runtime/kernels/KernelsParallel.h"

#include <regex>

using namespace rnnc;
using namespace rnnc::codegen_test;
using namespace rnnc::fixtures;

namespace {

const char *kStep = R"(module @T {
  func @f(param %w: f32[4,4], state %h: f32[2,4], input %x: i32[3,2])
      -> (y: f32[3,2,4], h: f32[2,4]) {
    %h.1, %y = scan(%h, %x, %w) {carried = 1, reverse = 0, sequences = 1} {
    ^body(%h.2: f32[2,4], %x.1: i32[2], %w.1: f32[4,4]):
      %0 = onehot(%x.1) {depth = 4} : f32[2,4]
      %1 = matmul(%h.2, %w.1) : f32[2,4]
      %2 = add(%0, %1) : f32[2,4]
      %3 = tanh(%2) : f32[2,4]
      yield %3, %3
    } : f32[2,4], f32[3,2,4]
    return %y, %h.1
  }
})";

} // namespace

TEST(JIT, UnsupportedFunctionIsAnError) {
  ir::Function fn("bad");
  auto *a = fn.addArgument(ir::ArgRole::Input, "a", ir::TensorType::i32({{4, ""}}));
  auto *sum = fn.body().create(ir::OpKind::Add, {a, a}, {a->type()});
  fn.body().create(ir::OpKind::Return, {sum->result()}, {});
  auto compiled = runtime::CompiledFunction::compile(fn);
  ASSERT_FALSE(compiled);
  EXPECT_NE(compiled.error().message().find("f32 only"), std::string::npos)
      << compiled.error().message();
}

TEST(JIT, RepeatedCallsAgreeAndStateMayBeUpdatedInPlace) {
  auto module = parseIR(kStep);
  ASSERT_TRUE(module);
  const ir::Function &fn = *module->function("f");
  auto expected = runtime::CompiledFunction::compile(fn);
  ASSERT_TRUE(bool(expected)) << expected.error().message();
  auto &compiled = *expected;
  EXPECT_GT(compiled->compileMillis(), 0.0);

  std::vector<float> w(16), h(8, 0.0f), y(24), y2(24);
  for (size_t i = 0; i < w.size(); ++i)
    w[i] = 0.1f * static_cast<float>(i % 5) - 0.2f;
  std::vector<int32_t> x{0, 1, 2, 3, 3, 0};
  // Two calls chained through one state buffer, as a consecutive sampler
  // carries h from one minibatch to the next.
  void *args[] = {w.data(), h.data(), x.data()};
  void *results[] = {y.data(), h.data()};
  ASSERT_TRUE(compiled->run(args, results));
  std::vector<float> hAfterOne = h;
  ASSERT_TRUE(compiled->run(args, results));

  // The same two calls through the interpreter.
  ir::Tensor wt({4, 4}, std::vector<double>(w.begin(), w.end()));
  ir::Tensor ht = ir::Tensor::filled({2, 4});
  ir::Tensor xt({3, 2}, std::vector<double>(x.begin(), x.end()));
  for (int call = 0; call < 2; ++call) {
    auto ref = ir::interpret(fn, {wt, ht, xt});
    ASSERT_TRUE(ref) << ref.error().message();
    ht = (*ref)[1];
    if (call == 0) {
      for (size_t i = 0; i < 8; ++i)
        EXPECT_NEAR(hAfterOne[i], ht.data[i], 1e-5);
    }
  }
  for (size_t i = 0; i < 8; ++i)
    EXPECT_NEAR(h[i], ht.data[i], 1e-5) << i;
  EXPECT_NE(h, hAfterOne);

  // A fresh zero state gives the first call's answer again.
  std::vector<float> h0(8, 0.0f);
  void *args2[] = {w.data(), h0.data(), x.data()};
  std::vector<float> hOut(8);
  void *results2[] = {y2.data(), hOut.data()};
  ASSERT_TRUE(compiled->run(args2, results2));
  EXPECT_EQ(hOut, hAfterOne);
}

TEST(JIT, SeveralCompiledFunctionsCoexist) {
  auto first = parseIR(kStep);
  auto second = parseIR(R"(module @U {
  func @f(input %a: f32[8]) -> (r: f32[8]) {
    %0 = exp(%a) : f32[8]
    return %0
  }
})");
  ASSERT_TRUE(first && second);
  auto compiled1 = runtime::CompiledFunction::compile(*first->function("f"));
  auto compiled2 = runtime::CompiledFunction::compile(*second->function("f"));
  ASSERT_TRUE(compiled1 && compiled2);
  auto &c1 = *compiled1, &c2 = *compiled2;
  std::vector<float> a{0, 1, 2, 3, -1, -2, 0.5f, 4}, r(8);
  void *args[] = {a.data()};
  void *results[] = {r.data()};
  ASSERT_TRUE(c2->run(args, results));
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_NEAR(r[i], std::exp(a[i]), 1e-5f * std::exp(a[i]));
  c1.reset(); // destroying one JIT leaves the other usable
  ASSERT_TRUE(c2->run(args, results));
  EXPECT_NEAR(r[3], std::exp(3.0f), 1e-4f);
}

TEST(JIT, ElementwiseLoopsAreVectorised) {
  auto module = parseIR(R"(module @T {
  func @f(input %a: f32[64,33], input %b: f32[33]) -> (r: f32[64,33]) {
    %0 = add(%a, %b) : f32[64,33]
    %1 = tanh(%0) : f32[64,33]
    return %1
  }
})");
  ASSERT_TRUE(module);
  auto text = runtime::emitOptimizedLLVMText(*module->function("f"));
  ASSERT_TRUE(bool(text)) << text.error().message();
  // The add of the fused loop itself, not any vector type in the module.
  EXPECT_TRUE(std::regex_search(*text, std::regex(R"(fadd (fast |contract )*<\d+ x float>)")))
      << "the elementwise loop's add is not vectorised after O3";
  EXPECT_FALSE(runtime::hostCPUName().empty());
}

TEST(Kernels, OutOfRangeTokensAreHarmless) {
  // The interpreter rejects such ids; the kernels must merely not corrupt
  // memory: a zero row for gather, skipped for scatter-add and the loss.
  std::vector<float> table{1, 2, 3, 4}, out(4, 7.0f), grad(4), logits{0, 0, 0, 0};
  std::vector<int32_t> idx{5, 1};
  rnnc_gather(table.data(), idx.data(), out.data(), 2, 2, 2);
  EXPECT_EQ(out, (std::vector<float>{0, 0, 3, 4}));
  rnnc_scatter_add(idx.data(), table.data(), grad.data(), 2, 2, 2, 0);
  EXPECT_EQ(grad, (std::vector<float>{0, 0, 3, 4}));
  float loss = -1;
  rnnc_cross_entropy(logits.data(), idx.data(), &loss, 2, 2);
  EXPECT_NEAR(loss, std::log(2.0f) / 2, 1e-6f);
}

TEST(Kernels, ArenaGrowsAndIsAligned) {
  void *small = rnnc_arena_acquire(100);
  ASSERT_NE(small, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(small) % 64, 0u);
  void *large = rnnc_arena_acquire(1 << 20);
  ASSERT_NE(large, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(large) % 64, 0u);
  EXPECT_EQ(rnnc_arena_acquire(10), large); // reused, not shrunk
}

TEST(Kernels, ArenaAboveItsLimitIsNullAndKeepsTheCachedOne) {
  void *cached = rnnc_arena_acquire(4096);
  ASSERT_NE(cached, nullptr);
  EXPECT_EQ(rnnc_arena_acquire(INT64_MAX), nullptr);
  EXPECT_EQ(rnnc_arena_acquire(4096), cached);
  EXPECT_NE(rnnc_arena_acquire(0), nullptr); // null only means "no arena"
}

TEST(Kernels, ThreadedProductsEqualSingleThreaded) {
  // Large enough to be split: 64 x 96 x 720 (8.8 Mflop).
  const int64_t m = 64, k = 96, n = 720;
  std::vector<float> a(m * k), b(k * n), bt(n * k), c(m * n);
  for (size_t i = 0; i < a.size(); ++i)
    a[i] = static_cast<float>((i * 37) % 17) / 17.0f - 0.5f;
  for (size_t i = 0; i < b.size(); ++i)
    b[i] = static_cast<float>((i * 11) % 23) / 23.0f - 0.5f;
  for (size_t i = 0; i < bt.size(); ++i)
    bt[i] = b[(i % k) * n + i / k]; // bt = bᵀ
  for (size_t i = 0; i < c.size(); ++i)
    c[i] = static_cast<float>(i % 7) - 3.0f;
  auto products = [&] {
    std::vector<float> mm(m * n), nt(m * n), tn(k * n);
    rnnc_matmul(a.data(), b.data(), mm.data(), m, k, n);
    rnnc_matmul_nt(a.data(), bt.data(), nt.data(), m, k, n);
    rnnc_matmul_tn(a.data(), c.data(), tn.data(), m, k, n, 0);
    rnnc_matmul_tn(a.data(), c.data(), tn.data(), m, k, n, 1); // doubles it
    return std::vector<std::vector<float>>{mm, nt, tn};
  };
  int before = runtime::kernelThreads();
  runtime::setKernelThreads(1);
  auto single = products();
  runtime::setKernelThreads(3);
  auto threaded = products();
  runtime::setKernelThreads(before);
  for (size_t p = 0; p < single.size(); ++p)
    for (size_t i = 0; i < single[p].size(); ++i)
      ASSERT_EQ(threaded[p][i], single[p][i]) // same bits on any thread count
          << "product " << p << " element " << i;
  // matmul and matmul_nt of the same operands agree; each is a real product.
  for (size_t i = 0; i < single[0].size(); ++i)
    ASSERT_NEAR(single[0][i], single[1][i], 1e-4f);
  float direct = 0;
  for (int64_t j = 0; j < k; ++j)
    direct += a[j] * b[j * n];
  EXPECT_NEAR(single[0][0], direct, 1e-4f);
}
