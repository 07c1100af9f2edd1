//===- DeadCodeElimination.cpp - Drop unused ops, scan outputs and args ---===//
///
/// \file
/// The `dce` pass. Repeats until nothing changes:
///  1. In every block, innermost first and last op first, erase each
///     non-terminator op none of whose results is used (a scan with them).
///  2. For every scan: drop the per-step outputs nobody reads (the result and
///     its yield operand) and the sequence / invariant operands whose body
///     argument is unused, by rebuilding the scan (passes/RewriteUtil.h).
///     The body ops that only fed a dropped output die in the next round.
/// Every op of the IR is pure, so "unused" is the only criterion.
/// Tests: test/lit/passes/dce-*.rnnir, test/unit/PassExamplesTest.cpp.
///
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"
#include "passes/RewriteUtil.h"

#include <memory>

namespace rnnc::passes {

using namespace ir;

namespace {

bool eraseDeadOps(Module &module) {
  bool changed = false;
  std::vector<Block *> blocks = allBlocks(module);
  // Inner blocks first: erasing a scan destroys only blocks already visited.
  for (auto it = blocks.rbegin(); it != blocks.rend(); ++it) {
    Block *block = *it;
    for (size_t i = block->operations().size(); i-- > 0;) {
      Operation *op = block->operations()[i].get();
      if (isTerminator(op->kind()))
        continue;
      bool used = false;
      for (Value *r : op->results())
        used = used || r->hasUses();
      if (!used) {
        block->erase(op);
        changed = true;
      }
    }
  }
  return changed;
}

/// Drops unused outputs and operands of one scan; true if it was rebuilt.
bool pruneScan(Operation *scan) {
  unsigned numCarried = scan->scanNumCarried();
  unsigned numSeq = scan->scanNumSequences();
  Block &body = scan->body();
  ScanRebuild plan;
  bool drop = false, anySequenceUsed = false;
  for (unsigned i = numCarried; i < numCarried + numSeq; ++i)
    anySequenceUsed = anySequenceUsed || body.argument(i)->hasUses();
  for (unsigned i = 0; i < scan->numOperands(); ++i) {
    Value *arg = body.argument(i);
    bool isCarried = i < numCarried, isSeq = !isCarried && i < numCarried + numSeq;
    // Keep one sequence even if unread: it gives the scan its length.
    bool lengthGiver = isSeq && !anySequenceUsed && i == numCarried;
    if (!isCarried && !arg->hasUses() && !lengthGiver) {
      drop = true;
      continue;
    }
    (isCarried ? plan.carried : isSeq ? plan.sequences : plan.invariants)
        .push_back(scan->operand(i));
    plan.argReplaces.push_back(arg);
  }
  Operation *yield = body.terminator();
  for (unsigned r = 0; r < scan->numResults(); ++r) {
    if (r >= numCarried && !scan->result(r)->hasUses()) {
      drop = true;
      continue;
    }
    plan.yields.push_back(yield->operand(r));
    plan.resultReplaces.push_back(scan->result(r));
  }
  return drop && rebuildScan(scan, plan) != nullptr;
}

class DeadCodeEliminationPass : public Pass {
public:
  const char *name() const override { return "dce"; }
  Expected<void> run(Module &module, DiagnosticEngine &) override {
    removeDeadCode(module);
    return {};
  }
};

} // namespace

bool removeDeadCode(Module &module) {
  bool any = false;
  for (bool changed = true; changed;) {
    changed = eraseDeadOps(module);
    std::vector<Operation *> scans;
    for (Block *block : allBlocks(module))
      for (const auto &op : block->operations())
        if (op->kind() == OpKind::Scan)
          scans.push_back(op.get());
    for (Operation *scan : scans)
      changed = pruneScan(scan) || changed;
    any = any || changed;
  }
  return any;
}

std::unique_ptr<Pass> createDeadCodeEliminationPass() {
  return std::make_unique<DeadCodeEliminationPass>();
}

} // namespace rnnc::passes
