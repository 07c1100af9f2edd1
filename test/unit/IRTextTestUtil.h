//===- IRTextTestUtil.h - Hand-built modules for IR text tests --*- C++ -*-===//
///
/// \file
/// A tiny char-RNN module (test/support/CharRnn.h), shared by the
/// printer/parser and verifier tests.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/IR.h"
#include "test/support/CharRnn.h"

#include <memory>
#include <string>

namespace rnnc::irtest {

using namespace rnnc::ir;

/// The char RNN of test/support/CharRnn.h without its output bias
/// (V=4, H=3, B=2, T=5), in a module `@Tiny` with a train block and an
/// initialiser, so the printer has one of each to show.
inline std::unique_ptr<Module> buildTinyRnn() {
  auto m = std::make_unique<Module>();
  m->name = "Tiny";
  m->train.lr = 1.5;
  m->train.batch = 2;
  m->train.seqLen = 5;
  m->paramInits["W_xh"] = ParamInit{"normal", 0, 0.01};
  fixtures::buildCharRnnForward(*m, {4, 3, 2, 5, /*outputBias=*/false});
  return m;
}

} // namespace rnnc::irtest
