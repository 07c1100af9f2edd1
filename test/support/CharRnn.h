//===- CharRnn.h - The d2l char-RNN step, written once ----------*- C++ -*-===//
///
/// \file
/// The model most tests exercise, d2l 6.4's char RNN, as `@forward` built
/// through the IR API (so a test of the printer, parser, verifier,
/// interpreter or autodiff does not depend on the front end):
///
///   forward(W_xh[V,H], W_hh[H,H], b_h[H], W_hq[H,V], b_q[V], h[B,H], x[T,B])
///     one scan over x: h = tanh(onehot(x)·W_xh + h·W_hh + b_h)
///                      y = h·W_hq + b_q
///     returns (logits[T,B,V], h)
///
/// Without the output bias b_q when `outputBias` is false. A test that
/// needs the model as `rnnc` compiles it loads examples/char_rnn.rnn through
/// Examples.h instead.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/IR.h"

#include <cstdint>

namespace rnnc::fixtures {

struct CharRnnSizes {
  int64_t vocab, hidden, batch, steps;
  bool outputBias = true;
};

/// Adds the char RNN's `@forward` to `m`.
void buildCharRnnForward(ir::Module &m, const CharRnnSizes &sizes);

} // namespace rnnc::fixtures
