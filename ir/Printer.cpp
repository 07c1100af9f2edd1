//===- Printer.cpp - The text form of the rnnc IR -------------------------===//
///
/// \file
/// Two walks per function, both with explicit stacks rather than recursion:
/// the first gives every value a unique printed name in text order, the
/// second writes the text. Scan bodies nest, so each walk keeps a stack of
/// (block, next op) frames.
///
//===----------------------------------------------------------------------===//
#include "ir/Printer.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>

namespace rnnc::ir {

std::string formatReal(double value) {
  if (std::isnan(value))
    return "nan";
  if (std::isinf(value))
    return value < 0 ? "-inf" : "inf";
  char buf[64];
  // Shortest text that reads back exactly, fixed or scientific (C++17).
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf - 1, value);
  (void)ec;
  *end = '\0';
  std::string s = buf;
  if (s.find_first_of(".e") == std::string::npos)
    s += ".0";
  return s;
}

namespace {

bool isBareIdentifier(const std::string &s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0])))
    return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.')
      return false;
  return true;
}

std::string quote(const std::string &s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + '"';
}

/// A symbol or word: bare when it lexes as an identifier, else quoted.
std::string word(const std::string &s) {
  return isBareIdentifier(s) ? s : quote(s);
}

/// Name hint reduced to characters the parser accepts after `%`; "" if the
/// hint is absent or only digits (those names are kept for numbering).
std::string cleanHint(const std::string &hint) {
  std::string s;
  bool allDigits = true;
  for (char c : hint) {
    bool ok =
        std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
    s += ok ? c : '_';
    allDigits = allDigits && std::isdigit(static_cast<unsigned char>(c));
  }
  return allDigits ? "" : s;
}

/// Unique printed names for every value of one function, in text order.
class ValueNamer {
public:
  explicit ValueNamer(const Function &f) {
    for (auto &a : f.body().arguments())
      assign(a.get());
    std::vector<std::pair<const Block *, size_t>> stack{{&f.body(), 0}};
    while (!stack.empty()) {
      auto &[block, next] = stack.back();
      if (next == block->operations().size()) {
        stack.pop_back();
        continue;
      }
      const Operation &op = *block->operations()[next++];
      for (Value *r : op.results())
        assign(r);
      for (auto &region : op.regions()) {
        for (auto &a : region->arguments())
          assign(a.get());
        stack.push_back({region.get(), 0});
        break; // scan has one body; a second would be printed nowhere
      }
    }
  }

  std::string name(const Value *v) const {
    auto it = names_.find(v);
    return it == names_.end() ? "%<<unknown>>" : "%" + it->second;
  }

  const std::map<const Value *, std::string> &all() const { return names_; }

private:
  void assign(const Value *v) {
    std::string hint = cleanHint(v->name());
    std::string chosen;
    if (!hint.empty()) {
      chosen = hint;
      for (unsigned n = 1; used_.count(chosen); ++n)
        chosen = hint + "." + std::to_string(n);
    } else {
      do
        chosen = std::to_string(counter_++);
      while (used_.count(chosen));
    }
    used_.insert(chosen);
    names_[v] = chosen;
  }
  std::map<const Value *, std::string> names_;
  std::set<std::string> used_;
  unsigned counter_ = 0;
};

std::string pad(unsigned indent) { return std::string(2 * indent, ' '); }

void printAttributes(const AttributeMap &attrs, std::ostream &os) {
  if (attrs.empty())
    return;
  os << " {";
  bool first = true;
  for (auto &[key, value] : attrs) {
    os << (first ? "" : ", ") << word(key) << " = " << formatAttribute(value);
    first = false;
  }
  os << '}';
}

std::string joinTypes(const std::vector<Value *> &values) {
  std::string s;
  for (size_t i = 0; i < values.size(); ++i)
    s += (i ? ", " : "") + values[i]->type().str();
  return s;
}

/// Writes `op` up to (not including) the end of its line; returns true if it
/// opened a body (the caller then prints the body and `} : types`).
bool printOpHead(const Operation &op, const ValueNamer &names,
                 std::ostream &os) {
  if (isTerminator(op.kind())) {
    os << op.name();
    for (unsigned i = 0; i < op.numOperands(); ++i)
      os << (i ? ", " : " ") << names.name(op.operand(i));
    return false;
  }
  for (unsigned i = 0; i < op.numResults(); ++i)
    os << (i ? ", " : "") << names.name(op.result(i));
  if (op.numResults())
    os << " = ";
  os << op.name() << '(';
  for (unsigned i = 0; i < op.numOperands(); ++i)
    os << (i ? ", " : "") << names.name(op.operand(i));
  os << ')';
  printAttributes(op.attrs(), os);
  if (!op.regions().empty()) {
    os << " {";
    return true;
  }
  os << " : " << joinTypes(op.results());
  return false;
}

void printBlockArgs(const Block &block, const ValueNamer &names,
                    std::ostream &os) {
  os << "^body(";
  for (unsigned i = 0; i < block.numArguments(); ++i)
    os << (i ? ", " : "") << names.name(block.argument(i)) << ": "
       << block.argument(i)->type().str();
  os << "):";
}

void printSignature(const Function &f, const ValueNamer &names,
                    std::ostream &os) {
  os << "func @" << word(f.name()) << '(';
  const Block &body = f.body();
  for (unsigned i = 0; i < body.numArguments(); ++i)
    os << (i ? ", " : "") << argRoleName(f.argRole(i)) << ' '
       << names.name(body.argument(i)) << ": "
       << body.argument(i)->type().str();
  os << ") -> (";
  const Operation *ret = body.terminator();
  bool typed = ret && ret->kind() == OpKind::Return &&
               ret->numOperands() == f.resultNames.size();
  for (size_t i = 0; i < f.resultNames.size(); ++i)
    os << (i ? ", " : "") << word(f.resultNames[i]) << ": "
       << (typed ? ret->operand(i)->type().str() : "<<unknown>>");
  os << ')';
}

} // namespace

std::string formatAttribute(const Attribute &attr) {
  if (auto *i = std::get_if<int64_t>(&attr))
    return std::to_string(*i);
  if (auto *d = std::get_if<double>(&attr))
    return formatReal(*d);
  if (auto *s = std::get_if<std::string>(&attr))
    return quote(*s);
  const auto &list = std::get<std::vector<int64_t>>(attr);
  std::string out = "[";
  for (size_t i = 0; i < list.size(); ++i)
    out += (i ? ", " : "") + std::to_string(list[i]);
  return out + ']';
}

std::map<const Value *, std::string> printedValueNames(const Function &f) {
  ValueNamer namer(f);
  std::map<const Value *, std::string> names;
  for (const auto &[value, name] : namer.all())
    names[value] = "%" + name;
  return names;
}

void printFunction(const Function &f, std::ostream &os, unsigned indent) {
  ValueNamer names(f);
  os << pad(indent);
  printSignature(f, names, os);
  os << " {\n";
  struct Frame {
    const Block *block;
    size_t next;
    unsigned indent;
  };
  std::vector<Frame> stack{{&f.body(), 0, indent + 1}};
  while (!stack.empty()) {
    Frame &frame = stack.back();
    if (frame.next == frame.block->operations().size()) {
      const Operation *owner = frame.block->parentOp();
      stack.pop_back();
      if (owner) // close the scan whose body this was
        os << pad(stack.back().indent) << "} : " << joinTypes(owner->results())
           << '\n';
      continue;
    }
    const Operation &op = *frame.block->operations()[frame.next++];
    unsigned here = frame.indent;
    os << pad(here);
    bool opened = printOpHead(op, names, os);
    os << '\n';
    if (opened) {
      const Block &body = *op.regions().front();
      os << pad(here);
      printBlockArgs(body, names, os);
      os << '\n';
      stack.push_back({&body, 0, here + 1});
    }
  }
  os << pad(indent) << "}\n";
}

void printModule(const Module &m, std::ostream &os) {
  os << "module";
  if (!m.name.empty())
    os << " @" << word(m.name);
  os << " {\n";
  const TrainConfig &t = m.train;
  os << "  train { loss = " << word(t.loss)
     << ", optimizer = " << word(t.optimizer) << ", lr = " << formatReal(t.lr)
     << ", beta1 = " << formatReal(t.beta1)
     << ", beta2 = " << formatReal(t.beta2) << ", eps = " << formatReal(t.eps)
     << ", clip = " << formatReal(t.clip) << ", batch = " << t.batch
     << ", seq_len = " << t.seqLen << ", epochs = " << t.epochs
     << ", sampling = " << word(t.sampling) << " }\n";
  for (auto &[param, init] : m.paramInits)
    os << "  init @" << word(param) << " = " << word(init.kind) << '('
       << formatReal(init.a) << ", " << formatReal(init.b) << ")\n";
  for (auto &f : m.functions()) {
    os << '\n';
    printFunction(*f, os, 1);
  }
  os << "}\n";
}

std::string toString(const Module &m) {
  std::ostringstream os;
  printModule(m, os);
  return os.str();
}

std::string toString(const Function &f) {
  std::ostringstream os;
  printFunction(f, os);
  return os.str();
}

} // namespace rnnc::ir
