//===- Parser.cpp - Model text -> AST (the ANTLR wall) --------------------===//
///
/// \file
/// Turns a model file into an ast::Program and then runs the semantic checks
/// (Sema.cpp: symbolic shapes, no binding needed; its result stays in the
/// Program for lowerToIR).
/// Steps, each stopping at the first error so junk input ends quickly:
///   1. the bytes must be UTF-8 and not empty;
///   2. each token is checked as the parser pulls it: unknown characters
///      and nesting deeper than kMaxNesting stop the parse, so ANTLR's
///      recursive descent never recurses deeply;
///   3. ANTLR parses; the first syntax error becomes one located diagnostic
///      (`unexpected 'x', expected ')'`) and parsing stops;
///   4. long `a + b + ...` chains build left-deep trees: step 2 also caps the
///      operators per statement, and an explicit-stack walk bounds the parse
///      tree's depth, so every later recursive walk is bounded;
///   5. the parse tree becomes the AST (AstBuilder.cpp);
///   6. sema checks it for every binding (checkProgram, Sema.cpp).
/// ANTLR types and exceptions never leave this file.
///
//===----------------------------------------------------------------------===//
#include "frontend/AstBuilder.h"
#include "frontend/Frontend.h"
#include "frontend/Sema.h"
#include "ir/FileBytes.h"

#include "RnncLexer.h"
#include "RnncParser.h"
#include "antlr4-runtime.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace rnnc::frontend {

using rnnc_antlr::RnncLexer;
using rnnc_antlr::RnncParser;

namespace {

constexpr int kMaxNesting = 256;
constexpr int kMaxOperators = 1000;
constexpr size_t kMaxTreeDepth = 2000;

/// Thrown by the error listener to stop ANTLR at the first syntax error;
/// caught in parseModel, never escapes.
struct StopParsing {};

SourceLocation locOf(const antlr4::Token *t) {
  if (!t)
    return {};
  return {static_cast<uint32_t>(t->getLine()),
          static_cast<uint32_t>(t->getCharPositionInLine() + 1)};
}

std::string quoteToken(const antlr4::Token *t) {
  if (!t || t->getType() == antlr4::Token::EOF)
    return "end of file";
  std::string text = t->getText();
  if (text.size() > 24)
    text = text.substr(0, 20) + "...";
  return "'" + text + "'";
}

std::string tokenDisplayName(const antlr4::dfa::Vocabulary &vocab, size_t type) {
  if (type == antlr4::Token::EOF)
    return "end of file";
  if (type == RnncLexer::ID)
    return "a name";
  if (type == RnncLexer::NUMBER)
    return "a number";
  return vocab.getDisplayName(type);
}

/// `'$'`, or `U+0007` for a control character (kept out of the terminal).
std::string describeChar(const std::string &text) {
  unsigned char c = text.empty() ? 0 : static_cast<unsigned char>(text[0]);
  if (text.size() == 1 && (c < 0x20 || c == 0x7F)) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "U+%04X", c);
    return buf;
  }
  return "'" + text + "'";
}

/// Reports the first syntax error in our words, then stops the parse.
class FirstErrorListener : public antlr4::BaseErrorListener {
public:
  explicit FirstErrorListener(DiagnosticEngine &diags) : diags_(diags) {}

  void syntaxError(antlr4::Recognizer *recognizer, antlr4::Token *offending,
                   size_t line, size_t col, const std::string &,
                   std::exception_ptr) override {
    std::string message = "unexpected " + quoteToken(offending);
    if (auto *parser = dynamic_cast<antlr4::Parser *>(recognizer)) {
      std::vector<std::string> expected;
      try {
        for (ssize_t t : parser->getExpectedTokens().toList())
          if (t != RnncLexer::BAD_CHAR)
            expected.push_back(tokenDisplayName(parser->getVocabulary(),
                                                static_cast<size_t>(t)));
      } catch (...) {
        expected.clear();
      }
      if (!expected.empty() && expected.size() <= 6) {
        message += ", expected ";
        for (size_t i = 0; i < expected.size(); ++i) {
          if (i)
            message += i + 1 == expected.size() ? " or " : ", ";
          message += expected[i];
        }
      }
    }
    diags_.error({static_cast<uint32_t>(line), static_cast<uint32_t>(col + 1)},
                 message);
    throw StopParsing{};
  }

private:
  DiagnosticEngine &diags_;
};

/// The location of the first byte that is not valid UTF-8, if any.
std::optional<SourceLocation> findInvalidUtf8(const std::string &s) {
  uint32_t line = 1, col = 1;
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3
                 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > s.size())
      return SourceLocation{line, col};
    uint32_t cp = len == 1 ? c : c & (0x7F >> len);
    for (size_t k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80)
        return SourceLocation{line, col};
      cp = (cp << 6) | (cc & 0x3F);
    }
    static const uint32_t kMinForLen[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLen[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return SourceLocation{line, col}; // overlong, out of range or surrogate
    i += len;
    if (c == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return std::nullopt;
}

/// Step 2: checks each token as the parser pulls it from the lexer, so input
/// is lexed only as far as the parser gets (junk stops at its first error).
class CheckedTokenSource : public antlr4::TokenSource {
public:
  CheckedTokenSource(RnncLexer &lexer, DiagnosticEngine &diags)
      : lexer_(lexer), diags_(diags) {}

  std::unique_ptr<antlr4::Token> nextToken() override {
    std::unique_ptr<antlr4::Token> tok = lexer_.nextToken();
    check(*tok);
    return tok;
  }
  size_t getLine() const override { return lexer_.getLine(); }
  size_t getCharPositionInLine() override {
    return lexer_.getCharPositionInLine();
  }
  antlr4::CharStream *getInputStream() override {
    return lexer_.getInputStream();
  }
  std::string getSourceName() override { return lexer_.getSourceName(); }
  antlr4::TokenFactory<antlr4::CommonToken> *getTokenFactory() override {
    return lexer_.getTokenFactory();
  }

private:
  void check(const antlr4::Token &tok) {
    size_t type = tok.getType();
    if (type == antlr4::Token::EOF) {
      if (!sawToken_) {
        diags_.error({1, 1}, "empty file: expected a model declaration "
                             "'model NAME(...) { ... }'");
        throw StopParsing{};
      }
      return;
    }
    sawToken_ = true;
    if (type == RnncLexer::BAD_CHAR) {
      diags_.error(locOf(&tok), "unexpected character " + describeChar(tok.getText()));
      throw StopParsing{};
    }
    std::string t = tok.getText();
    if (t == "(" || t == "[" || t == "{")
      ++depth_;
    else if ((t == ")" || t == "]" || t == "}") && depth_ > 0)
      --depth_;
    minusRun_ = t == "-" ? minusRun_ + 1 : 0;
    if (depth_ > kMaxNesting || minusRun_ > kMaxNesting) {
      diags_.error(locOf(&tok), "nesting too deep (more than " +
                                    std::to_string(kMaxNesting) + " levels)");
      throw StopParsing{};
    }
    // Operators since the last statement boundary: bounds the depth of the
    // left-deep tree a long `a + b + ...` chain builds.
    bool isOperator = t == "+" || t == "-" || t == "*" || t == "/" || t == "@";
    bool isBoundary = t == "=" || t == ";" || t == "{" || t == "}" ||
                      t == "let" || t == "return";
    operators_ = isOperator ? operators_ + 1 : isBoundary ? 0 : operators_;
    if (operators_ > kMaxOperators) {
      diags_.error(locOf(&tok), "expression too long (more than " +
                                    std::to_string(kMaxOperators) +
                                    " operators)");
      throw StopParsing{};
    }
  }

  RnncLexer &lexer_;
  DiagnosticEngine &diags_;
  int depth_ = 0, minusRun_ = 0, operators_ = 0;
  bool sawToken_ = false;
};

/// Step 4: the depth of the parse tree, with an explicit stack.
bool checkTreeDepth(antlr4::tree::ParseTree *root, DiagnosticEngine &diags) {
  std::vector<std::pair<antlr4::tree::ParseTree *, size_t>> work{{root, 1}};
  while (!work.empty()) {
    auto [node, depth] = work.back();
    work.pop_back();
    if (depth > kMaxTreeDepth) {
      auto *ctx = dynamic_cast<antlr4::ParserRuleContext *>(node);
      auto *leaf = dynamic_cast<antlr4::tree::TerminalNode *>(node);
      diags.error(ctx    ? locOf(ctx->getStart())
                  : leaf ? locOf(leaf->getSymbol())
                         : SourceLocation{1, 1},
                  "expression too long or too deeply nested (limit " +
                      std::to_string(kMaxTreeDepth) + " levels)");
      return false;
    }
    for (antlr4::tree::ParseTree *child : node->children)
      work.push_back({child, depth + 1});
  }
  return true;
}


} // namespace

Expected<std::shared_ptr<const SourceBuffer>>
loadSourceFile(const std::string &path) {
  Expected<std::string> text = readFileBytes(path, "");
  if (!text)
    return text.error();
  return std::shared_ptr<const SourceBuffer>(
      std::make_shared<SourceBuffer>(path, std::move(*text)));
}

std::unique_ptr<ast::Program>
parseModel(std::shared_ptr<const SourceBuffer> buffer, DiagnosticEngine &diags) {
  const std::string &text = buffer->text();
  if (auto bad = findInvalidUtf8(text)) {
    diags.error(*bad, "invalid UTF-8 in the input (model files must be UTF-8)");
    return nullptr;
  }
  std::unique_ptr<ast::Program> program;
  try {
    antlr4::ANTLRInputStream input(text);
    RnncLexer lexer(&input);
    lexer.removeErrorListeners();
    CheckedTokenSource checked(lexer, diags);
    antlr4::CommonTokenStream tokens(&checked);
    RnncParser parser(&tokens);
    parser.removeErrorListeners();
    FirstErrorListener listener(diags);
    parser.addErrorListener(&listener);
    RnncParser::ProgramContext *tree = parser.program();
    if (!checkTreeDepth(tree, diags))
      return nullptr;
    program = buildAst(tree, diags);
  } catch (const StopParsing &) {
    return nullptr;
  } catch (const std::exception &e) {
    diags.error({1, 1}, std::string("internal parser error: ") + e.what());
    return nullptr;
  } catch (...) {
    diags.error({1, 1}, "internal parser error");
    return nullptr;
  }
  if (diags.hasErrors())
    return nullptr;
  // Sema: no binding needed; lowering reads its result.
  program->checked = checkProgram(*program, diags);
  if (!program->checked)
    return nullptr;
  return program;
}

} // namespace rnnc::frontend