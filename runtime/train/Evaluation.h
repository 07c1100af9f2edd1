//===- Evaluation.h - Perplexity of a model on held-out text ----*- C++ -*-===//
///
/// \file
/// Held-out evaluation, as `rnnc train --val-fraction/--val-data` runs it
/// after every epoch and `rnnc eval` runs it on a checkpoint: the text is
/// read once, from its first character to its last, by a forward step with
/// one stream (B = 1) of kEvaluationSeqLen characters per call, the state
/// carried from call to call (never reset), and every character after the
/// first is scored: loss = -log softmax(logits)[next character], summed in
/// double in text order. There is no sampling, no dropout and no choice
/// that depends on the thread count, so the same parameters give the same
/// perplexity bit for bit in training and in `rnnc eval`.
///
/// Out-of-vocabulary policy: a character the model's vocabulary lacks is
/// skipped, neither fed nor scored, and counted; the text continues as if
/// it were absent. (A split of the training corpus never has one: its
/// vocabulary is made from the whole corpus, held-out part included.)
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Error.h"
#include "runtime/data/Vocabulary.h"
#include "runtime/train/CompiledStep.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rnnc::runtime {

/// The forward step evaluation runs: B = 1, T = kEvaluationSeqLen. One
/// fixed shape, so training and `rnnc eval` run the same code.
constexpr int64_t kEvaluationBatch = 1;
constexpr int64_t kEvaluationSeqLen = 64;

/// Where the held-out part of an `n`-character text starts when its last
/// `fraction` is held out: n - floor(fraction * n), on a character (code
/// point) boundary. `fraction` must be in [0, 1) (0: nothing held out,
/// returns n); a held-out part of fewer than 2 characters, which scores
/// nothing, is an error.
Expected<size_t> heldOutStart(size_t chars, double fraction);
/// Cuts the held-out part (as heldOutStart says) off the end of `text` and
/// returns it.
Expected<std::u32string> takeHeldOutPart(std::u32string &text, double fraction);

/// A text as token ids, with the characters outside the vocabulary left out
/// and counted.
struct EncodedText {
  std::vector<int32_t> tokens;
  int64_t outOfVocabulary = 0;
};
EncodedText encodeKnownCharacters(std::u32string_view text,
                                  const Vocabulary &vocab);

/// The summed loss of the scored characters (every character but the first).
struct EvaluationResult {
  double lossSum = 0; ///< nats
  int64_t scored = 0;
  double meanLoss() const;
  double perplexity() const;  ///< exp(mean loss)
  double bitsPerChar() const; ///< mean loss / ln 2
};

/// Scores `tokens` (at least 2) with `step` (B = 1) over `params` from a
/// zero state, as the file comment says.
Expected<EvaluationResult> evaluateText(const ForwardStep &step,
                                        const TensorBuffers &params,
                                        const std::vector<int32_t> &tokens);

/// The best validation perplexity of a run so far, for `--save-best` and
/// `--patience`; a checkpoint carries it so a resumed run goes on exactly.
struct ValidationRecord {
  std::optional<double> best;
  int64_t bestEpoch = 0;
  int64_t epochsSinceBest = 0;
  /// Takes an epoch's validation perplexity; true if it is finite and
  /// strictly lower than every earlier one.
  bool observe(int64_t epoch, double perplexity);
};

} // namespace rnnc::runtime
