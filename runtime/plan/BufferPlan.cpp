//===- BufferPlan.cpp - Arena offsets shared by values never live together ===//
///
/// \file
/// Algorithm (see BufferPlan.h for the liveness rules):
///   1. number program points with an explicit stack over nested blocks: an
///      op gets a begin point, its regions' ops follow, then its end point;
///   2. give each request an interval [first definition or the scan's
///      begin, last use or the scan's end], a use found through a worklist
///      that skips ops computed at their users and lifts nested uses to the
///      op enclosing them in the defining block;
///   3. place the requests largest first, each at the lowest 64-byte aligned
///      offset that no already placed, overlapping request occupies;
///   4. report the peak of the live bytes over all points (a sweep over the
///      interval ends), the bound the placement is measured against.
///
//===----------------------------------------------------------------------===//
#include "runtime/plan/BufferPlan.h"

#include <algorithm>
#include <numeric>
#include <unordered_map>
#include <unordered_set>

namespace rnnc::runtime {

namespace {

struct Span {
  int64_t begin = 0, end = 0;
};

int64_t alignedSize(int64_t bytes) {
  return (std::max<int64_t>(bytes, 0) + kBufferAlignment - 1) / kBufferAlignment *
         kBufferAlignment;
}

/// Begin and end points of every op of `fn`, nested blocks included.
std::unordered_map<const ir::Operation *, Span> numberProgramPoints(const ir::Function &fn) {
  std::unordered_map<const ir::Operation *, Span> spans;
  struct Frame {
    const ir::Block *block;
    size_t next;
    const ir::Operation *closes; ///< Op whose end point follows this block.
  };
  std::vector<Frame> stack{{&fn.body(), 0, nullptr}};
  int64_t point = 0;
  while (!stack.empty()) {
    Frame &top = stack.back();
    const auto &ops = top.block->operations();
    if (top.next == ops.size()) {
      if (top.closes)
        spans[top.closes].end = point++;
      stack.pop_back();
      continue;
    }
    const ir::Operation *op = ops[top.next++].get();
    Span &span = spans[op];
    span.begin = point++;
    const auto &regions = op->regions();
    if (regions.empty()) {
      span.end = span.begin;
      continue;
    }
    // Last region pushed first, so regions run in order and the last one
    // to finish closes the op.
    for (size_t r = regions.size(); r-- > 0;)
      stack.push_back({regions[r].get(), 0, r + 1 == regions.size() ? op : nullptr});
  }
  return spans;
}

class LiveIntervals {
public:
  LiveIntervals(const ir::Function &fn, const ComputedAtUsers &computedAtUsers)
      : computedAtUsers_(computedAtUsers), spans_(numberProgramPoints(fn)) {
    for (const auto &[op, s] : spans_)
      lastPoint_ = std::max(lastPoint_, s.end);
  }

  Span of(const BufferRequest &request) const {
    int64_t begin = INT64_MAX, end = INT64_MIN;
    for (const ir::Value *v : request.values) {
      int64_t def = definitionPoint(v);
      begin = std::min(begin, def);
      end = std::max({end, def, lastUsePoint(v)});
    }
    if (request.liveAcross) {
      Span s = span(request.liveAcross);
      begin = std::min(begin, s.begin);
      end = std::max(end, s.end);
    }
    if (begin > end) // no values and no scan: live nowhere in particular
      return {0, lastPoint()};
    return {begin, end};
  }

private:
  Span span(const ir::Operation *op) const {
    auto it = spans_.find(op);
    return it != spans_.end() ? it->second : Span{0, lastPoint()};
  }

  int64_t lastPoint() const { return lastPoint_; }

  int64_t definitionPoint(const ir::Value *v) const {
    if (const ir::Operation *def = v->definingOp())
      return span(def).begin;
    const ir::Block *owner = v->ownerBlock();
    const ir::Operation *parent = owner ? owner->parentOp() : nullptr;
    return parent ? span(parent).begin : 0;
  }

  static const ir::Block *definingBlock(const ir::Value *v) {
    return v->definingOp() ? v->definingOp()->parentBlock() : v->ownerBlock();
  }

  /// The last point at which `v` is read: each reader lifted to the op that
  /// encloses it in v's block; readers computed at their users forward to
  /// those users (a worklist: fused chains may be long).
  int64_t lastUsePoint(const ir::Value *v) const {
    const ir::Block *home = definingBlock(v);
    int64_t last = INT64_MIN;
    std::vector<const ir::Operation *> readers(v->users().begin(), v->users().end());
    std::unordered_set<const ir::Operation *> seen;
    while (!readers.empty()) {
      const ir::Operation *user = readers.back();
      readers.pop_back();
      if (!seen.insert(user).second)
        continue;
      if (computedAtUsers_ && computedAtUsers_(user)) {
        for (const ir::Value *r : user->results())
          readers.insert(readers.end(), r->users().begin(), r->users().end());
        continue;
      }
      const ir::Operation *enclosing = user;
      while (enclosing && enclosing->parentBlock() != home) {
        const ir::Block *block = enclosing->parentBlock();
        enclosing = block ? block->parentOp() : nullptr;
      }
      // A reader outside v's block cannot happen in verified IR; be safe.
      last = std::max(last, enclosing ? span(enclosing).end : lastPoint());
    }
    return last;
  }

  const ComputedAtUsers &computedAtUsers_;
  std::unordered_map<const ir::Operation *, Span> spans_;
  int64_t lastPoint_ = 0;
};

bool overlap(const Span &a, const Span &b) { return a.begin <= b.end && b.begin <= a.end; }

} // namespace

BufferPlan planBuffers(const ir::Function &fn,
                       const std::vector<BufferRequest> &requests,
                       const ComputedAtUsers &computedAtUsers) {
  BufferPlan plan;
  size_t n = requests.size();
  plan.offsets.assign(n, 0);
  LiveIntervals live(fn, computedAtUsers);
  std::vector<Span> spans(n);
  std::vector<int64_t> sizes(n);
  for (size_t i = 0; i < n; ++i) {
    spans[i] = live.of(requests[i]);
    sizes[i] = alignedSize(requests[i].bytes);
    plan.unsharedBytes += sizes[i];
    plan.liveRanges.push_back({spans[i].begin, spans[i].end});
  }
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (sizes[a] != sizes[b])
      return sizes[a] > sizes[b];
    return spans[a].begin < spans[b].begin;
  });
  std::vector<std::pair<int64_t, int64_t>> events; // (point, +size / -size)
  for (size_t i = 0; i < n; ++i) {
    events.push_back({spans[i].begin, sizes[i]});
    events.push_back({spans[i].end + 1, -sizes[i]});
  }
  std::sort(events.begin(), events.end()); // frees before allocations at a point
  int64_t liveBytes = 0;
  for (const auto &[point, delta] : events) {
    liveBytes += delta;
    plan.peakLiveBytes = std::max(plan.peakLiveBytes, liveBytes);
  }
  std::vector<size_t> placed;
  std::vector<std::pair<int64_t, int64_t>> busy; // [offset, offset + size)
  for (size_t r : order) {
    if (sizes[r] == 0)
      continue;
    busy.clear();
    for (size_t p : placed)
      if (overlap(spans[p], spans[r]))
        busy.push_back({plan.offsets[p], plan.offsets[p] + sizes[p]});
    std::sort(busy.begin(), busy.end());
    int64_t at = 0;
    for (const auto &[from, to] : busy) {
      if (at + sizes[r] <= from)
        break;
      at = std::max(at, to);
    }
    plan.offsets[r] = at;
    plan.arenaBytes = std::max(plan.arenaBytes, at + sizes[r]);
    placed.push_back(r);
  }
  return plan;
}

} // namespace rnnc::runtime
