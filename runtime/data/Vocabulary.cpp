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

std::optional<Vocabulary> Vocabulary::fromChars(std::u32string_view chars,
                                                std::string *error) {
  if (chars.empty()) {
    if (error)
      *error = "vocabulary is empty";
    return std::nullopt;
  }
  Vocabulary vocab = fromText(chars);
  if (vocab.chars_.size() != chars.size()) {
    for (size_t i = 0; i < chars.size(); ++i) {
      if (vocab.chars_[i] != chars[i]) {
        if (error)
          *error = fmt::format("vocabulary lists {} twice",
                               describeCodePoint(chars[i]));
        return std::nullopt;
      }
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

std::optional<std::vector<int32_t>>
Vocabulary::encode(std::u32string_view text, std::string *error) const {
  std::vector<int32_t> ids;
  ids.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    std::optional<int32_t> id = idOf(text[i]);
    if (!id) {
      if (error)
        *error = fmt::format("character {} at index {} is not in the vocabulary",
                             describeCodePoint(text[i]), i);
      return std::nullopt;
    }
    ids.push_back(*id);
  }
  return ids;
}

std::optional<std::vector<int32_t>>
Vocabulary::encodeUtf8(std::string_view text, std::string *error) const {
  std::optional<std::u32string> decoded = decodeUtf8(text, error);
  if (!decoded)
    return std::nullopt;
  return encode(*decoded, error);
}

std::string Vocabulary::decode(const std::vector<int32_t> &ids) const {
  std::string out;
  for (int32_t id : ids)
    appendUtf8(out, charOf(id));
  return out;
}

} // namespace rnnc::runtime
