//===- Generator.cpp - Text continuation from a prefix --------------------===//
#include "runtime/Generator.h"

namespace rnnc::runtime {

std::optional<std::string>
TextGenerator::continueText(const std::string &prefixUtf8, int64_t count,
                            TokenChooser &chooser, std::string *error) const {
  const ModelLayout &layout = step_.layout();
  if (layout.batch != 1 || layout.seqLen != 1) {
    *error = "text generation needs a forward program with B = T = 1";
    return std::nullopt;
  }
  if (layout.vocab != vocab_.size()) {
    *error = "the model's vocabulary size (" + std::to_string(layout.vocab) +
             ") differs from the vocabulary's (" +
             std::to_string(vocab_.size()) + ")";
    return std::nullopt;
  }
  std::string encodeError;
  auto prefix = vocab_.encodeUtf8(prefixUtf8, &encodeError);
  if (!prefix) {
    *error = "prefix: " + encodeError;
    return std::nullopt;
  }
  if (prefix->empty()) {
    *error = "the prefix is empty: give at least one character";
    return std::nullopt;
  }
  if (!step_.reserveArena(error))
    return std::nullopt;
  TensorBuffers states = allocateBuffers(layout.states);
  std::vector<float> logits(static_cast<size_t>(layout.vocab));
  std::vector<int32_t> tokens = *prefix;
  tokens.reserve(prefix->size() + static_cast<size_t>(count));
  // Step t consumes tokens[t]; while inside the prefix the prediction is
  // ignored, after it the chosen character is appended and fed next.
  size_t total = prefix->size() + static_cast<size_t>(count);
  for (size_t t = 0; t + 1 < total; ++t) {
    if (!step_.run(params_, states, &tokens[t], logits.data())) {
      step_.reserveArena(error);
      return std::nullopt;
    }
    if (t + 1 >= prefix->size())
      tokens.push_back(chooser.choose(logits.data(), logits.size()));
  }
  return vocab_.decode(tokens);
}

} // namespace rnnc::runtime
