//===- IRTokenParser.cpp - Token-level reading of the IR text -------------===//
///
/// \file
/// Types read as `f32[B=32,H=256]` (names optional, sizes positive and
/// within ir/Type.h's limits); attributes as `{key = value, ...}` where a
/// value is an integer, a finite real (always with `.` or an exponent), a
/// "string" or `[ints]`. A real beyond a double's range (`1e999`) is an
/// error wherever a number goes.
///
//===----------------------------------------------------------------------===//
#include "ir/IRTokenParser.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace rnnc::ir {

const IRToken &IRTokenParser::tok() const { return tokens_[pos_]; }

const IRToken &IRTokenParser::consume() {
  const IRToken &t = tokens_[pos_];
  if (t.kind != IRTokenKind::End && t.kind != IRTokenKind::Invalid)
    ++pos_;
  return t;
}

bool IRTokenParser::error(SourceLocation loc, const std::string &message) {
  if (!failed_)
    diag_.error(loc, message);
  failed_ = true;
  return false;
}

bool IRTokenParser::errorHere(const std::string &expected) {
  if (tok().kind == IRTokenKind::Invalid)
    return error(tok().loc, tok().text);
  return error(tok().loc, "expected " + expected + ", got " + describe(tok()));
}

std::string IRTokenParser::describe(const IRToken &t) {
  switch (t.kind) {
  case IRTokenKind::End:
    return "end of input";
  case IRTokenKind::ValueName:
    return "'%" + t.text + "'";
  case IRTokenKind::Symbol:
    return "'@" + t.text + "'";
  case IRTokenKind::BlockLabel:
    return "'^" + t.text + "'";
  case IRTokenKind::String:
    return "string \"" + t.text + "\"";
  default:
    return "'" + t.text + "'";
  }
}

bool IRTokenParser::expect(const char *punct) {
  if (!tok().is(punct))
    return errorHere(std::string("'") + punct + "'");
  consume();
  return true;
}

bool IRTokenParser::expectKeyword(const char *word) {
  if (!tok().isIdentifier(word))
    return errorHere(std::string("'") + word + "'");
  consume();
  return true;
}

bool IRTokenParser::parseWord(std::string &out, const char *what) {
  if (tok().kind != IRTokenKind::Identifier &&
      tok().kind != IRTokenKind::String)
    return errorHere(what);
  out = consume().text;
  return true;
}

bool IRTokenParser::parseInteger(int64_t &out) {
  if (tok().kind != IRTokenKind::Integer)
    return errorHere("an integer");
  errno = 0;
  out = std::strtoll(tok().text.c_str(), nullptr, 10);
  if (errno == ERANGE)
    return error(tok().loc, "integer '" + tok().text + "' out of range");
  consume();
  return true;
}

bool IRTokenParser::parseNumber(double &out, bool finiteOnly) {
  const IRToken &t = tok();
  if (t.isIdentifier("inf") || t.isIdentifier("nan") ||
      t.kind == IRTokenKind::Real || t.kind == IRTokenKind::Integer) {
    errno = 0;
    out = std::strtod(t.text.c_str(), nullptr);
    // ERANGE also flags underflow to a denormal, which reads back exactly.
    if (errno == ERANGE && std::isinf(out))
      return error(t.loc, "number '" + t.text + "' is out of range");
    if (finiteOnly && !std::isfinite(out))
      return error(t.loc, "expected a finite number, got " + t.text);
    consume();
    return true;
  }
  return errorHere("a number");
}

bool IRTokenParser::parseType(TensorType &out) {
  SourceLocation typeAt = tok().loc;
  ElementType elem;
  if (tok().isIdentifier("f32"))
    elem = ElementType::F32;
  else if (tok().isIdentifier("i32"))
    elem = ElementType::I32;
  else
    return errorHere("a type ('f32[...]' or 'i32[...]')");
  consume();
  if (!expect("["))
    return false;
  std::vector<Dim> dims;
  while (!tok().is("]")) {
    if (!dims.empty() && !expect(","))
      return false;
    Dim d;
    if (tok().kind == IRTokenKind::Identifier) {
      d.name = consume().text;
      if (!expect("="))
        return false;
    }
    SourceLocation at = tok().loc;
    if (!parseInteger(d.size))
      return false;
    if (d.size <= 0)
      return error(at, "dimension size must be positive");
    if (d.size > kMaxDimSize)
      return error(at, "dimension size " + std::to_string(d.size) +
                           " is larger than the limit " +
                           std::to_string(kMaxDimSize));
    dims.push_back(std::move(d));
  }
  consume();
  out = TensorType(elem, std::move(dims));
  if (out.checkedNumElements() < 0)
    return error(typeAt, "type " + out.str() + " has more than " +
                             std::to_string(kMaxElements) + " elements");
  return true;
}

bool IRTokenParser::parseTypeList(std::vector<TensorType> &out,
                                  std::vector<SourceLocation> *locs) {
  do {
    if (locs)
      locs->push_back(tok().loc);
    TensorType t;
    if (!parseType(t))
      return false;
    out.push_back(std::move(t));
  } while (tok().is(",") && consume().is(","));
  return true;
}

bool IRTokenParser::parseAttribute(Attribute &out) {
  const IRToken &t = tok();
  if (t.kind == IRTokenKind::Integer) {
    int64_t i;
    if (!parseInteger(i))
      return false;
    out = i;
    return true;
  }
  if (t.kind == IRTokenKind::String) {
    out = consume().text;
    return true;
  }
  if (t.is("[")) {
    consume();
    std::vector<int64_t> list;
    while (!tok().is("]")) {
      int64_t i;
      if ((!list.empty() && !expect(",")) || !parseInteger(i))
        return false;
      list.push_back(i);
    }
    consume();
    out = std::move(list);
    return true;
  }
  double d;
  if (t.kind != IRTokenKind::Real && !t.isIdentifier("inf") &&
      !t.isIdentifier("nan"))
    return errorHere("an attribute value");
  if (!parseNumber(d))
    return false;
  out = d;
  return true;
}

bool IRTokenParser::parseAttributes(
    AttributeMap &attrs,
    std::vector<std::pair<std::string, SourceLocation>> *keys) {
  // A '{' followed by '^body' opens a scan body, not attributes.
  if (!tok().is("{") || tokens_[pos_ + 1].kind == IRTokenKind::BlockLabel)
    return true;
  consume();
  while (!tok().is("}")) {
    if (!attrs.empty() && !expect(","))
      return false;
    SourceLocation at = tok().loc;
    std::string key;
    Attribute value;
    if (!parseWord(key, "an attribute name") || !expect("="))
      return false;
    const IRToken &valueTok = tok();
    if (!parseAttribute(value))
      return false;
    if (auto *d = std::get_if<double>(&value); d && !std::isfinite(*d))
      return error(valueTok.loc, "attribute '" + key + "' must be finite, got " +
                                     valueTok.text);
    if (attrs.count(key))
      return error(at, "attribute '" + key + "' given twice");
    if (keys)
      keys->push_back({key, at});
    attrs[key] = std::move(value);
  }
  consume();
  return true;
}

} // namespace rnnc::ir
