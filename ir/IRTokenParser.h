//===- IRTokenParser.h - Token-level reading of the IR text -----*- C++ -*-===//
///
/// \file
/// The part of the IR text parser that knows nothing about graphs: a cursor
/// over the tokens from ir/IRLexer.h with error reporting (the first error
/// wins; later ones would be cascades), and readers for words, numbers,
/// tensor types and attribute dictionaries. ir/Parser.cpp builds on it.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Diagnostics.h"
#include "ir/IR.h"
#include "ir/IRLexer.h"

#include <string>
#include <vector>

namespace rnnc::ir {

class IRTokenParser {
public:
  IRTokenParser(const std::string &text, DiagnosticEngine &diag)
      : tokens_(lexIRText(text)), diag_(diag) {}

protected:
  /// The current token, and the current token after moving past it (End
  /// and Invalid are never moved past).
  const IRToken &tok() const;
  const IRToken &consume();
  /// Reports `message` unless an error was already reported; returns false
  /// so callers can `return error(...)`.
  bool error(SourceLocation loc, const std::string &message);
  /// Reports at the current token; lexer errors take precedence.
  bool errorHere(const std::string &expected);
  /// How a token reads in "expected X, got Y" messages.
  static std::string describe(const IRToken &t);
  /// Consume the given punctuation / keyword or report what was expected.
  bool expect(const char *punct);
  bool expectKeyword(const char *word);
  /// A bare identifier or a quoted string.
  bool parseWord(std::string &out, const char *what);
  bool parseInteger(int64_t &out);
  /// An integer or real, including `inf`, `-inf` and `nan` if `finiteOnly`
  /// is false. A literal beyond the range of a double (`1e999`) is an error.
  bool parseNumber(double &out, bool finiteOnly = false);
  /// `f32[B=32,H=256]`, `i32[35,32]`, `f32[]`: each dimension in
  /// [1, kMaxDimSize], at most kMaxElements in all (ir/Type.h).
  bool parseType(TensorType &out);
  /// One or more comma-separated types; `locs` gets where each starts.
  bool parseTypeList(std::vector<TensorType> &out,
                     std::vector<SourceLocation> *locs = nullptr);
  bool parseAttribute(Attribute &out);
  /// An optional `{key = value, ...}`; a `{` followed by `^body` is left
  /// alone. Real values must be finite. `keys` gets each key and where it
  /// is, in source order.
  bool parseAttributes(
      AttributeMap &attrs,
      std::vector<std::pair<std::string, SourceLocation>> *keys = nullptr);

  std::vector<IRToken> tokens_;
  size_t pos_ = 0;
  DiagnosticEngine &diag_;
  bool failed_ = false;
};

} // namespace rnnc::ir
