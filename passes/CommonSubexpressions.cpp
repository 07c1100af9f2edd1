//===- CommonSubexpressions.cpp - Merge identical pure ops in a block -----===//
///
/// \file
/// The `cse` pass. For every block (scan bodies included), in program order:
///  1. Key each non-terminator, region-free op by (kind, operands).
///  2. If an earlier op has the same key, the same attributes and the same
///     result types, replace this op's results by the earlier op's and erase
///     it (every IR op is pure, so equal inputs give equal outputs).
/// Constants merge too (same type and value). Scans are left alone.
/// Tests: test/lit/passes/cse-*.rnnir, test/unit/PassExamplesTest.cpp.
///
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"
#include "passes/RewriteUtil.h"

#include <map>
#include <memory>

namespace rnnc::passes {

using namespace ir;

namespace {

bool sameOp(const Operation *a, const Operation *b) {
  if (a->attrs() != b->attrs() || a->numResults() != b->numResults())
    return false;
  for (unsigned i = 0; i < a->numResults(); ++i)
    if (a->result(i)->type() != b->result(i)->type())
      return false;
  return true;
}

bool cseBlock(Block &block) {
  bool changed = false;
  std::map<std::pair<OpKind, std::vector<Value *>>, std::vector<Operation *>> seen;
  for (size_t i = 0; i < block.operations().size();) {
    Operation *op = block.operations()[i].get();
    if (isTerminator(op->kind()) || !op->regions().empty()) {
      ++i;
      continue;
    }
    auto &candidates = seen[{op->kind(), op->operands()}];
    Operation *same = nullptr;
    for (Operation *c : candidates)
      if (sameOp(c, op))
        same = c;
    if (!same) {
      candidates.push_back(op);
      ++i;
      continue;
    }
    for (unsigned r = 0; r < op->numResults(); ++r)
      op->result(r)->replaceAllUsesWith(same->result(r));
    block.erase(op);
    changed = true;
  }
  return changed;
}

class CommonSubexpressionsPass : public Pass {
public:
  const char *name() const override { return "cse"; }
  Expected<void> run(Module &module, DiagnosticEngine &) override {
    for (Block *block : allBlocks(module))
      cseBlock(*block);
    return {};
  }
};

} // namespace

std::unique_ptr<Pass> createCommonSubexpressionsPass() {
  return std::make_unique<CommonSubexpressionsPass>();
}

} // namespace rnnc::passes
