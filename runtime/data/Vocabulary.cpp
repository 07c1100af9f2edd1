//===- Vocabulary.cpp - Characters <-> token ids --------------------------===//
///
/// \file
/// A code point list plus a hash map back to ids. See Vocabulary.h for why
/// the order is that of first appearance.
///
//===----------------------------------------------------------------------===//
#include "runtime/data/Vocabulary.h"

#include "runtime/data/Utf8.h"

#include <fmt/format.h>

namespace rnnc::runtime {

Vocabulary Vocabulary::fromText(std::u32string_view text) {
  Vocabulary vocab;
  for (char32_t c : text) {
    auto [it, inserted] =
        vocab.ids_.emplace(c, static_cast<int32_t>(vocab.chars_.size()));
    if (inserted)
      vocab.chars_.push_back(c);
  }
  return vocab;
}

Expected<Vocabulary> Vocabulary::fromChars(std::u32string_view chars) {
  if (chars.empty())
    return Error("vocabulary is empty");
  Vocabulary vocab = fromText(chars);
  if (vocab.chars_.size() != chars.size()) {
    for (size_t i = 0; i < chars.size(); ++i) {
      if (vocab.chars_[i] != chars[i])
        return Error(fmt::format("vocabulary lists {} twice",
                                 describeCodePoint(chars[i])));
    }
  }
  return vocab;
}

std::string Vocabulary::toUtf8() const { return runtime::encodeUtf8(chars_); }

std::optional<int32_t> Vocabulary::idOf(char32_t c) const {
  auto it = ids_.find(c);
  if (it == ids_.end())
    return std::nullopt;
  return it->second;
}

Expected<std::vector<int32_t>>
Vocabulary::encode(std::u32string_view text) const {
  std::vector<int32_t> ids;
  ids.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    std::optional<int32_t> id = idOf(text[i]);
    if (!id)
      return Error(fmt::format("character {} at index {} is not in the vocabulary",
                               describeCodePoint(text[i]), i));
    ids.push_back(*id);
  }
  return ids;
}

Expected<std::vector<int32_t>>
Vocabulary::encodeUtf8(std::string_view text) const {
  Expected<std::u32string> decoded = decodeUtf8(text);
  if (!decoded)
    return decoded.error();
  return encode(*decoded);
}

std::string Vocabulary::decode(const std::vector<int32_t> &ids) const {
  std::string out;
  for (int32_t id : ids)
    appendUtf8(out, charOf(id));
  return out;
}

} // namespace rnnc::runtime
