//===- GradCheckCellsTest.cpp - Whole cells against finite differences ----===//
///
/// \file
/// The autodiff pass's @train_step on whole recurrent cells over several
/// time steps: every parameter gradient equals the central difference of the
/// loss (tolerance 1e-6 relative, double precision, via the interpreter).
///
//===----------------------------------------------------------------------===//
#include "GradCheckSupport.h"

using namespace rnnc::ir;
using namespace rnnc::testing;

TEST(GradCheckCells, HandBuiltCharRnn) {
  Module m;
  rnnc::fixtures::buildCharRnnForward(m, {/*V=*/7, /*H=*/5, /*B=*/3, /*T=*/4});
  checkGradients(m);
}

namespace {
const std::pair<std::string, std::string> kSmallH{"H = 256", "H = 5"};

void checkExample(const std::string &file,
                  std::vector<std::pair<std::string, std::string>> edits) {
  auto m = rnnc::fixtures::lowerExample(file, {/*vocab=*/7, /*batch=*/3, /*seqLen=*/4}, edits);
  ASSERT_TRUE(m);
  checkGradients(*m);
}
} // namespace

TEST(GradCheckCells, CharRnnExample) { checkExample("char_rnn.rnn", {kSmallH}); }
TEST(GradCheckCells, GruExample) { checkExample("gru.rnn", {kSmallH}); }
TEST(GradCheckCells, LstmExample) { checkExample("lstm.rnn", {kSmallH}); }
TEST(GradCheckCells, TwoLayerLstmExample) { checkExample("lstm2.rnn", {kSmallH}); }
TEST(GradCheckCells, EmbeddingGruExample) {
  checkExample("embed_gru.rnn", {kSmallH, {"E = 64", "E = 4"}});
}
TEST(GradCheckCells, LayerNormLstmExample) { checkExample("lstm_layernorm.rnn", {kSmallH}); }
TEST(GradCheckCells, TiedEmbeddingGruExample) { checkExample("tied_gru.rnn", {kSmallH}); }

namespace {
/// The char RNN in its time-batched form: the input projection runs before
/// the scan over all T·B rows (a float sequence [T,B,H] into the scan), the
/// output projection after it. `reverse` runs the recurrence from t = T-1.
void buildHoistedCharRnn(Module &m, int64_t V, int64_t H, int64_t B, int64_t T,
                         bool reverse) {
  Function *f = m.addFunction("forward");
  Value *Wxh = f->addArgument(ArgRole::Param, "W_xh", f32Type({V, H}));
  Value *Whh = f->addArgument(ArgRole::Param, "W_hh", f32Type({H, H}));
  Value *bh = f->addArgument(ArgRole::Param, "b_h", f32Type({H}));
  Value *Whq = f->addArgument(ArgRole::Param, "W_hq", f32Type({H, V}));
  Value *bq = f->addArgument(ArgRole::Param, "b_q", f32Type({V}));
  Value *h0 = f->addArgument(ArgRole::State, "h", f32Type({B, H}));
  Value *x = f->addArgument(ArgRole::Input, "x", i32Type({T, B}));
  Block &top = f->body();
  Value *xw = emit(top, OpKind::Gather, {Wxh, x}); // [T,B,H]
  Operation *scan = top.create(
      OpKind::Scan, {h0, xw, Whh, bh}, {f32Type({B, H}), f32Type({T, B, H})},
      {{"carried", int64_t(1)}, {"sequences", int64_t(1)},
       {"reverse", int64_t(reverse)}});
  Block &s = *scan->addRegion();
  Value *h = s.addArgument(f32Type({B, H}), "h");
  Value *xt = s.addArgument(f32Type({B, H}), "xw");
  Value *w = s.addArgument(f32Type({H, H}), "W_hh");
  Value *b = s.addArgument(f32Type({H}), "b_h");
  Value *pre = emit(s, OpKind::Add, {xt, emit(s, OpKind::MatMul, {h, w})});
  Value *hn = emit(s, OpKind::Tanh, {emit(s, OpKind::Add, {pre, b})});
  s.create(OpKind::Yield, {hn, hn}, {});
  Value *logits =
      emit(top, OpKind::Add, {emit(top, OpKind::MatMul, {scan->result(1), Whq}), bq});
  top.create(OpKind::Return, {logits, scan->result(0)}, {});
  f->resultNames = {"logits", "h"};
}
} // namespace

TEST(GradCheckCells, TimeBatchedCharRnnWithFloatSequence) {
  Module m;
  buildHoistedCharRnn(m, 7, 5, 3, 4, /*reverse=*/false);
  checkGradients(m);
}

TEST(GradCheckCells, ReverseDirectionScan) {
  Module m;
  buildHoistedCharRnn(m, 7, 5, 3, 4, /*reverse=*/true);
  checkGradients(m);
}
