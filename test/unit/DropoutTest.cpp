//===- DropoutTest.cpp - The dropout op: masks, rates, gradients ----------===//
///
/// \file
/// ir/DropoutMask.h's Philox against Random123's known answers; the keep
/// rate of the mask against 1 - p; the interpreter's `dropout` (the oracle
/// the JIT is compared with in CodegenExamplesTest and ThreadCountBitsTest):
/// kept elements scaled by 1 / (1 - p), the mask a function of the key's
/// seed, step, row offset and time and of the op's salt, and a row offset
/// r0 giving rows [r0, r0 + b) of a batch exactly the masks those rows get
/// in the whole batch; gradients through dropout (a fixed mask) against
/// finite differences, for one op and for examples/gru_dropout.rnn; and
/// dropout gone from the generation lowering.
///
//===----------------------------------------------------------------------===//
#include "GradCheckSupport.h"

#include "ir/DropoutMask.h"
#include "runtime/train/CompiledStep.h"

#include <cmath>

using namespace rnnc;
using namespace rnnc::ir;
using namespace rnnc::testing;

namespace {

/// Interprets dropout(x, key) {p, salt}.
Tensor runDropout(const Tensor &x, const Tensor &key, double p, int64_t salt) {
  Module m;
  Function *f = m.addFunction("f");
  Value *xv = f->addArgument(ArgRole::Param, "x", f32Type(x.shape));
  Value *kv = f->addArgument(ArgRole::Key, "key", i32Type(key.shape));
  Value *y = emit(f->body(), OpKind::Dropout, {xv, kv}, {{"p", p}, {"salt", salt}});
  f->body().create(OpKind::Return, {y}, {});
  auto out = interpret(*f, {x, key});
  EXPECT_TRUE(out) << out.error().message();
  return out ? (*out)[0] : Tensor();
}

/// A key [T, 5] from the trainer's own packing.
Tensor keyTensor(runtime::DropoutCounter counter, int64_t steps) {
  std::vector<int32_t> words = runtime::dropoutKeyWords(counter, steps);
  return Tensor({steps, kKeyWords}, std::vector<double>(words.begin(), words.end()));
}

std::array<uint32_t, 4> philox(std::array<uint32_t, 4> c, std::array<uint32_t, 2> k) {
  PhiloxWords ops;
  return philox4x32(ops, c, k);
}

} // namespace

// Random123 v1.14 tests/kat_vectors, "philox4x32 10" lines.
TEST(DropoutMask, PhiloxKnownAnswers) {
  using W = std::array<uint32_t, 4>;
  EXPECT_EQ(philox({0, 0, 0, 0}, {0, 0}),
            (W{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(philox({~0u, ~0u, ~0u, ~0u}, {~0u, ~0u}),
            (W{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(philox({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
                   {0xa4093822, 0x299f31d0}),
            (W{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

TEST(DropoutMask, KeepRateIsOneMinusP) {
  const int64_t n = 1 << 18;
  std::array<uint32_t, kKeyWords> key = {12345, 0, 7, 0, 3};
  for (double p : {0.1, 0.5, 0.9}) {
    int64_t kept = 0;
    for (int64_t i = 0; i < n; ++i)
      kept += dropoutKeeps(key, /*salt=*/1, keepThreshold(p), static_cast<uint32_t>(i % 512),
                           static_cast<uint32_t>(i / 512));
    double rate = static_cast<double>(kept) / n;
    double sigma = std::sqrt(p * (1 - p) / n);
    EXPECT_NEAR(rate, 1 - p, 5 * sigma) << "p = " << p;
  }
  EXPECT_EQ(keepThreshold(0), 0u); // p = 0 keeps everything
}

TEST(DropoutMask, KeyWordsPerTimeStep) {
  runtime::DropoutCounter c{0x0123456789abcdefull, 41, 96};
  std::vector<int32_t> w = runtime::dropoutKeyWords(c, 3);
  ASSERT_EQ(w.size(), 3u * kKeyWords);
  for (int t = 0; t < 3; ++t) {
    const int32_t *row = &w[t * kKeyWords];
    EXPECT_EQ(static_cast<uint32_t>(row[kKeySeedLo]), 0x89abcdefu);
    EXPECT_EQ(static_cast<uint32_t>(row[kKeySeedHi]), 0x01234567u);
    EXPECT_EQ(row[kKeyStep], 41);
    EXPECT_EQ(row[kKeyRowOffset], 96);
    EXPECT_EQ(row[kKeyTime], t);
  }
}

TEST(DropoutInterpreter, KeptElementsScaledDroppedZero) {
  const int64_t T = 3, B = 4, N = 50;
  const double p = 0.3;
  Tensor x = Tensor::filled({T, B, N}, 2.0);
  Tensor key = keyTensor({99, 5, 0}, T);
  Tensor y = runDropout(x, key, p, 2);
  ASSERT_EQ(y.shape, x.shape);
  int64_t kept = 0;
  for (int64_t t = 0; t < T; ++t)
    for (int64_t b = 0; b < B; ++b)
      for (int64_t c = 0; c < N; ++c) {
        double v = y.at({t, b, c});
        std::array<uint32_t, kKeyWords> words = {99, 0, 5, 0, static_cast<uint32_t>(t)};
        bool keep = dropoutKeeps(words, 2, keepThreshold(p), static_cast<uint32_t>(c),
                                 static_cast<uint32_t>(b));
        EXPECT_EQ(v, keep ? 2.0 * static_cast<double>(keepScale(p)) : 0.0);
        kept += keep;
      }
  // 600 elements: the keep rate within 5 sigma of 0.7.
  EXPECT_NEAR(kept / 600.0, 0.7, 5 * std::sqrt(0.21 / 600));
}

TEST(DropoutInterpreter, MaskDependsOnSeedStepTimeAndSalt) {
  const int64_t T = 2, B = 3, N = 40;
  Tensor x = Tensor::filled({T, B, N}, 1.0);
  Tensor base = runDropout(x, keyTensor({1, 0, 0}, T), 0.5, 1);
  EXPECT_EQ(base.data, runDropout(x, keyTensor({1, 0, 0}, T), 0.5, 1).data);
  EXPECT_NE(base.data, runDropout(x, keyTensor({2, 0, 0}, T), 0.5, 1).data); // seed
  EXPECT_NE(base.data, runDropout(x, keyTensor({1, 1, 0}, T), 0.5, 1).data); // step
  EXPECT_NE(base.data, runDropout(x, keyTensor({1, 0, 0}, T), 0.5, 2).data); // salt
  // Time: the two steps of one call draw different masks.
  std::vector<double> first(base.data.begin(), base.data.begin() + B * N);
  std::vector<double> second(base.data.begin() + B * N, base.data.end());
  EXPECT_NE(first, second);
}

// A data-parallel rank with rows [r0, r0 + b) of the global batch passes
// row offset r0 and gets the masks a single process gives those rows.
TEST(DropoutInterpreter, RowOffsetGivesTheGlobalBatchRowsMasks) {
  const int64_t T = 2, B = 6, N = 33, r0 = 2, b = 3;
  Tensor whole = runDropout(Tensor::filled({T, B, N}, 1.0), keyTensor({7, 11, 0}, T), 0.4, 1);
  Tensor part = runDropout(Tensor::filled({T, b, N}, 1.0), keyTensor({7, 11, r0}, T), 0.4, 1);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t i = 0; i < b; ++i)
      for (int64_t c = 0; c < N; ++c)
        ASSERT_EQ(part.at({t, i, c}), whole.at({t, r0 + i, c}))
            << "t " << t << " row " << i << " col " << c;
  Tensor unshifted = runDropout(Tensor::filled({T, b, N}, 1.0), keyTensor({7, 11, 0}, T), 0.4, 1);
  EXPECT_NE(unshifted.data, part.data);
}

// The key is an argument, so the finite differences see one fixed mask.
TEST(DropoutGradCheck, OneOpWithFixedMask) {
  const int64_t T = 2, B = 3, V = 4;
  Module m;
  Function *f = m.addFunction("forward");
  Value *p0 = f->addArgument(ArgRole::Param, "p0", f32Type({T, B, V}));
  f->addArgument(ArgRole::Input, "x", i32Type({T, B}));
  Value *key = f->addArgument(ArgRole::Key, "dropout_key", i32Type({T, kKeyWords}));
  Value *t = emit(f->body(), OpKind::Tanh, {p0});
  Value *d = emit(f->body(), OpKind::Dropout, {t, key}, {{"p", 0.5}, {"salt", int64_t{1}}});
  Value *logits = emit(f->body(), OpKind::Mul, {d, p0});
  f->body().create(OpKind::Return, {logits}, {});
  f->resultNames = {"logits"};
  checkGradients(m, /*seed=*/3, -1.0, 1.0);
}

TEST(DropoutGradCheck, GruDropoutExample) {
  auto m = fixtures::lowerExample("gru_dropout.rnn", {/*vocab=*/7, /*batch=*/3, /*seqLen=*/4},
                                  {{"H = 256", "H = 5"}, {"E = 64", "E = 4"}});
  ASSERT_TRUE(m);
  unsigned dropouts = 0;
  for (const auto &op : m->function("forward")->body().operations())
    for (const auto &region : op->regions())
      for (const auto &inner : region->operations())
        dropouts += inner->kind() == OpKind::Dropout;
  EXPECT_EQ(dropouts, 2u);
  checkGradients(*m);
}

// Generation and evaluation lower @forward without dropout or its key.
TEST(DropoutLowering, GenerationHasNoDropout) {
  auto model = fixtures::checkExample("gru_dropout.rnn");
  ASSERT_TRUE(model);
  driver::CompileOptions options;
  options.entry = driver::EntryPoint::Forward;
  options.lastStage = driver::LastStage::Passes;
  options.pipeline.emplace();
  auto compiled = driver::compileModel(*model, {7, 1, 1}, options);
  ASSERT_TRUE(compiled);
  const Function &fn = *compiled->module->function("forward");
  for (unsigned i = 0; i < fn.body().numArguments(); ++i)
    EXPECT_NE(fn.argRole(i), ArgRole::Key);
  std::vector<const Block *> work{&fn.body()};
  while (!work.empty()) {
    const Block *b = work.back();
    work.pop_back();
    for (const auto &op : b->operations()) {
      EXPECT_NE(op->kind(), OpKind::Dropout);
      for (const auto &region : op->regions())
        work.push_back(region.get());
    }
  }
}
