//===- Utf8.h - Strict UTF-8 decoding and encoding --------------*- C++ -*-===//
///
/// \file
/// A character of the corpus is a Unicode code point, so the runtime decodes
/// UTF-8 itself, strictly: overlong forms, surrogates, values above U+10FFFF
/// and truncated sequences are errors that name the byte offset. Used by the
/// corpus reader, the vocabulary and checkpoints.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Error.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace rnnc::runtime {

/// Decodes `bytes`; on failure an Error
/// "invalid UTF-8 at byte offset N (byte 0xNN)".
Expected<std::u32string> decodeUtf8(std::string_view bytes);

/// decodeUtf8 over input that arrives in chunks: a sequence may be split
/// between two chunks; offsets in messages count from the first byte fed.
class Utf8StreamDecoder {
public:
  /// Appends the code points completed by `chunk` to `out`; at the first
  /// invalid byte, the Error decodeUtf8 would give.
  Expected<void> feed(std::string_view chunk, std::u32string &out);
  /// An Error when the input ended inside a sequence.
  Expected<void> finish() const;
  /// Bytes fed so far.
  uint64_t offset() const { return offset_; }

private:
  uint64_t offset_ = 0;     ///< of the next byte
  uint64_t leadOffset_ = 0; ///< of the lead byte of the open sequence
  uint8_t lead_ = 0;
  int need_ = 0, seen_ = 0; ///< bytes of the open sequence: total, had
  char32_t value_ = 0;
};

/// Appends the UTF-8 form of one code point (assumed valid).
void appendUtf8(std::string &out, char32_t codePoint);

/// The UTF-8 form of a code point sequence.
std::string encodeUtf8(std::u32string_view codePoints);

/// A code point for messages: `'分' (U+5206)`, or just `U+000A` for control
/// characters that would garble a terminal.
std::string describeCodePoint(char32_t codePoint);

} // namespace rnnc::runtime
