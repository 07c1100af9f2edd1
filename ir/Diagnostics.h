//===- Diagnostics.h - Source buffers and error reporting -------*- C++ -*-===//
///
/// \file
/// One diagnostics engine for every stage that reads text (the DSL front end
/// and the IR parser). An error prints as `file:line:col: error: message`,
/// then the source line and a caret, like clang and llvm::SourceMgr. Library
/// code reports and returns failure; only the tool decides the exit code.
///
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rnnc {

/// A 1-based line and column (columns count code points). Line 0 means
/// "no location" (e.g. an error about the file as a whole).
struct SourceLocation {
  uint32_t line = 0;
  uint32_t col = 0;
  bool isValid() const { return line != 0; }
};

/// The text of one input file, with its name for messages.
class SourceBuffer {
public:
  SourceBuffer(std::string name, std::string text);
  const std::string &name() const { return name_; }
  const std::string &text() const { return text_; }
  /// The text of 1-based line `line` without its newline ("" if out of range).
  std::string_view lineText(uint32_t line) const;

private:
  std::string name_;
  std::string text_;
  std::vector<size_t> lineStarts_;
};

enum class Severity { Error, Warning, Note };

/// `message` with every word (a run without spaces or punctuation) longer
/// than 80 bytes cut to its first 40 and its length: a 1 MB identifier
/// is not repeated in full.
std::string elideLongWords(std::string_view message);

/// Formats diagnostics against one source buffer and counts errors.
class DiagnosticEngine {
public:
  /// `buffer` may be null for errors that have no file (e.g. a missing file).
  DiagnosticEngine(std::shared_ptr<const SourceBuffer> buffer, std::ostream &os);

  void error(SourceLocation loc, std::string_view message) {
    report(Severity::Error, loc, message);
  }
  void warning(SourceLocation loc, std::string_view message) {
    report(Severity::Warning, loc, message);
  }
  void note(SourceLocation loc, std::string_view message) {
    report(Severity::Note, loc, message);
  }
  void report(Severity severity, SourceLocation loc, std::string_view message);

  unsigned errorCount() const { return errors_; }
  bool hasErrors() const { return errors_ != 0; }
  const SourceBuffer *buffer() const { return buffer_.get(); }

  /// Stop reporting after this many errors (cascades help nobody).
  static constexpr unsigned kMaxErrors = 20;

private:
  std::shared_ptr<const SourceBuffer> buffer_;
  std::ostream &os_;
  unsigned errors_ = 0;
};

} // namespace rnnc
