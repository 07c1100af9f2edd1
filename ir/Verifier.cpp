//===- Verifier.cpp - Structural and type checks of the IR ----------------===//
///
/// \file
/// One FunctionVerifier per function walks its blocks with a worklist,
/// collecting every problem (not just the first) so a broken pass shows all
/// its damage at once; the checks are listed in ir/Verifier.h.
///
//===----------------------------------------------------------------------===//
#include "ir/Verifier.h"

#include "ir/ShapeInference.h"

#include <algorithm>
#include <set>

namespace rnnc::ir {

namespace {

constexpr size_t kMaxErrorsPerFunction = 50;

class FunctionVerifier {
public:
  explicit FunctionVerifier(const Function &f) : f_(f) {}

  std::vector<VerifierError> run() {
    checkArguments();
    std::vector<const Block *> worklist{&f_.body()};
    while (!worklist.empty() && errors_.size() < kMaxErrorsPerFunction) {
      const Block *block = worklist.back();
      worklist.pop_back();
      checkBlock(*block, worklist);
    }
    checkReturn();
    return std::move(errors_);
  }

private:
  void report(const Operation *op, const std::string &message) {
    std::string where = "in @" + f_.name() + ": ";
    if (op)
      where += std::string("'") + op->name() + "' op ";
    errors_.push_back({op ? op->loc : SourceLocation{}, where + message});
  }

  void checkArguments() {
    std::set<std::string> names;
    for (auto &a : f_.body().arguments()) {
      if (a->name().empty())
        report(nullptr,
               "argument #" + std::to_string(a->argIndex()) + " has no name");
      else if (!names.insert(a->name()).second)
        report(nullptr, "two arguments are named '" + a->name() + "'");
    }
  }

  void checkBlock(const Block &block, std::vector<const Block *> &worklist) {
    bool isBody = block.parentOp() != nullptr;
    std::set<const Value *> visible, inBlock;
    for (auto &a : block.arguments())
      visible.insert(a.get());
    for (auto &op : block.operations())
      for (Value *r : op->results())
        inBlock.insert(r);

    const auto &ops = block.operations();
    if (ops.empty()) {
      report(block.parentOp(), std::string(isBody ? "body" : "function body") +
                                   " is empty (must end with '" +
                                   (isBody ? "yield" : "return") + "')");
      return;
    }
    for (size_t i = 0; i < ops.size(); ++i) {
      const Operation &op = *ops[i];
      if (op.parentBlock() != &block)
        report(&op, "does not know its parent block");
      checkOperands(op, visible, inBlock);
      checkTerminator(op, i + 1 == ops.size(), isBody);
      checkCountsAndTypes(op);
      if (hasBody(op.kind()) && op.regions().size() == 1) {
        if (op.kind() == OpKind::Scan)
          checkScanBody(op);
        else
          checkFusionBody(op);
        worklist.push_back(op.regions()[0].get());
      }
      for (Value *r : op.results())
        visible.insert(r);
    }
  }

  void checkOperands(const Operation &op,
                     const std::set<const Value *> &visible,
                     const std::set<const Value *> &inBlock) {
    for (unsigned i = 0; i < op.numOperands(); ++i) {
      const Value *v = op.operand(i);
      std::string which = "operand #" + std::to_string(i);
      if (!v) {
        report(&op, which + " is null");
        continue;
      }
      if (!visible.count(v))
        report(&op, which + (inBlock.count(v)
                                 ? " is used before its definition"
                                 : " is defined outside this block (scan "
                                   "bodies are isolated from above)"));
      const auto &users = v->users();
      if (std::find(users.begin(), users.end(), &op) == users.end())
        report(&op, which + "'s use list does not contain this op");
    }
  }

  void checkTerminator(const Operation &op, bool last, bool isBody) {
    OpKind want = isBody ? OpKind::Yield : OpKind::Return;
    const Operation *owner = op.parentBlock() ? op.parentBlock()->parentOp() : nullptr;
    if (isTerminator(op.kind()) && !last)
      report(&op, "terminator is not the last op of its block");
    else if (last && op.kind() != want)
      report(&op, std::string(isBody ? (owner ? owner->name() : "scan")
                                     : "function") +
                      " body must end with '" + opKindName(want) + "'");
  }

  void checkCountsAndTypes(const Operation &op) {
    int operands = opKindNumOperands(op.kind());
    if (operands >= 0 && static_cast<int>(op.numOperands()) != operands) {
      report(&op, "expects " + std::to_string(operands) + " operand(s), has " +
                      std::to_string(op.numOperands()));
      return;
    }
    int results = opKindNumResults(op.kind());
    if (results >= 0 && static_cast<int>(op.numResults()) != results) {
      report(&op, "expects " + std::to_string(results) + " result(s), has " +
                      std::to_string(op.numResults()));
      return;
    }
    size_t regions = hasBody(op.kind()) ? 1 : 0;
    if (op.regions().size() != regions) {
      report(&op, "expects " + std::to_string(regions) +
                      " body block(s), has " +
                      std::to_string(op.regions().size()));
      return;
    }
    if (std::any_of(op.operands().begin(), op.operands().end(),
                    [](Value *v) { return v == nullptr; }))
      return;
    auto inferred = inferResultTypes(op);
    if (!inferred) {
      report(&op, inferred.error().message());
      return;
    }
    if (inferred->size() != op.numResults()) {
      report(&op, "has " + std::to_string(op.numResults()) +
                      " result(s), expected " +
                      std::to_string(inferred->size()));
      return;
    }
    for (unsigned i = 0; i < op.numResults(); ++i)
      if (op.result(i)->type() != (*inferred)[i])
        report(&op, "result #" + std::to_string(i) + " has type " +
                        op.result(i)->type().str() + ", expected " +
                        (*inferred)[i].str());
  }

  void checkScanBody(const Operation &op) {
    std::vector<TensorType> operandTypes;
    for (Value *v : op.operands())
      if (v)
        operandTypes.push_back(v->type());
    auto expected = scanBodyArgumentTypes(operandTypes, op.attrs());
    if (!expected)
      return; // already reported by the type check
    const Block &body = op.body();
    if (body.numArguments() != expected->size()) {
      report(&op, "body takes " + std::to_string(body.numArguments()) +
                      " argument(s), expected " +
                      std::to_string(expected->size()));
      return;
    }
    for (unsigned i = 0; i < body.numArguments(); ++i)
      if (body.argument(i)->type() != (*expected)[i])
        report(&op, "body argument #" + std::to_string(i) + " has type " +
                        body.argument(i)->type().str() + ", expected " +
                        (*expected)[i].str());
  }

  /// A fusion is one kernel: its body takes the operands as arguments and
  /// holds splat constants and elementwise ops, optionally after one
  /// leading matrix product; every yield (and the product) has one shape.
  void checkFusionBody(const Operation &op) {
    const Block &body = op.body();
    if (body.numArguments() != op.numOperands()) {
      report(&op, "body takes " + std::to_string(body.numArguments()) +
                      " argument(s), expected " + std::to_string(op.numOperands()));
      return;
    }
    for (unsigned i = 0; i < body.numArguments(); ++i)
      if (op.operand(i) && body.argument(i)->type() != op.operand(i)->type())
        report(&op, "body argument #" + std::to_string(i) + " has type " +
                        body.argument(i)->type().str() + ", expected " +
                        op.operand(i)->type().str());
    const auto &ops = body.operations();
    const Operation *yield = body.terminator();
    if (!yield || yield->kind() != OpKind::Yield || yield->numOperands() == 0)
      return; // reported by the terminator and type checks
    std::vector<int64_t> shape = yield->operand(0)->type().shape();
    for (size_t i = 0; i + 1 < ops.size(); ++i) {
      const Operation &inner = *ops[i];
      OpKind k = inner.kind();
      if (isMatrixProduct(k)) {
        if (i != 0)
          report(&op, std::string("body may hold one matrix product, as its "
                                  "first op; '") +
                          inner.name() + "' is op #" + std::to_string(i));
        else if (inner.numResults() == 1 && inner.result()->type().shape() != shape)
          report(&op, "leading '" + std::string(inner.name()) + "' has type " +
                          inner.result()->type().str() +
                          ", not the shape of the fused loop");
      } else if (k != OpKind::Constant && k != OpKind::Dropout && !isElementwise(k)) {
        report(&op, std::string("body may not hold '") + inner.name() +
                        "' (only constants, elementwise ops and dropout "
                        "after an optional leading matrix product)");
      }
    }
    for (unsigned i = 1; i < yield->numOperands(); ++i)
      if (yield->operand(i) && yield->operand(i)->type().shape() != shape)
        report(&op, "yields values of different shapes: " +
                        yield->operand(0)->type().str() + " and " +
                        yield->operand(i)->type().str());
  }

  void checkReturn() {
    const Operation *ret = f_.body().terminator();
    if (!ret || ret->kind() != OpKind::Return)
      return; // reported by checkTerminator
    if (ret->numOperands() != f_.resultNames.size())
      report(ret, "returns " + std::to_string(ret->numOperands()) +
                      " value(s) but the function names " +
                      std::to_string(f_.resultNames.size()) + " result(s)");
  }

  const Function &f_;
  std::vector<VerifierError> errors_;
};

} // namespace

std::vector<VerifierError> collectVerifierErrors(const Function &f) {
  return FunctionVerifier(f).run();
}

Expected<void> verifyFunction(const Function &f) {
  auto errors = collectVerifierErrors(f);
  if (errors.empty())
    return {};
  return Error(errors.front().message, errors.front().loc);
}

Expected<void> verifyModule(const Module &m, DiagnosticEngine &diag) {
  bool ok = true;
  std::set<std::string> names;
  for (auto &f : m.functions()) {
    if (!names.insert(f->name()).second) {
      diag.error({}, "two functions are named '@" + f->name() + "'");
      ok = false;
    }
    for (const VerifierError &e : collectVerifierErrors(*f)) {
      diag.error(e.loc, e.message);
      ok = false;
    }
  }
  if (!ok)
    return Error::diagnosed();
  return {};
}

} // namespace rnnc::ir
