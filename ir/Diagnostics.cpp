//===- Diagnostics.cpp - Source buffers and error reporting ---------------===//
///
/// \file
/// Formatting of `file:line:col: error: ...` with the source line and a caret.
/// Columns count code points so the caret lines up under CJK text too (each
/// code point is written as one caret column; terminals may draw wide
/// characters two cells wide, so the caret line copies tabs and uses the same
/// code points' widths approximately by padding with spaces).
///
//===----------------------------------------------------------------------===//
#include "ir/Diagnostics.h"

#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>

namespace rnnc {

SourceBuffer::SourceBuffer(std::string name, std::string text)
    : name_(std::move(name)), text_(std::move(text)) {
  lineStarts_.push_back(0);
  for (size_t i = 0; i < text_.size(); ++i)
    if (text_[i] == '\n')
      lineStarts_.push_back(i + 1);
}

std::string_view SourceBuffer::lineText(uint32_t line) const {
  if (line == 0 || line > lineStarts_.size())
    return {};
  size_t begin = lineStarts_[line - 1];
  size_t end = line < lineStarts_.size() ? lineStarts_[line] - 1 : text_.size();
  if (end > begin && text_[end - 1] == '\r')
    --end;
  return std::string_view(text_).substr(begin, end - begin);
}

DiagnosticEngine::DiagnosticEngine(std::shared_ptr<const SourceBuffer> buffer,
                                   std::ostream &os)
    : buffer_(std::move(buffer)), os_(os) {}

static const char *severityName(Severity s) {
  switch (s) {
  case Severity::Error:
    return "error";
  case Severity::Warning:
    return "warning";
  case Severity::Note:
    return "note";
  }
  return "error";
}

/// Is `c` the first byte of a UTF-8 sequence (not a continuation byte)?
static bool startsCodePoint(unsigned char c) { return (c & 0xC0) != 0x80; }

std::string elideLongWords(std::string_view message) {
  constexpr size_t kMaxWord = 80, kKept = 40;
  std::string out;
  size_t i = 0;
  while (i < message.size()) {
    size_t end = message.find_first_of(" '\"`,;:()[]{}\n", i);
    if (end == i) {
      out += message[i++];
      continue;
    }
    if (end == std::string_view::npos)
      end = message.size();
    std::string_view word = message.substr(i, end - i);
    if (word.size() <= kMaxWord) {
      out += word;
    } else {
      size_t cut = kKept;
      while (cut > 0 && !startsCodePoint(static_cast<unsigned char>(word[cut])))
        --cut;
      out += word.substr(0, cut);
      out += "... (" + std::to_string(word.size()) + " bytes)";
    }
    i = end;
  }
  return out;
}

void DiagnosticEngine::report(Severity severity, SourceLocation loc,
                              std::string_view message) {
  if (severity == Severity::Error) {
    if (errors_ == kMaxErrors)
      os_ << "error: too many errors, stopping\n";
    if (errors_++ >= kMaxErrors)
      return;
  } else if (errors_ > kMaxErrors) {
    return; // the notes and warnings of errors no longer shown
  }
  if (buffer_)
    os_ << buffer_->name() << ':';
  if (buffer_ && loc.isValid())
    os_ << loc.line << ':' << loc.col << ':';
  if (buffer_)
    os_ << ' ';
  os_ << severityName(severity) << ": " << elideLongWords(message) << '\n';
  if (!buffer_ || !loc.isValid())
    return;
  std::string_view line = buffer_->lineText(loc.line);
  // Very long lines (e.g. a 1 MB file of junk) are cut around the caret.
  constexpr size_t kMaxShown = 200;
  std::string caret;
  uint32_t col = 1;
  size_t shownBegin = 0;
  size_t i = 0;
  for (; i < line.size() && col < loc.col; ++i) {
    unsigned char c = static_cast<unsigned char>(line[i]);
    if (!startsCodePoint(c))
      continue;
    caret += (c == '\t') ? '\t' : ' ';
    ++col;
  }
  if (i > kMaxShown) {
    shownBegin = i - kMaxShown / 2;
    while (shownBegin < line.size() &&
           !startsCodePoint(static_cast<unsigned char>(line[shownBegin])))
      ++shownBegin;
    // Rebuild the caret for the shown window.
    caret.clear();
    for (size_t j = shownBegin; j < i; ++j)
      if (startsCodePoint(static_cast<unsigned char>(line[j])))
        caret += line[j] == '\t' ? '\t' : ' ';
  }
  std::string_view shown = line.substr(shownBegin, kMaxShown);
  os_ << shown << '\n' << caret << "^\n";
}

} // namespace rnnc
