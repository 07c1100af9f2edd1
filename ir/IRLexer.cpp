//===- IRLexer.cpp - Tokens of the IR text form ---------------------------===//
///
/// \file
/// A single pass over the bytes; columns count UTF-8 code points so carets
/// line up with DiagnosticEngine's. Lexing stops at the first bad character
/// and hands the parser an Invalid token carrying the reason.
///
//===----------------------------------------------------------------------===//
#include "ir/IRLexer.h"

#include <cctype>
#include <cstdio>

namespace rnnc::ir {

namespace {

class Lexer {
public:
  explicit Lexer(const std::string &text) : text_(text) {}

  std::vector<IRToken> run() {
    std::vector<IRToken> tokens;
    while (true) {
      skipSpaceAndComments();
      IRToken tok = next();
      tokens.push_back(tok);
      if (tok.kind == IRTokenKind::End || tok.kind == IRTokenKind::Invalid)
        return tokens;
    }
  }

private:
  char peek(size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  void advance() {
    unsigned char c = static_cast<unsigned char>(text_[pos_++]);
    if (c == '\n') {
      ++line_;
      col_ = 1;
    } else if ((c & 0xC0) != 0x80) { // columns count code points
      ++col_;
    }
  }
  static bool isNameChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
  }

  void skipSpaceAndComments() {
    while (pos_ < text_.size()) {
      char c = peek();
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        advance();
      } else if (c == '/' && peek(1) == '/') {
        while (pos_ < text_.size() && peek() != '\n')
          advance();
      } else {
        return;
      }
    }
  }

  IRToken make(IRTokenKind kind, std::string text, SourceLocation loc) {
    return IRToken{kind, std::move(text), loc};
  }

  std::string readName() {
    std::string s;
    while (isNameChar(peek())) {
      s += peek();
      advance();
    }
    return s;
  }

  /// Reads a "..." literal starting at the quote; false on a bad literal.
  bool readString(std::string &out, std::string &why) {
    advance(); // opening quote
    while (true) {
      char c = peek();
      if (pos_ >= text_.size() || c == '\n') {
        why = "unterminated string";
        return false;
      }
      advance();
      if (c == '"')
        return true;
      if (c != '\\') {
        out += c;
        continue;
      }
      char e = peek();
      if (e == '"' || e == '\\') {
        out += e;
        advance();
      } else if (e == 'x' &&
                 std::isxdigit(static_cast<unsigned char>(peek(1))) &&
                 std::isxdigit(static_cast<unsigned char>(peek(2)))) {
        out += static_cast<char>(
            std::stoi(text_.substr(pos_ + 1, 2), nullptr, 16));
        advance(), advance(), advance();
      } else {
        why = "invalid escape in string";
        return false;
      }
    }
  }

  IRToken number(SourceLocation loc) {
    std::string s;
    bool real = false;
    if (peek() == '-') {
      s += '-';
      advance();
    }
    if (peek() == 'i' && text_.compare(pos_, 3, "inf") == 0) {
      advance(), advance(), advance();
      return make(IRTokenKind::Real, s + "inf", loc);
    }
    if (!std::isdigit(static_cast<unsigned char>(peek())))
      return make(IRTokenKind::Invalid, "expected a number after '-'", loc);
    auto digits = [&] {
      while (std::isdigit(static_cast<unsigned char>(peek()))) {
        s += peek();
        advance();
      }
    };
    digits();
    if (peek() == '.' && std::isdigit(static_cast<unsigned char>(peek(1)))) {
      real = true;
      s += '.';
      advance();
      digits();
    }
    if ((peek() == 'e' || peek() == 'E') &&
        (std::isdigit(static_cast<unsigned char>(peek(1))) ||
         ((peek(1) == '-' || peek(1) == '+') &&
          std::isdigit(static_cast<unsigned char>(peek(2)))))) {
      real = true;
      s += 'e';
      advance();
      if (peek() == '-' || peek() == '+') {
        s += peek();
        advance();
      }
      digits();
    }
    return make(real ? IRTokenKind::Real : IRTokenKind::Integer, s, loc);
  }

  IRToken next() {
    SourceLocation loc{line_, col_};
    if (pos_ >= text_.size())
      return make(IRTokenKind::End, "", loc);
    char c = peek();
    if (c == '-' && peek(1) == '>') {
      advance(), advance();
      return make(IRTokenKind::Punct, "->", loc);
    }
    if (c == '-' || std::isdigit(static_cast<unsigned char>(c)))
      return number(loc);
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_')
      return make(IRTokenKind::Identifier, readName(), loc);
    if (c == '%' || c == '^') {
      advance();
      std::string name = readName();
      if (name.empty())
        return make(IRTokenKind::Invalid,
                    std::string("expected a name after '") + c + "'", loc);
      return make(c == '%' ? IRTokenKind::ValueName : IRTokenKind::BlockLabel,
                  name, loc);
    }
    if (c == '@') {
      advance();
      std::string name, why;
      if (peek() == '"') {
        if (!readString(name, why))
          return make(IRTokenKind::Invalid, why, loc);
      } else {
        name = readName();
      }
      if (name.empty())
        return make(IRTokenKind::Invalid, "expected a name after '@'", loc);
      return make(IRTokenKind::Symbol, name, loc);
    }
    if (c == '"') {
      std::string s, why;
      if (!readString(s, why))
        return make(IRTokenKind::Invalid, why, loc);
      return make(IRTokenKind::String, s, loc);
    }
    if (std::string("(){}[],:=").find(c) != std::string::npos) {
      advance();
      return make(IRTokenKind::Punct, std::string(1, c), loc);
    }
    char shown[8];
    if (std::isprint(static_cast<unsigned char>(c)))
      std::snprintf(shown, sizeof shown, "%c", c);
    else
      std::snprintf(shown, sizeof shown, "\\x%02x",
                    static_cast<unsigned char>(c));
    return make(IRTokenKind::Invalid,
                std::string("unexpected character '") + shown + "'", loc);
  }

  const std::string &text_;
  size_t pos_ = 0;
  uint32_t line_ = 1, col_ = 1;
};

} // namespace

std::vector<IRToken> lexIRText(const std::string &text) {
  return Lexer(text).run();
}

} // namespace rnnc::ir
