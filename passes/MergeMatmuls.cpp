//===- MergeMatmuls.cpp - Products that share an operand become one -------===//
///
/// \file
/// The `merge-matmuls` pass. A gated cell does several small products per
/// time step with the same left operand (LSTM: h·W_hi, h·W_hf, h·W_ho,
/// h·W_hc); small products run far from peak and each pays a thread
/// hand-off, so one wide product is faster. For every function body and
/// scan body (fusion bodies are left alone):
///  1. matmul(a, W1), matmul(a, W2), ... -> matmul(a, concat(W1, W2, ...))
///     and a `slice` of its result per old product.
///  2. A sum (adds in any association, inner adds used once) with several
///     terms matmul_nt(d_k, W_k) of the sum's full type ->
///     matmul_nt(concat(d_k...), concat(W_k...)) plus the other terms
///     (Σ d_k·W_kᵀ = [d_1 .. d_n]·[W_1 .. W_n]ᵀ).
///  3. In a scan body: matmul_tn(a, b1), matmul_tn(a, b2), ... ->
///     matmul_tn(a, concat(b_k)) and slices, unless a product is yielded
///     (hoist-scan turns yielded per-step weight gradients into one product
///     over all steps). Not in a function body: there the products are
///     hoist-scan's time-batched weight gradients, T·B rows deep and large
///     already, and merging them copied every b_k into the concat and every
///     result out of it (LSTM train step: 4.6 MB and 2 MB).
///  4. A concat in a scan body of loop invariants only moves before the scan
///     and enters it as a new invariant, so the weights are joined once.
/// Every merged group needs all its operands defined before its first
/// member (1, 3) or before the sum (2); the new ops take its place.
/// Tests: test/lit/passes/merge-matmuls-*.test, test/unit/PassMergeMatmulsTest.cpp
/// (and PassExamplesTest.cpp, CodegenExamplesTest.cpp via the default pipeline).
///
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"
#include "passes/RewriteUtil.h"

#include "ir/Builder.h"

#include <algorithm>
#include <map>
#include <memory>

namespace rnnc::passes {

using namespace ir;

namespace {

/// Erases the ops `b` made since it was at `start` (all of them unused).
void undo(const Builder &b, size_t start) {
  for (size_t i = b.position(); i-- > start;)
    b.block().erase(b.block().operations()[i].get());
}

/// Position of each op of `block`; block arguments are absent (always defined).
std::map<const Operation *, size_t> positions(const Block &block) {
  std::map<const Operation *, size_t> at;
  for (size_t i = 0; i < block.operations().size(); ++i)
    at[block.operations()[i].get()] = i;
  return at;
}

bool definedBefore(const std::map<const Operation *, size_t> &at, const Value *v, size_t pos) {
  const Operation *def = v->definingOp();
  if (!def)
    return true;
  auto it = at.find(def);
  return it != at.end() && it->second < pos;
}

bool yielded(const Value *v) {
  for (const Operation *user : v->users())
    if (user->kind() == OpKind::Yield)
      return true;
  return false;
}

/// Erases `ops` (dead once their results are replaced), users first.
void eraseAll(Block &block, std::vector<Operation *> ops) {
  auto at = positions(block);
  std::sort(ops.begin(), ops.end(),
            [&](const Operation *a, const Operation *b) { return at.at(a) > at.at(b); });
  for (Operation *op : ops)
    block.erase(op);
}

/// Steps 1 and 3: products of `kind` sharing the left operand. Merges one
/// group; returns false when none is left.
bool mergeSharedLeft(Block &block, OpKind kind) {
  std::map<Value *, std::vector<Operation *>> byLeft;
  std::vector<Value *> order;
  for (const auto &op : block.operations()) {
    if (op->kind() != kind || op->operand(1)->type().rank() < 1 ||
        op->result()->type().elementType() != ElementType::F32)
      continue;
    if (kind == OpKind::MatMul && op->operand(1)->type().rank() != 2)
      continue;
    if (kind == OpKind::MatMulTN && yielded(op->result()))
      continue;
    auto &group = byLeft[op->operand(0)];
    if (group.empty())
      order.push_back(op->operand(0));
    group.push_back(op.get());
  }
  auto at = positions(block);
  for (Value *left : order) {
    std::vector<Operation *> &group = byLeft[left];
    size_t first = at.at(group.front());
    std::vector<Operation *> members;
    std::vector<Value *> rights; // distinct: a repeated product shares a slice
    for (Operation *op : group)
      if (definedBefore(at, op->operand(1), first)) {
        members.push_back(op);
        if (std::find(rights.begin(), rights.end(), op->operand(1)) == rights.end())
          rights.push_back(op->operand(1));
      }
    if (rights.size() < 2)
      continue;
    Builder b(block, first);
    Value *product = b.create(kind, {left, b.concat(rights)});
    if (!product) {
      undo(b, first);
      continue;
    }
    std::map<const Value *, Value *> parts; // right operand -> its slice
    int64_t begin = 0;
    for (Value *right : rights) {
      int64_t width = right->type().dims().back().size;
      parts[right] = b.slice(product, begin, begin + width);
      begin += width;
    }
    for (Operation *op : members) {
      Value *part = parts.at(op->operand(1));
      if (part->name().empty()) {
        part->setName(op->result()->name());
        part->setDimNames(op->result()->type());
      }
      op->result()->replaceAllUsesWith(part);
    }
    eraseAll(block, members);
    return true;
  }
  return false;
}

/// Step 2: one sum of matmul_nt terms; returns false when none is left.
bool mergeTransposedSum(Block &block) {
  auto at = positions(block);
  auto innerAdd = [&](const Value *v) {
    const Operation *def = v->definingOp();
    return def && def->kind() == OpKind::Add && v->users().size() == 1 &&
           v->users()[0]->kind() == OpKind::Add && at.count(def);
  };
  for (const auto &rootOp : block.operations()) {
    Operation *root = rootOp.get();
    if (root->kind() != OpKind::Add || innerAdd(root->result()))
      continue;
    const TensorType &type = root->result()->type();
    std::vector<Operation *> tree{root}, products;
    std::vector<Value *> others;
    for (size_t i = 0; i < tree.size(); ++i) // grows: explicit worklist
      for (Value *term : tree[i]->operands()) {
        Operation *def = term->definingOp();
        if (innerAdd(term))
          tree.push_back(def);
        else if (def && def->kind() == OpKind::MatMulNT && term->users().size() == 1 &&
                 term->type() == type && def->operand(1)->type().rank() == 2 &&
                 at.count(def))
          products.push_back(def);
        else
          others.push_back(term);
      }
    if (products.size() < 2)
      continue;
    // In weight order (argument order), so the joined weights match the
    // forward product's and the joined adjoints the weight gradients'.
    auto weightOrder = [&](const Operation *p) {
      const Value *w = p->operand(1);
      return w->definingOp() ? std::make_pair(1, at.at(w->definingOp()))
                             : std::make_pair(0, static_cast<size_t>(w->argIndex()));
    };
    std::stable_sort(products.begin(), products.end(),
                     [&](const Operation *a, const Operation *b) {
                       return weightOrder(a) < weightOrder(b);
                     });
    std::vector<Value *> lefts, rights;
    for (Operation *p : products) {
      lefts.push_back(p->operand(0));
      rights.push_back(p->operand(1));
    }
    Builder b(block, at.at(root));
    Value *joinedLeft = b.concat(lefts);
    Value *sum = b.matmulNT(joinedLeft, b.concat(rights));
    for (Value *other : others)
      sum = b.add(sum, other);
    if (!sum || sum->type() != type) { // not expected: each term had the type
      undo(b, at.at(root));
      continue;
    }
    sum->setName(root->result()->name());
    root->result()->replaceAllUsesWith(sum);
    std::vector<Operation *> dead = tree;
    dead.insert(dead.end(), products.begin(), products.end());
    eraseAll(block, dead);
    return true;
  }
  return false;
}

/// Step 4 for one scan: returns the (possibly rebuilt) scan.
Operation *hoistInvariantConcats(Operation *scan) {
  Block &body = scan->body();
  unsigned firstInvariant = scan->scanNumCarried() + scan->scanNumSequences();
  auto invariantArg = [&](const Value *v) {
    return v->ownerBlock() == &body && v->argIndex() >= firstInvariant;
  };
  std::vector<Operation *> moving;
  for (const auto &op : body.operations())
    if (op->kind() == OpKind::Concat && op->result()->hasUses() &&
        std::all_of(op->operands().begin(), op->operands().end(), invariantArg))
      moving.push_back(op.get());
  if (moving.empty())
    return scan;
  Block *parent = scan->parentBlock();
  size_t start = parent->indexOf(scan);
  Builder outer(*parent, start);
  ScanRebuild plan;
  for (unsigned i = 0; i < scan->numOperands(); ++i)
    (i < scan->scanNumCarried() ? plan.carried
     : i < firstInvariant       ? plan.sequences
                                : plan.invariants)
        .push_back(scan->operand(i));
  for (const auto &a : body.arguments())
    plan.argReplaces.push_back(a.get());
  for (Operation *op : moving) {
    std::vector<Value *> operands;
    for (Value *o : op->operands())
      operands.push_back(scan->operand(o->argIndex()));
    Value *joined = outer.concat(operands);
    if (!joined) {
      undo(outer, start);
      return scan;
    }
    plan.invariants.push_back(joined);
    plan.argReplaces.push_back(op->result());
  }
  plan.yields = body.terminator()->operands();
  plan.resultReplaces = scan->results();
  Operation *made = rebuildScan(scan, plan);
  if (!made) {
    undo(outer, start);
    return scan;
  }
  for (Operation *op : moving)
    made->body().erase(op);
  return made;
}

class MergeMatmulsPass : public Pass {
public:
  const char *name() const override { return "merge-matmuls"; }
  Expected<void> run(Module &module, DiagnosticEngine &) override {
    std::vector<Operation *> scans;
    for (Block *block : allBlocks(module)) {
      if (block->parentOp() && block->parentOp()->kind() != OpKind::Scan)
        continue; // another structured op's body (fusion): its own rules
      while (mergeSharedLeft(*block, OpKind::MatMul)) {
      }
      while (mergeTransposedSum(*block)) {
      }
      while (block->parentOp() && mergeSharedLeft(*block, OpKind::MatMulTN)) {
      }
      for (const auto &op : block->operations())
        if (op->kind() == OpKind::Scan)
          scans.push_back(op.get());
    }
    // Inner scans first, so a concat can leave several levels of nesting.
    for (auto it = scans.rbegin(); it != scans.rend(); ++it)
      hoistInvariantConcats(*it);
    return {};
  }
};

} // namespace

std::unique_ptr<Pass> createMergeMatmulsPass() { return std::make_unique<MergeMatmulsPass>(); }

} // namespace rnnc::passes
