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
