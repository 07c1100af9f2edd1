//===- IRLexer.h - Tokens of the IR text form -------------------*- C++ -*-===//
///
/// \file
/// Splits IR text (see ir/Printer.h) into tokens with 1-based line:column
/// positions, all at once, so the parser can look ahead freely (a scan's
/// result types follow its body). `//` starts a comment to the end of line.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Diagnostics.h"

#include <string>
#include <vector>

namespace rnnc::ir {

enum class IRTokenKind {
  Identifier, ///< module, f32, matmul, grad.W_xh, inf
  ValueName,  ///< %h.1 (text without the %)
  Symbol,     ///< @CharRNN or @"any text" (text without the @, unquoted)
  BlockLabel, ///< ^body (text without the ^)
  Integer,    ///< -12
  Real,       ///< 0.5, 1e-08, -inf
  String,     ///< "text" (unescaped)
  Punct,      ///< ( ) { } [ ] , : = ->
  End,        ///< end of input
  Invalid,    ///< a character or literal the lexer cannot read; text = why
};

struct IRToken {
  IRTokenKind kind;
  std::string text;
  SourceLocation loc;
  bool is(const char *punct) const {
    return kind == IRTokenKind::Punct && text == punct;
  }
  bool isIdentifier(const char *word) const {
    return kind == IRTokenKind::Identifier && text == word;
  }
};

/// Every token of `text`, ending with End (or stopping at the first Invalid).
std::vector<IRToken> lexIRText(const std::string &text);

} // namespace rnnc::ir
