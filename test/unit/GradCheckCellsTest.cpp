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
  buildCharRnnForward(m, /*V=*/7, /*H=*/5, /*B=*/3, /*T=*/4);
  checkGradients(m);
}

namespace {
const std::pair<std::string, std::string> kSmallH{"H = 256", "H = 5"};

void checkExample(const std::string &file,
                  std::vector<std::pair<std::string, std::string>> edits) {
  auto m = lowerExample(file, /*vocab=*/7, /*batch=*/3, /*seqLen=*/4, edits);
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
