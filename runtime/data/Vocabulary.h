//===- Vocabulary.h - Characters <-> token ids -----------------*- C++ -*-===//
///
/// \file
/// The model's vocabulary: the distinct code points of the corpus, each with
/// an id 0..V-1. Ids follow the order of first appearance in the text. d2l
/// builds its list from a Python set, whose order changes from run to run;
/// first appearance is stable, needs no sorting, and puts the common
/// characters of the opening lines first. A checkpoint stores the list, so a
/// model always decodes with the vocabulary it was trained on.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace rnnc::runtime {

class Vocabulary {
public:
  /// The distinct code points of `text` in order of first appearance.
  static Vocabulary fromText(std::u32string_view text);
  /// A vocabulary with exactly these characters in this order (as stored in a
  /// checkpoint). Fails on duplicates or an empty list.
  static Expected<Vocabulary> fromChars(std::u32string_view chars);

  /// V, the number of characters.
  int64_t size() const { return static_cast<int64_t>(chars_.size()); }
  /// All characters in id order.
  const std::u32string &chars() const { return chars_; }
  /// All characters in id order as one UTF-8 string.
  std::string toUtf8() const;

  /// The id of a character, or nullopt if it is not in the vocabulary.
  std::optional<int32_t> idOf(char32_t c) const;
  /// The character with id `id` (0 <= id < size()).
  char32_t charOf(int32_t id) const { return chars_.at(static_cast<size_t>(id)); }

  /// Ids of every character; an unknown one is an error naming it and its
  /// index, e.g. "character '丁' (U+4E01) at index 2 is not in the vocabulary".
  Expected<std::vector<int32_t>> encode(std::u32string_view text) const;
  /// As above for UTF-8 text (invalid UTF-8 is an error too).
  Expected<std::vector<int32_t>> encodeUtf8(std::string_view text) const;
  /// The UTF-8 text of a sequence of ids (each must be in range).
  std::string decode(const std::vector<int32_t> &ids) const;

  bool operator==(const Vocabulary &other) const { return chars_ == other.chars_; }
  bool operator!=(const Vocabulary &other) const { return !(*this == other); }

private:
  std::u32string chars_;
  std::unordered_map<char32_t, int32_t> ids_;
};

} // namespace rnnc::runtime
