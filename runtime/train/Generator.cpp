//===- Generator.cpp - Text continuation from a prefix --------------------===//
#include "runtime/train/Generator.h"

namespace rnnc::runtime {

Expected<std::string>
TextGenerator::continueText(const std::string &prefixUtf8, int64_t count,
                            TokenChooser &chooser) const {
  std::string text;
  Expected<bool> streamed = streamText(prefixUtf8, count, chooser,
                                       [&](std::string_view piece) {
                                         text += piece;
                                         return true;
                                       });
  if (!streamed)
    return streamed.error();
  return text;
}

Expected<bool> TextGenerator::streamText(const std::string &prefixUtf8,
                                         int64_t count, TokenChooser &chooser,
                                         const TextSink &sink) const {
  const ModelLayout &layout = step_.layout();
  if (layout.batch != 1 || layout.seqLen != 1)
    return Error("text generation needs a forward program with B = T = 1");
  if (layout.vocab != vocab_.size())
    return Error("the model's vocabulary size (" + std::to_string(layout.vocab) +
                 ") differs from the vocabulary's (" +
                 std::to_string(vocab_.size()) + ")");
  if (count < 0)
    return Error("the number of characters to generate must not be negative");
  Expected<std::vector<int32_t>> prefix = vocab_.encodeUtf8(prefixUtf8);
  if (!prefix)
    return Error("prefix: " + prefix.error().message());
  if (prefix->empty())
    return Error("the prefix is empty: give at least one character");
  if (Expected<void> reserved = step_.reserveArena(); !reserved)
    return reserved.error();
  TensorBuffers states = allocateBuffers(layout.states);
  std::vector<float> logits(static_cast<size_t>(layout.vocab));
  if (!sink(vocab_.decode(*prefix)))
    return false;
  // Step t consumes token t (the prefix, then each chosen character); the
  // prediction is used once the prefix is consumed.
  int32_t token = (*prefix)[0];
  std::string piece;
  for (int64_t t = 0, total = static_cast<int64_t>(prefix->size()) + count;
       t + 1 < total; ++t) {
    if (!step_.run(params_, states, &token, logits.data()))
      return Error(step_.arenaShortfall());
    if (t + 1 < static_cast<int64_t>(prefix->size())) {
      token = (*prefix)[static_cast<size_t>(t + 1)];
      continue;
    }
    token = chooser.choose(logits.data(), logits.size());
    piece = vocab_.decode({token});
    if (!sink(piece))
      return false;
  }
  return true;
}

} // namespace rnnc::runtime
