//===- Utf8.cpp - Strict UTF-8 decoding and encoding ----------------------===//
///
/// \file
/// Decoding follows the Unicode "well-formed UTF-8" table (Unicode 15, §3.9,
/// table 3-7): each lead byte fixes the length and the allowed range of the
/// second byte, which rules out overlong forms and surrogates in one check.
///
//===----------------------------------------------------------------------===//
#include "runtime/data/Utf8.h"

#include <cstdint>
#include <fmt/format.h>

namespace rnnc::runtime {

namespace {

/// Length of the sequence a lead byte starts and the allowed range of its
/// second byte; length 0 means the byte cannot start a character.
struct LeadByteRule {
  int length;
  uint8_t secondLo, secondHi;
};

LeadByteRule ruleFor(uint8_t lead) {
  if (lead < 0x80)
    return {1, 0, 0};
  if (lead >= 0xC2 && lead <= 0xDF)
    return {2, 0x80, 0xBF};
  if (lead == 0xE0)
    return {3, 0xA0, 0xBF}; // no overlong 3-byte forms
  if (lead == 0xED)
    return {3, 0x80, 0x9F}; // no surrogates
  if (lead >= 0xE1 && lead <= 0xEF)
    return {3, 0x80, 0xBF};
  if (lead == 0xF0)
    return {4, 0x90, 0xBF}; // no overlong 4-byte forms
  if (lead >= 0xF1 && lead <= 0xF3)
    return {4, 0x80, 0xBF};
  if (lead == 0xF4)
    return {4, 0x80, 0x8F}; // nothing above U+10FFFF
  return {0, 0, 0};
}

} // namespace

Expected<std::u32string> decodeUtf8(std::string_view bytes) {
  std::u32string out;
  out.reserve(bytes.size());
  size_t pos = 0;
  auto fail = [&](size_t offset) -> Expected<std::u32string> {
    return Error(fmt::format("invalid UTF-8 at byte offset {} (byte 0x{:02x})",
                             offset, static_cast<uint8_t>(bytes[offset])));
  };
  while (pos < bytes.size()) {
    uint8_t lead = static_cast<uint8_t>(bytes[pos]);
    LeadByteRule rule = ruleFor(lead);
    if (rule.length == 0)
      return fail(pos);
    if (rule.length == 1) {
      out.push_back(lead);
      ++pos;
      continue;
    }
    char32_t value = lead & (0xFF >> (rule.length + 1));
    for (int i = 1; i < rule.length; ++i) {
      if (pos + i >= bytes.size()) {
        // Truncated at the end of the input: blame the lead byte.
        return fail(pos);
      }
      uint8_t next = static_cast<uint8_t>(bytes[pos + i]);
      uint8_t lo = i == 1 ? rule.secondLo : 0x80;
      uint8_t hi = i == 1 ? rule.secondHi : 0xBF;
      if (next < lo || next > hi)
        return fail(pos + i);
      value = (value << 6) | (next & 0x3F);
    }
    out.push_back(value);
    pos += rule.length;
  }
  return out;
}

Expected<void> Utf8StreamDecoder::feed(std::string_view chunk,
                                       std::u32string &out) {
  auto fail = [](uint64_t offset, uint8_t byte) -> Expected<void> {
    return Error(fmt::format("invalid UTF-8 at byte offset {} (byte 0x{:02x})",
                             offset, byte));
  };
  for (char c : chunk) {
    uint8_t byte = static_cast<uint8_t>(c);
    uint64_t at = offset_++;
    if (need_ == 0) {
      LeadByteRule rule = ruleFor(byte);
      if (rule.length == 0)
        return fail(at, byte);
      if (rule.length == 1) {
        out.push_back(byte);
        continue;
      }
      lead_ = byte;
      leadOffset_ = at;
      need_ = rule.length;
      seen_ = 1;
      value_ = byte & (0xFF >> (rule.length + 1));
      continue;
    }
    LeadByteRule rule = ruleFor(lead_);
    uint8_t lo = seen_ == 1 ? rule.secondLo : 0x80;
    uint8_t hi = seen_ == 1 ? rule.secondHi : 0xBF;
    if (byte < lo || byte > hi)
      return fail(at, byte);
    value_ = (value_ << 6) | (byte & 0x3F);
    if (++seen_ == need_) {
      out.push_back(value_);
      need_ = 0;
    }
  }
  return {};
}

Expected<void> Utf8StreamDecoder::finish() const {
  if (need_ == 0)
    return {};
  // Truncated at the end of the input: blame the lead byte.
  return Error(fmt::format("invalid UTF-8 at byte offset {} (byte 0x{:02x})",
                           leadOffset_, lead_));
}

void appendUtf8(std::string &out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

std::string encodeUtf8(std::u32string_view codePoints) {
  std::string out;
  out.reserve(codePoints.size() * 3);
  for (char32_t c : codePoints)
    appendUtf8(out, c);
  return out;
}

std::string describeCodePoint(char32_t c) {
  std::string hex = fmt::format("U+{:04X}", static_cast<uint32_t>(c));
  bool control = c < 0x20 || (c >= 0x7F && c < 0xA0);
  if (control || (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF)
    return hex;
  std::string glyph;
  appendUtf8(glyph, c);
  return "'" + glyph + "' (" + hex + ")";
}

} // namespace rnnc::runtime
