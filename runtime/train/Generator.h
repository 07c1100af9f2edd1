//===- Generator.h - Text continuation from a prefix ------------*- C++ -*-===//
///
/// \file
/// d2l's predict_rnn: feed the prefix one character at a time from a zero
/// state, then emit characters one by one, each chosen from the logits of the
/// previous step (greedy or sampled). The state is carried, so each new
/// character costs one step of the B = T = 1 forward program, never a re-run
/// of the window.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Error.h"
#include "runtime/data/Vocabulary.h"
#include "runtime/train/CompiledStep.h"
#include "runtime/train/Decoding.h"

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace rnnc::runtime {

class TextGenerator {
public:
  /// `step` must be a B = T = 1 forward step over `params`' layout.
  TextGenerator(const ForwardStep &step, const TensorBuffers &params,
                const Vocabulary &vocab)
      : step_(step), params_(params), vocab_(vocab) {}

  /// The prefix followed by `count` generated characters. Fails on an empty
  /// prefix or one with a character outside the vocabulary.
  Expected<std::string> continueText(const std::string &prefixUtf8,
                                     int64_t count, TokenChooser &chooser) const;

  /// Receives the text piece by piece (UTF-8); false stops the generation
  /// (e.g. the output cannot be written).
  using TextSink = std::function<bool(std::string_view)>;

  /// As continueText, but hands the prefix and then each character to
  /// `sink` as soon as it is chosen: memory does not grow with `count`.
  /// True when all of it went to the sink, false when the sink stopped it;
  /// an Error on bad input.
  Expected<bool> streamText(const std::string &prefixUtf8, int64_t count,
                            TokenChooser &chooser, const TextSink &sink) const;

private:
  const ForwardStep &step_;
  const TensorBuffers &params_;
  const Vocabulary &vocab_;
};

} // namespace rnnc::runtime
