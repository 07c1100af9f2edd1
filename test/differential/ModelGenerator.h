//===- ModelGenerator.h - Random valid models from a seed -------*- C++ -*-===//
///
/// \file
/// Writes a random model that the front end must accept: 1-3 states (some
/// sharing a dimension, LSTM-style), onehot or token input (`embed`), let
/// chains, stacked cells, states computed from other states, `concat` and
/// `slice` with dimension-expression bounds, bias vectors broadcast over the
/// batch, scalar literals, unary minus, division by `1 + sigmoid(..)` or
/// `2 + relu(..)`, `exp`/`log` in safe ranges, and subexpressions written
/// twice on purpose (`h @ W + h @ W`, `sigmoid(q) * c + (1 - sigmoid(q)) * h`,
/// `0.5 * tanh(a) + 0.5 * tanh(a)`), and the normalisation functions
/// (GeneratorOptions::normalisation). Sizes are tiny (V 3-9, dims 1-8, B 1-4,
/// T 1-5) and often coincide with B, T or V. The same seed always gives the
/// same model.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "test/differential/RandomModel.h"

#include <cstdint>

namespace rnnc::difftest {

struct GeneratorOptions {
  /// Write subexpressions twice on purpose (off only to tell a failure
  /// caused by repeated subexpressions from any other).
  bool repeats = true;
  /// Issue 13's functions: layer_norm, centring and RMS scaling with
  /// mean/sqrt, a softmax with max/sum, abs, products with a transposed
  /// param, and tied embeddings (`h @ transpose(emb)` beside `embed(emb, x)`).
  bool normalisation = true;
};

RandomModel generateModel(uint64_t seed, const GeneratorOptions &options = {});

} // namespace rnnc::difftest
