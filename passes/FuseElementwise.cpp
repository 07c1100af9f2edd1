//===- FuseElementwise.cpp - Elementwise groups become `fusion` kernels ---===//
///
/// \file
/// The `fuse-elementwise` pass (issue #4: "chains of elementwise ops become
/// one kernel; bias + activation fuse into the GEMM epilogue; the state
/// update of a gated cell is one kernel"). It runs after autodiff, on every
/// block (function bodies and scan bodies). Per block:
///  1. Candidates: f32 elementwise ops (grouped by result shape; a smaller
///     operand such as a bias row broadcasts into the group) and f32 matrix
///     products (one-hot products are simplify's to turn into gathers, before
///     this pass; code generation folds nothing itself).
///  2. In program order, each candidate elementwise op starts a group and
///     joins the groups of its operands' producers of the same shape, and
///     at most one producing product (the epilogue; when two groups with a
///     product meet, the later product leaves), as long as the merged
///     set stays convex: no op outside it depends on a member while a member
///     depends on it (that value would leave the kernel and come back: a
///     cycle). Transitive ancestors per op are bitsets, so each check is a
///     few word operations; no recursion.
///  3. Convex groups can still need each other (group A feeds an op that
///     feeds group B while B feeds one that feeds A): on the graph whose
///     nodes are the groups and the other ops, while a cycle remains, the
///     group on it that starts latest is dissolved back into single ops.
///  4. Each group of two or more ops (or holding a dropout) becomes one `fusion` op: operands = the
///     values it reads from outside (splat constants are copied in), body =
///     the product first, constants, then the members in program order,
///     results = the member values used outside it (several for a gated
///     cell: LSTM's c and h come from one kernel).
///  5. The block is re-sorted topologically (stable), since an op that read
///     an early member may now need to follow the fusion op.
/// Tests: test/lit/passes/fuse-* (before/after on char RNN, GRU, LSTM, an
/// epilogue, non-fusions that would make cycles), test/unit/PassExamplesTest.cpp
/// (interpreter results kept on every example), FuseElementwiseTest.cpp,
/// CodegenExamplesTest.cpp and CodegenRandomTest.cpp (JIT of fused graphs).
///
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"
#include "passes/RewriteUtil.h"

#include "ir/Builder.h"

#include <algorithm>
#include <map>
#include <memory>
#include <queue>
#include <set>
#include <unordered_map>

namespace rnnc::passes {

using namespace ir;

namespace {

/// A fixed-size set of op positions in one block.
class BitSet {
public:
  explicit BitSet(size_t n = 0) : words_((n + 63) / 64, 0) {}
  void set(size_t i) { words_[i / 64] |= uint64_t(1) << (i % 64); }
  bool test(size_t i) const { return (words_[i / 64] >> (i % 64)) & 1; }
  void unite(const BitSet &o) {
    for (size_t w = 0; w < words_.size(); ++w)
      words_[w] |= o.words_[w];
  }
  bool intersects(const BitSet &o) const {
    for (size_t w = 0; w < words_.size(); ++w)
      if (words_[w] & o.words_[w])
        return true;
    return false;
  }
  /// Calls f(i) for every i in this set and not in `minus`; stops when f
  /// returns false, and then returns false.
  template <typename F> bool forEachNotIn(const BitSet &minus, F f) const {
    for (size_t w = 0; w < words_.size(); ++w)
      for (uint64_t bits = words_[w] & ~minus.words_[w]; bits; bits &= bits - 1)
        if (!f(w * 64 + static_cast<size_t>(__builtin_ctzll(bits))))
          return false;
    return true;
  }

private:
  std::vector<uint64_t> words_;
};

bool allF32(const Operation &op) {
  for (const Value *v : op.operands())
    if (v->type().elementType() != ElementType::F32)
      return false;
  return op.numResults() == 1 && op.result()->type().elementType() == ElementType::F32;
}

/// Dropout counts as elementwise over its f32 operand; its i32 key row
/// enters the kernel as an operand (CodegenFusion.cpp draws the mask there).
bool isFusibleElementwise(const Operation &op) {
  if (op.kind() == OpKind::Dropout)
    return op.operand(0)->type().elementType() == ElementType::F32;
  return isElementwise(op.kind()) && allF32(op);
}

bool isFusibleProduct(const Operation &op) {
  return isMatrixProduct(op.kind()) && allF32(op);
}

struct Group {
  std::vector<size_t> members; ///< positions in the block
  BitSet memberBits, ancestorBits;
  int product = -1; ///< position of the leading product, if any
  bool hasDropout = false;
  /// Two or more ops share a kernel; a dropout is a kernel even alone (its
  /// mask is drawn only inside fused loops).
  bool becomesFusion() const { return members.size() >= 2 || hasDropout; }
};

class BlockFuser {
public:
  explicit BlockFuser(Block &block) : block_(block) {
    for (const auto &op : block.operations())
      if (!isTerminator(op->kind())) {
        position_[op.get()] = ops_.size();
        ops_.push_back(op.get());
      }
  }

  /// Steps 1-5; returns the number of fusion ops made.
  unsigned run() {
    computeAncestors();
    formGroups();
    while (dissolveGroupOnCycle()) {
    }
    unsigned made = 0;
    std::set<size_t> seen;
    std::vector<Group *> fusible;
    for (size_t i = 0; i < ops_.size(); ++i) {
      int g = groupOf_[i];
      if (g < 0 || !seen.insert(static_cast<size_t>(g)).second)
        continue;
      if (groups_[g]->becomesFusion())
        fusible.push_back(groups_[g].get());
    }
    for (Group *g : fusible)
      made += materialize(*g);
    if (made)
      sortTopologically();
    return made;
  }

private:
  /// Position of `v`'s defining op in this block, or -1.
  long producer(const Value *v) const {
    auto it = v->definingOp() ? position_.find(v->definingOp()) : position_.end();
    return it == position_.end() ? -1 : static_cast<long>(it->second);
  }

  void computeAncestors() {
    for (size_t i = 0; i < ops_.size(); ++i) {
      ancestors_.emplace_back(ops_.size());
      for (const Value *v : ops_[i]->operands()) {
        long d = producer(v);
        if (d < 0)
          continue;
        ancestors_[i].unite(ancestors_[d]);
        ancestors_[i].set(static_cast<size_t>(d));
      }
    }
  }

  /// Whether members + ancestors form a convex set with a valid leading
  /// product: no outside op between two members, no member feeding it.
  bool isConvex(const BitSet &members, const BitSet &ancestors, int product) const {
    if (product >= 0 && ancestors_[product].intersects(members))
      return false;
    return ancestors.forEachNotIn(members, [&](size_t x) {
      return !ancestors_[x].intersects(members);
    });
  }

  /// Adds `add` (a group, or a lone product when `lone` >= 0) to `into` if
  /// the result stays convex. Elementwise ops come first: when both groups
  /// lead with a product, the later product leaves (a kernel call of its
  /// own again; dropping a leading op keeps a set convex).
  bool tryMerge(Group &into, Group *add, long lone) {
    BitSet members = into.memberBits, ancestors = into.ancestorBits;
    int product = into.product;
    int dropped = -1;
    if (add) {
      members.unite(add->memberBits);
      if (add->product >= 0 && product >= 0) {
        dropped = std::max(product, add->product);
        product = std::min(product, add->product);
        members = BitSet(ops_.size());
        for (const Group *g : {&into, add})
          for (size_t m : g->members)
            if (static_cast<int>(m) != dropped)
              members.set(m);
        ancestors = BitSet(ops_.size());
        for (const Group *g : {&into, add})
          for (size_t m : g->members)
            if (static_cast<int>(m) != dropped)
              ancestors.unite(ancestors_[m]);
      } else {
        ancestors.unite(add->ancestorBits);
        product = std::max(product, add->product);
      }
    } else {
      if (product >= 0)
        return false;
      members.set(static_cast<size_t>(lone));
      ancestors.unite(ancestors_[lone]);
      product = static_cast<int>(lone);
    }
    if (!isConvex(members, ancestors, product))
      return false;
    into.memberBits = members;
    into.ancestorBits = ancestors;
    into.product = product;
    int id = groupOf_[into.members.front()];
    std::vector<size_t> moved =
        add ? add->members : std::vector<size_t>{static_cast<size_t>(lone)};
    for (size_t m : moved) {
      groupOf_[m] = id;
      into.members.push_back(m);
    }
    if (add) {
      into.hasDropout = into.hasDropout || add->hasDropout;
      add->members.clear();
    }
    if (dropped >= 0) {
      groupOf_[dropped] = -1;
      into.members.erase(
          std::find(into.members.begin(), into.members.end(), static_cast<size_t>(dropped)));
    }
    return true;
  }

  void formGroups() {
    groupOf_.assign(ops_.size(), -1);
    for (size_t i = 0; i < ops_.size(); ++i) {
      const Operation &op = *ops_[i];
      if (!isFusibleElementwise(op))
        continue;
      auto group = std::make_unique<Group>();
      group->members = {i};
      group->memberBits = BitSet(ops_.size());
      group->memberBits.set(i);
      group->ancestorBits = ancestors_[i];
      group->hasDropout = op.kind() == OpKind::Dropout;
      groupOf_[i] = static_cast<int>(groups_.size());
      groups_.push_back(std::move(group));
      Group &mine = *groups_.back();
      const std::vector<int64_t> shape = op.result()->type().shape();
      for (const Value *v : op.operands()) {
        long d = producer(v);
        if (d < 0 || v->type().shape() != shape)
          continue;
        int g = groupOf_[d];
        if (g >= 0 && groups_[g].get() != &mine)
          tryMerge(mine, groups_[g].get(), -1);
        else if (g < 0 && isFusibleProduct(*ops_[d]))
          tryMerge(mine, nullptr, d);
      }
    }
  }

  /// Step 3: the node of op i in the graph of groups and single ops.
  size_t nodeOf(size_t i) const {
    int g = groupOf_[i];
    bool grouped = g >= 0 && groups_[g]->becomesFusion();
    return grouped ? ops_.size() + static_cast<size_t>(g) : i;
  }

  /// Finds the nodes on or between cycles (Kahn's algorithm from both ends
  /// leaves exactly those) and dissolves the latest-starting group among
  /// them. False when the graph of groups is acyclic.
  bool dissolveGroupOnCycle() {
    size_t nodes = ops_.size() + groups_.size();
    std::vector<std::set<size_t>> succ(nodes), pred(nodes);
    std::vector<bool> present(nodes, false);
    for (size_t i = 0; i < ops_.size(); ++i) {
      size_t to = nodeOf(i);
      present[to] = true;
      for (const Value *v : ops_[i]->operands()) {
        long d = producer(v);
        size_t from = d < 0 ? to : nodeOf(static_cast<size_t>(d));
        if (from != to) {
          succ[from].insert(to);
          pred[to].insert(from);
        }
      }
    }
    auto peel = [&](std::vector<std::set<size_t>> &in, std::vector<std::set<size_t>> &out) {
      std::vector<size_t> count(nodes), ready;
      for (size_t n = 0; n < nodes; ++n) {
        if (!present[n])
          continue;
        count[n] = std::count_if(in[n].begin(), in[n].end(),
                                 [&](size_t m) { return present[m]; });
        if (count[n] == 0)
          ready.push_back(n);
      }
      while (!ready.empty()) {
        size_t n = ready.back();
        ready.pop_back();
        present[n] = false;
        for (size_t m : out[n])
          if (present[m] && --count[m] == 0)
            ready.push_back(m);
      }
    };
    peel(pred, succ); // drop what no cycle precedes
    peel(succ, pred); // and what precedes no cycle
    int latest = -1;
    size_t latestStart = 0;
    for (size_t g = 0; g < groups_.size(); ++g) {
      // A one-op group (a dropout kept as its own kernel) is no cycle's
      // cause, and dissolving it would only make it again: never ending.
      if (!present[ops_.size() + g] || groups_[g]->members.size() < 2)
        continue;
      size_t start = *std::min_element(groups_[g]->members.begin(), groups_[g]->members.end());
      if (latest < 0 || start > latestStart) {
        latest = static_cast<int>(g);
        latestStart = start;
      }
    }
    if (latest < 0)
      return false;
    std::vector<size_t> members = std::move(groups_[latest]->members);
    groups_[latest]->members.clear();
    for (size_t m : members) {
      groupOf_[m] = -1;
      if (ops_[m]->kind() != OpKind::Dropout)
        continue;
      auto alone = std::make_unique<Group>(); // a dropout stays a kernel
      alone->members = {m};
      alone->hasDropout = true;
      groupOf_[m] = static_cast<int>(groups_.size());
      groups_.push_back(std::move(alone));
    }
    return true;
  }

  /// Replaces the group's ops by one fusion op (step 4); 0 if it has no
  /// result used outside (dead code is DCE's business).
  unsigned materialize(Group &group) {
    std::vector<size_t> members = group.members;
    std::sort(members.begin(), members.end());
    std::set<const Operation *> inGroup;
    for (size_t m : members)
      inGroup.insert(ops_[m]);
    // Outside values read, and member values used outside, in order.
    std::vector<Value *> inputs, outputs;
    std::set<const Value *> seenInput;
    std::vector<Operation *> constants;
    for (size_t m : members)
      for (Value *v : ops_[m]->operands()) {
        const Operation *def = v->definingOp();
        if (def && inGroup.count(def))
          continue;
        // Constants feeding elementwise members are copied in; the leading
        // product reads only body arguments.
        bool isProduct = static_cast<int>(m) == group.product;
        if (!isProduct && def && def->kind() == OpKind::Constant && def->numResults() == 1 &&
            def->result()->type().elementType() == ElementType::F32) {
          if (std::find(constants.begin(), constants.end(), def) == constants.end())
            constants.push_back(const_cast<Operation *>(def));
          continue;
        }
        if (seenInput.insert(v).second)
          inputs.push_back(v);
      }
    for (size_t m : members)
      for (Value *r : ops_[m]->results())
        for (const Operation *user : r->users())
          if (!inGroup.count(user)) {
            outputs.push_back(r);
            break;
          }
    if (outputs.empty())
      return 0;

    auto body = std::make_unique<Block>();
    ValueMap map;
    for (Value *v : inputs)
      map[v] = body->addArgument(v->type(), v->name());
    Builder inBody(*body);
    if (group.product >= 0)
      inBody.clone(*ops_[group.product], map);
    for (Operation *c : constants)
      inBody.clone(*c, map);
    for (size_t m : members)
      if (static_cast<int>(m) != group.product)
        inBody.clone(*ops_[m], map);
    std::vector<Value *> yields;
    for (Value *v : outputs)
      yields.push_back(map.at(v));
    inBody.yield(yields);

    Builder after = Builder::after(ops_[members.back()]);
    after.setLoc(ops_[members.back()]->loc);
    Operation *made = after.fusion(inputs, std::move(body));
    for (size_t i = 0; i < outputs.size(); ++i) {
      made->result(i)->setName(outputs[i]->name());
      outputs[i]->replaceAllUsesWith(made->result(i));
    }
    for (auto it = members.rbegin(); it != members.rend(); ++it)
      block_.erase(ops_[*it]);
    for (Operation *c : constants)
      if (!c->result()->hasUses())
        block_.erase(c);
    return 1;
  }

  /// Step 5: Kahn's algorithm, earliest current position first.
  void sortTopologically() {
    std::vector<Operation *> ops;
    std::unordered_map<const Operation *, size_t> index;
    for (const auto &op : block_.operations())
      if (!isTerminator(op->kind())) {
        index[op.get()] = ops.size();
        ops.push_back(op.get());
      }
    std::vector<unsigned> waiting(ops.size(), 0);
    std::vector<std::vector<size_t>> readers(ops.size());
    bool sorted = true;
    for (size_t i = 0; i < ops.size(); ++i)
      for (const Value *v : ops[i]->operands()) {
        auto it = v->definingOp() ? index.find(v->definingOp()) : index.end();
        if (it == index.end())
          continue;
        ++waiting[i];
        readers[it->second].push_back(i);
        sorted = sorted && it->second < i;
      }
    if (sorted)
      return;
    std::priority_queue<size_t, std::vector<size_t>, std::greater<size_t>> ready;
    for (size_t i = 0; i < ops.size(); ++i)
      if (!waiting[i])
        ready.push(i);
    std::vector<std::unique_ptr<Operation>> order;
    while (!ready.empty()) {
      size_t i = ready.top();
      ready.pop();
      order.push_back(block_.take(ops[i]));
      for (size_t r : readers[i])
        if (--waiting[r] == 0)
          ready.push(r);
    }
    // Convex groups keep the graph acyclic, so every op was taken.
    for (size_t i = 0; i < order.size(); ++i)
      block_.insert(i, std::move(order[i]));
  }

  Block &block_;
  std::vector<Operation *> ops_;
  std::unordered_map<const Operation *, size_t> position_;
  std::vector<BitSet> ancestors_;
  std::vector<int> groupOf_;
  std::vector<std::unique_ptr<Group>> groups_;
};

class FuseElementwisePass : public Pass {
public:
  const char *name() const override { return "fuse-elementwise"; }
  Expected<void> run(Module &module, DiagnosticEngine &) override {
    for (Block *block : allBlocks(module)) {
      const Operation *owner = block->parentOp();
      if (owner && owner->kind() == OpKind::Fusion)
        continue; // already one kernel
      BlockFuser(*block).run();
    }
    return {};
  }
};

} // namespace

std::unique_ptr<Pass> createFuseElementwisePass() {
  return std::make_unique<FuseElementwisePass>();
}

} // namespace rnnc::passes
