//===- Parser.cpp - Reads the IR text form back ---------------------------===//
///
/// \file
/// Grammar (tokens from ir/IRLexer.h):
///   module   := 'module' symbol? '{' train? init* func* '}'
///   train    := 'train' '{' key '=' value (',' key '=' value)* '}'
///   init     := 'init' symbol '=' word '(' real ',' real ')'
///   func     := 'func' symbol '(' (role %v ':' type),* ')'
///               '->' '(' (word ':' type),* ')' '{' op* '}'
///   op       := (%v,+ '=')? name '(' %v,* ')' attrs? ':' type,+
///             | %v,+ '=' ('scan' | 'fusion') '(' %v,* ')' attrs? '{' body '}'
///               ':' type,+
///             | ('yield' | 'return') %v,*
///   body     := '^body' '(' (%v ':' type),* ')' ':' op*
///   type     := ('f32' | 'i32') '[' ((name '=')? int),* ']'
/// A scan's (or fusion's) result types follow its body, so the parser finds them by
/// skipping to the matching '}' before it creates the op.
///
//===----------------------------------------------------------------------===//
#include "ir/Parser.h"

#include "ir/IRTokenParser.h"
#include "ir/ShapeInference.h"

#include <algorithm>
#include <map>
#include <set>

namespace rnnc::ir {

namespace {

/// Every parse function reports its error and returns false; the first
/// error stops the parse (later messages would only be cascades).
class Parser : IRTokenParser {
public:
  Parser(const SourceBuffer &buffer, DiagnosticEngine &diag)
      : IRTokenParser(buffer.text(), diag) {}

  std::unique_ptr<Module> parse() {
    auto module = std::make_unique<Module>();
    if (!parseModule(*module))
      return nullptr;
    return module;
  }

private:
  // --- values and scopes ----------------------------------------------------
  /// Declares `name` in the innermost scope; names are unique per function.
  bool define(const IRToken &at, Value *v) {
    if (!functionNames_.insert(at.text).second)
      return error(at.loc, "redefinition of value '%" + at.text + "'");
    scopes_.back()[at.text] = v;
    bool numeric = at.text.find_first_not_of("0123456789") == std::string::npos;
    v->setName(numeric ? "" : at.text);
    return true;
  }

  bool parseUse(Value *&out) {
    if (tok().kind != IRTokenKind::ValueName)
      return errorHere("a value ('%name')");
    const IRToken &t = consume();
    auto &scope = scopes_.back();
    auto it = scope.find(t.text);
    if (it != scope.end()) {
      out = it->second;
      return true;
    }
    for (auto &outer : scopes_)
      if (outer.count(t.text))
        return error(t.loc, "value '%" + t.text +
                                "' is defined outside this scan body (bodies "
                                "are isolated from above)");
    return error(t.loc, "use of undefined value '%" + t.text + "'");
  }

  bool parseOperands(std::vector<Value *> &operands) {
    if (!expect("("))
      return false;
    while (!tok().is(")")) {
      Value *v;
      if ((!operands.empty() && !expect(",")) || !parseUse(v))
        return false;
      operands.push_back(v);
    }
    consume();
    return true;
  }

  // --- operations ----------------------------------------------------------
  /// "scan body", "fusion body" or "function body", for messages.
  static std::string bodyName(const Block &block) {
    const Operation *owner = block.parentOp();
    return std::string(owner ? opKindName(owner->kind()) : "function") + " body";
  }

  /// Parses ops into `block` up to its closing '}' (not consumed). `isBody`:
  /// a scan body ending in yield, else a function body ending in return.
  bool parseBlockOps(Block &block, bool isBody) {
    const char *want = isBody ? "yield" : "return";
    while (!tok().is("}")) {
      if (block.terminator() && isTerminator(block.terminator()->kind()))
        return errorHere("'}' after the terminator");
      if (!parseOp(block))
        return false;
    }
    Operation *last = block.terminator();
    if (!last || last->kind() != (isBody ? OpKind::Yield : OpKind::Return))
      return error(tok().loc, bodyName(block) + " must end with '" + want + "'");
    return true;
  }

  bool parseTerminator(Block &block, OpKind kind, SourceLocation at) {
    if ((kind == OpKind::Yield) != (block.parentOp() != nullptr))
      return error(at, std::string("'") + opKindName(kind) +
                           (kind == OpKind::Yield
                                ? "' outside a scan or fusion body"
                                : "' inside a " + bodyName(block) + " (use 'yield')"));
    std::vector<Value *> operands;
    if (tok().kind == IRTokenKind::ValueName) {
      do {
        Value *v;
        if (!parseUse(v))
          return false;
        operands.push_back(v);
      } while (tok().is(",") && consume().is(","));
    }
    block.create(kind, std::move(operands), {})->loc = at;
    return true;
  }

  bool parseOp(Block &block) {
    SourceLocation start = tok().loc;
    std::vector<IRToken> resultNames;
    while (tok().kind == IRTokenKind::ValueName) {
      resultNames.push_back(consume());
      if (!tok().is(","))
        break;
      consume();
    }
    if (!resultNames.empty() && !expect("="))
      return false;
    if (tok().kind != IRTokenKind::Identifier)
      return errorHere("an operation name");
    const IRToken &nameTok = consume();
    OpKind kind;
    if (!opKindFromName(nameTok.text, kind))
      return error(nameTok.loc, "unknown operation '" + nameTok.text + "'");
    if (isTerminator(kind)) {
      if (!resultNames.empty())
        return error(nameTok.loc,
                     std::string("'") + nameTok.text + "' has no results");
      return parseTerminator(block, kind, start);
    }
    std::vector<Value *> operands;
    AttributeMap attrs;
    std::vector<std::pair<std::string, SourceLocation>> keys;
    if (!parseOperands(operands) || !parseAttributes(attrs, &keys))
      return false;
    const std::vector<std::string> &known = opKindAttributeNames(kind);
    for (const auto &[key, at] : keys)
      if (std::find(known.begin(), known.end(), key) == known.end())
        return error(at, "unknown attribute '" + key + "' for '" + nameTok.text +
                             "' (it takes " + describeAttributeNames(kind) + ")");
    if (hasBody(kind))
      return parseScan(kind, block, resultNames, std::move(operands),
                       std::move(attrs), nameTok.loc, start);
    std::vector<TensorType> declared;
    std::vector<SourceLocation> typeLocs;
    if (!parseResultTypes(resultNames, declared, typeLocs))
      return false;
    Operation *op = block.create(kind, operands, declared, attrs);
    op->loc = start;
    return checkAndDefineResults(*op, nameTok.loc, declared, typeLocs, resultNames);
  }

  /// `: type, ...` after an op, one type per result name.
  bool parseResultTypes(const std::vector<IRToken> &resultNames,
                        std::vector<TensorType> &declared,
                        std::vector<SourceLocation> &typeLocs) {
    if (!expect(":") || !parseTypeList(declared, &typeLocs))
      return false;
    if (declared.size() != resultNames.size())
      return error(typeLocs.front(),
                   std::to_string(resultNames.size()) + " result name(s) but " +
                       std::to_string(declared.size()) + " type(s)");
    return true;
  }

  /// The declared result types must be the inferred ones; then the result
  /// names are bound.
  bool checkAndDefineResults(Operation &op, SourceLocation nameLoc,
                             const std::vector<TensorType> &declared,
                             const std::vector<SourceLocation> &typeLocs,
                             const std::vector<IRToken> &resultNames) {
    auto inferred = inferResultTypes(op);
    if (!inferred)
      return error(nameLoc, inferred.error().message());
    if (!checkDeclared(*inferred, declared, typeLocs))
      return false;
    for (size_t i = 0; i < resultNames.size(); ++i)
      if (!define(resultNames[i], op.result(i)))
        return false;
    return true;
  }

  bool checkDeclared(const std::vector<TensorType> &inferred,
                     const std::vector<TensorType> &declared,
                     const std::vector<SourceLocation> &locs) {
    if (inferred.size() != declared.size())
      return error(locs.front(), "op has " + std::to_string(inferred.size()) +
                                     " result(s), " +
                                     std::to_string(declared.size()) +
                                     " declared");
    for (size_t i = 0; i < inferred.size(); ++i)
      if (inferred[i] != declared[i])
        return error(locs[i], "declared type " + declared[i].str() +
                                  " does not match inferred type " +
                                  inferred[i].str());
    return true;
  }

  /// Index of the token after the '}' that closes the '{' at `open`.
  size_t matchingBrace(size_t open) const {
    int depth = 0;
    for (size_t i = open; i < tokens_.size(); ++i) {
      if (tokens_[i].is("{"))
        ++depth;
      else if (tokens_[i].is("}") && --depth == 0)
        return i + 1;
      if (tokens_[i].kind == IRTokenKind::End ||
          tokens_[i].kind == IRTokenKind::Invalid)
        return i;
    }
    return tokens_.size() - 1;
  }

  /// A scan or a fusion (`kind`): the op with its body block.
  bool parseScan(OpKind kind, Block &block, const std::vector<IRToken> &resultNames,
                 std::vector<Value *> operands, AttributeMap attrs,
                 SourceLocation nameAt, SourceLocation start) {
    if (scopes_.size() > kMaxScanNesting)
      return error(nameAt, "scan nesting deeper than " +
                               std::to_string(kMaxScanNesting));
    std::vector<TensorType> operandTypes;
    for (Value *v : operands)
      operandTypes.push_back(v->type());
    // A fusion body's arguments mirror its operands.
    auto argTypes = kind == OpKind::Fusion ? Expected<std::vector<TensorType>>(operandTypes)
                                           : scanBodyArgumentTypes(operandTypes, attrs);
    if (!argTypes)
      return error(nameAt, argTypes.error().message());
    if (!tok().is("{"))
      return errorHere("'{' opening the scan body");
    // The result types follow the body: read them first.
    size_t bodyStart = pos_;
    pos_ = matchingBrace(pos_);
    if (!tokens_[pos_ - 1].is("}"))
      return errorHere("'}' closing the scan body");
    std::vector<TensorType> declared;
    std::vector<SourceLocation> typeLocs;
    if (!parseResultTypes(resultNames, declared, typeLocs))
      return false;
    size_t after = pos_;
    pos_ = bodyStart + 1;

    Operation *op = block.create(kind, operands, declared, attrs);
    op->loc = start;
    Block &body = *op->addRegion();
    scopes_.emplace_back();
    if (!parseBodyArgs(body, *argTypes) || !parseBlockOps(body, true))
      return false;
    scopes_.pop_back();
    pos_ = after;
    return checkAndDefineResults(*op, nameAt, declared, typeLocs, resultNames);
  }

  bool parseBodyArgs(Block &body, const std::vector<TensorType> &expected) {
    if (tok().kind != IRTokenKind::BlockLabel || tok().text != "body")
      return errorHere("'^body'");
    consume();
    if (!expect("("))
      return false;
    while (!tok().is(")")) {
      if (body.numArguments() && !expect(","))
        return false;
      if (tok().kind != IRTokenKind::ValueName)
        return errorHere("a body argument ('%name')");
      const IRToken &name = consume();
      if (!expect(":"))
        return false;
      SourceLocation typeAt = tok().loc;
      TensorType type;
      if (!parseType(type))
        return false;
      unsigned i = body.numArguments();
      if (i >= expected.size())
        return error(name.loc, "scan body takes " +
                                   std::to_string(expected.size()) +
                                   " argument(s)");
      if (type != expected[i])
        return error(typeAt, "body argument #" + std::to_string(i) +
                                 " has type " + type.str() + ", expected " +
                                 expected[i].str());
      if (!define(name, body.addArgument(type)))
        return false;
    }
    if (body.numArguments() != expected.size())
      return error(tok().loc, "scan body takes " +
                                  std::to_string(expected.size()) +
                                  " argument(s), got " +
                                  std::to_string(body.numArguments()));
    consume();
    return expect(":");
  }

  // --- functions and the module ---------------------------------------------
  bool parseFunction(Module &m) {
    consume(); // 'func'
    if (tok().kind != IRTokenKind::Symbol)
      return errorHere("a function name ('@name')");
    const IRToken &fname = consume();
    if (m.function(fname.text))
      return error(fname.loc, "redefinition of function '@" + fname.text + "'");
    Function &f = *m.addFunction(fname.text);
    functionNames_.clear();
    scopes_.assign(1, {});
    if (!expect("("))
      return false;
    while (!tok().is(")")) {
      if (f.body().numArguments() && !expect(","))
        return false;
      ArgRole role;
      if (tok().kind != IRTokenKind::Identifier ||
          !argRoleFromName(tok().text, role))
        return errorHere("an argument role (param, state, input, label)");
      consume();
      if (tok().kind != IRTokenKind::ValueName)
        return errorHere("an argument name ('%name')");
      const IRToken &name = consume();
      TensorType type;
      if (!expect(":") || !parseType(type))
        return false;
      if (!define(name, f.addArgument(role, name.text, type)))
        return false;
    }
    consume();
    std::vector<std::pair<SourceLocation, TensorType>> resultTypes;
    if (!expect("->") || !expect("("))
      return false;
    while (!tok().is(")")) {
      std::string rname;
      if (!f.resultNames.empty() && !expect(","))
        return false;
      if (!parseWord(rname, "a result name"))
        return false;
      if (!expect(":"))
        return false;
      SourceLocation at = tok().loc;
      TensorType type;
      if (!parseType(type))
        return false;
      f.resultNames.push_back(rname);
      resultTypes.push_back({at, type});
    }
    consume();
    if (!expect("{") || !parseBlockOps(f.body(), false))
      return false;
    consume(); // '}'
    const Operation &ret = *f.body().terminator();
    if (ret.numOperands() != resultTypes.size())
      return error(ret.loc,
                   "'return' has " + std::to_string(ret.numOperands()) +
                       " operand(s), the function declares " +
                       std::to_string(resultTypes.size()) + " result(s)");
    for (size_t i = 0; i < resultTypes.size(); ++i)
      if (ret.operand(i)->type() != resultTypes[i].second)
        return error(resultTypes[i].first,
                     "result '" + f.resultNames[i] + "' declared " +
                         resultTypes[i].second.str() + " but returned " +
                         ret.operand(i)->type().str());
    return true;
  }

  bool parseTrain(TrainConfig &t) {
    consume(); // 'train'
    if (!expect("{"))
      return false;
    std::set<std::string> seen;
    while (!tok().is("}")) {
      if (!seen.empty() && !expect(","))
        return false;
      const IRToken &key = tok();
      std::string k;
      if (!parseWord(k, "a train setting") || !expect("="))
        return false;
      if (!seen.insert(k).second)
        return error(key.loc, "train setting '" + k + "' given twice");
      bool ok;
      if (k == "loss" || k == "optimizer" || k == "sampling")
        ok = parseWord(k == "loss"        ? t.loss
                       : k == "optimizer" ? t.optimizer
                                          : t.sampling,
                       "a word");
      else if (k == "lr" || k == "beta1" || k == "beta2" || k == "eps" ||
               k == "clip")
        ok = parseNumber(k == "lr"      ? t.lr
                         : k == "beta1" ? t.beta1
                         : k == "beta2" ? t.beta2
                         : k == "eps"   ? t.eps
                                        : t.clip);
      else if (k == "batch" || k == "seq_len" || k == "epochs")
        ok = parseInteger(k == "batch"     ? t.batch
                          : k == "seq_len" ? t.seqLen
                                           : t.epochs);
      else
        return error(key.loc, "unknown train setting '" + k + "'");
      if (!ok)
        return false;
    }
    consume();
    return true;
  }

  bool parseInit(Module &m) {
    consume(); // 'init'
    if (tok().kind != IRTokenKind::Symbol)
      return errorHere("a parameter name ('@name')");
    const IRToken &param = consume();
    if (m.paramInits.count(param.text))
      return error(param.loc,
                   "initialiser of '@" + param.text + "' given twice");
    ParamInit init;
    return expect("=") && parseWord(init.kind, "an initialiser kind") &&
           expect("(") && parseNumber(init.a, true) && expect(",") &&
           parseNumber(init.b, true) && expect(")") &&
           (m.paramInits[param.text] = init, true);
  }

  bool parseModule(Module &m) {
    if (!expectKeyword("module"))
      return false;
    if (tok().kind == IRTokenKind::Symbol)
      m.name = consume().text;
    if (!expect("{"))
      return false;
    if (tok().isIdentifier("train") && !parseTrain(m.train))
      return false;
    while (tok().isIdentifier("init"))
      if (!parseInit(m))
        return false;
    while (tok().isIdentifier("func"))
      if (!parseFunction(m))
        return false;
    if (!expect("}"))
      return false;
    if (tok().kind != IRTokenKind::End)
      return errorHere("end of input");
    return true;
  }

  /// Visible values: one map per open block (function body, scan bodies).
  std::vector<std::map<std::string, Value *>> scopes_;
  std::set<std::string> functionNames_;
};

} // namespace

std::unique_ptr<Module>
parseModuleText(std::shared_ptr<const SourceBuffer> buffer,
                DiagnosticEngine &diag) {
  if (!buffer)
    return nullptr;
  return Parser(*buffer, diag).parse();
}

} // namespace rnnc::ir
