//===- LoweringPlanPrinter.cpp - The lowering plan as text ----------------===//
///
/// \file
/// printLoweringPlan: stable, FileCheck-friendly text of a LoweringPlan,
/// values named as ir/Printer.h names them. One header line, then every op
/// in text order (scan bodies indented under their scan; a fusion is one
/// kernel, its body is not listed) with its decisions after its head, each
/// scan's per-output kinds, staging slots and packed operands on lines of
/// their own, one line per returned value, and one line per arena buffer
/// (an op's line is one line; two here for width):
///
///   plan @train_step arena 11534336 bytes (unshared 16995328, peak live ..., 42 buffers)
///     %0 = gather(%W_xh, %x)               buffer 0; calls rnnc_gather
///     %h.1, %hs = scan(%h, %0, %W_hh)      scan#0, 35 steps
///       scan#0 carried 0: %h.2 -> %h.1 in buffer 3
///       scan#0 output 0 %hs: computed-in-row (%6), buffer 4
///       scan#0 packs %W_hh [256x256] into buffer 7
///       %6 = tanh(%5)                      row of scan#0 output 0; loop of 8192
///       %i, %f = fusion(%1, %2)            2 results; loop 32 rows x 256, work 16384,
///                                          1 chunk; calls rnnc_parallel_for
///         result %i: row of scan#0 output 1 (computed in row)
///         result %f: buffer 9; also into %g from column 256
///       %g = concat(%e, %f)                buffer 10; parts 1 stored by their
///                                          fusion; calls rnnc_copy_columns
///     %y = fusion(%h, %W_hq, %b_q)         buffer 8; product plus row bias %b_q;
///                                          calls rnnc_matmul_bias
///     return 0 %loss: in the caller's buffer
///     buffer 7: offset 0, 262144 bytes, live 12..40, packed panels
///
/// Tests: test/lit/plan/*.test.
///
//===----------------------------------------------------------------------===//
#include "ir/Printer.h"
#include "runtime/plan/LoweringPlan.h"

#include <algorithm>
#include <map>
#include <ostream>
#include <sstream>
#include <vector>

namespace rnnc::runtime {

using ir::OpKind;

namespace {

constexpr size_t kDecisionColumn = 44;

const char *kindText(ScanOutputKind kind) {
  switch (kind) {
  case ScanOutputKind::ComputedInRow:
    return "computed-in-row";
  case ScanOutputKind::CopiedToRow:
    return "copied-to-row";
  case ScanOutputKind::SummedByProducer:
    return "summed-by-producer";
  case ScanOutputKind::SummedAfterStep:
    return "summed-after-step";
  }
  return "?";
}

const char *roleText(BufferRole role) {
  switch (role) {
  case BufferRole::Value:
    return "value";
  case BufferRole::CarriedSlot:
    return "carried slot";
  case BufferRole::StackedOutput:
    return "stacked output";
  case BufferRole::TimeSum:
    return "time sum";
  case BufferRole::YieldStaging:
    return "yield staging";
  case BufferRole::Packed:
    return "packed panels";
  }
  return "?";
}

class PlanPrinter {
public:
  PlanPrinter(const ir::Function &fn, const LoweringPlan &plan, std::ostream &os)
      : fn_(fn), plan_(plan), os_(os), names_(ir::printedValueNames(fn)) {}

  void run();

private:
  std::string name(const ir::Value *v) const {
    auto it = names_.find(v);
    return it == names_.end() ? "%?" : it->second;
  }
  std::string names(const std::vector<ir::Value *> &values) const {
    std::string s;
    for (const ir::Value *v : values)
      s += (s.empty() ? "" : ", ") + name(v);
    return s;
  }
  std::string scanName(const ir::Operation *scan) const {
    auto it = scanNumber_.find(scan);
    return "scan#" + (it == scanNumber_.end() ? std::string("?")
                                               : std::to_string(it->second));
  }
  std::string storage(const ir::Value *v) const;
  std::string decisions(const ir::Operation &op) const;
  std::string fusionText(const ir::Operation &fusion, const FusionPlan &fp) const;
  std::string alsoStored(const ir::Operation &op, const ir::Value *r) const;
  void line(unsigned depth, const std::string &text) {
    os_ << std::string(2 * depth, ' ') << text << '\n';
  }
  void opLine(unsigned depth, const ir::Operation &op);
  void scanLines(unsigned depth, const ir::Operation &scan);

  const ir::Function &fn_;
  const LoweringPlan &plan_;
  std::ostream &os_;
  std::map<const ir::Value *, std::string> names_;
  std::map<const ir::Operation *, unsigned> scanNumber_;
};

std::string PlanPrinter::storage(const ir::Value *v) const {
  const ValueStorage &s = plan_.storageOf(v);
  switch (s.kind) {
  case ValueStorage::Kind::Arena:
    return "buffer " + std::to_string(s.buffer);
  case ValueStorage::Kind::CallerResult:
    return "caller's result " + std::to_string(s.resultIndex);
  case ValueStorage::Kind::StackedRow:
    return "row of " + scanName(s.scan) + " output " + std::to_string(s.output) +
           " (computed in row)";
  case ValueStorage::Kind::None:
    break;
  }
  return "no storage";
}

std::string loopText(const LoopNest &nest) {
  if (nest.flat())
    return "loop of " + std::to_string(nest.rows);
  return "loop " + std::to_string(nest.rows) + " rows x " + std::to_string(nest.inner);
}

/// "; product plus row bias %b" or "; product in result 0; reads %v
/// rows 1024 apart; loop 32 rows x 256, work 81920, 4 chunks" (a product
/// no result yields is computed in result 0's buffer, "overwritten" by the
/// loop).
std::string PlanPrinter::fusionText(const ir::Operation &fusion,
                                    const FusionPlan &fp) const {
  if (fp.rowBias)
    return "; product plus row bias " + name(fp.rowBias);
  std::string text;
  const auto &body = fusion.body().operations();
  if (fp.productHome >= 0)
    text += "; product in result " + std::to_string(fp.productHome);
  else if (!body.empty() && ir::isMatrixProduct(body.front()->kind()))
    text += "; product in result 0, overwritten";
  for (size_t i = 0; i < fp.rowStride.size() && i < fusion.numOperands(); ++i)
    if (fp.rowStride[i])
      text += "; reads " + name(fusion.operand(static_cast<unsigned>(i))) + " rows " +
              std::to_string(fp.rowStride[i]) + " apart";
  if (fp.dropoutMasks)
    text += "; " + std::to_string(fp.dropoutMasks) + " dropout mask" +
            (fp.dropoutMasks == 1 ? "" : "s") + " drawn in the loop (philox), not stored";
  return text + "; " + loopText(plan_.op(&fusion).loop) + ", work " +
         std::to_string(fp.work) + ", " + std::to_string(fp.chunks) +
         (fp.chunks == 1 ? " chunk" : " chunks");
}

std::string PlanPrinter::decisions(const ir::Operation &op) const {
  const OpPlan &d = plan_.op(&op);
  switch (d.how) {
  case OpLowering::SliceView:
    return "view of " + name(op.operand(0)) + " from column " +
           std::to_string(op.intAttr("begin"));
  case OpLowering::AbsorbedReduce:
    return "time sum in its scan, " + storage(op.result());
  case OpLowering::Stored:
    break;
  }
  std::string text;
  if (op.kind() == OpKind::Scan) {
    text = scanName(&op) + ", " + std::to_string(scanLength(op)) + " steps";
  } else if (d.accumulatesInto) {
    text = "adds into time sum " + name(d.accumulatesInto);
  } else if (op.numResults() == 1) {
    text = storage(op.result()) + alsoStored(op, op.result());
  } else {
    text = std::to_string(op.numResults()) + " results"; // one line each, below
  }
  if (op.kind() == OpKind::Dropout)
    text += "; mask drawn in the loop (philox), not stored";
  if (ir::isElementwise(op.kind()) || op.kind() == OpKind::Dropout)
    text += "; " + loopText(d.loop);
  if (const FusionPlan *fp = plan_.fusion(&op))
    text += fusionText(op, *fp);
  int packed = d.packedOperand;
  if (op.kind() == OpKind::Fusion && !op.regions().empty() &&
      !op.body().operations().empty()) // its leading product
    packed = plan_.op(op.body().operations().front().get()).packedOperand;
  if (packed >= 0)
    text += "; reads packed#" + std::to_string(packed);
  if (d.lossPartner)
    text += (op.kind() == OpKind::CrossEntropy ? "; computed with " : "; computes ") +
            name(d.lossPartner->result()) + " too (cross_entropy_with_grad)";
  if (op.kind() == OpKind::Fusion && !op.regions().empty() &&
      !op.body().operations().empty())
    if (const char *product = plan_.op(op.body().operations().front().get()).kernel)
      text += std::string("; product calls ") + product;
  if (std::count(d.partsStored.begin(), d.partsStored.end(), true)) {
    text += "; parts";
    for (size_t i = 0; i < d.partsStored.size(); ++i)
      if (d.partsStored[i])
        text += " " + std::to_string(i);
    text += " stored by their fusion";
  }
  if (d.kernel)
    text += std::string("; calls ") + d.kernel;
  return text;
}

void PlanPrinter::opLine(unsigned depth, const ir::Operation &op) {
  std::string head;
  if (op.numResults())
    head = names(op.results()) + " = ";
  head += std::string(op.name()) + "(" + names(op.operands()) + ")";
  if (op.kind() == OpKind::Constant)
    head += " {value = " + ir::formatReal(op.realAttr("value")) + "}";
  size_t width = 2 * depth + head.size();
  head += std::string(width + 2 > kDecisionColumn ? 2 : kDecisionColumn - width, ' ');
  line(depth, head + decisions(op));
  if (op.kind() != OpKind::Scan && op.numResults() > 1 &&
      plan_.how(&op) == OpLowering::Stored && !plan_.op(&op).accumulatesInto)
    for (const ir::Value *r : op.results())
      line(depth + 1, "result " + name(r) + ": " + storage(r) + alsoStored(op, r));
}

/// "; also into %97 from column 256" for a fusion result its loop stores
/// into a concat's columns too.
std::string PlanPrinter::alsoStored(const ir::Operation &op, const ir::Value *r) const {
  std::string text;
  if (const FusionPlan *fp = plan_.fusion(&op))
    for (const ColumnStore &cs : fp->columnStores)
      if (op.result(cs.result) == r)
        text += "; also into " + name(cs.concat->result()) + " from column " +
                std::to_string(cs.column);
  return text;
}

void PlanPrinter::scanLines(unsigned depth, const ir::Operation &scan) {
  const ScanPlan *sp = plan_.scan(&scan);
  if (!sp || scan.regions().empty())
    return;
  const ir::Block &body = scan.body();
  const ir::Operation *yield = body.terminator();
  std::string id = scanName(&scan);
  unsigned nc = scan.scanNumCarried();
  for (unsigned i = 0; i < nc && i < body.numArguments() && i < scan.numResults(); ++i)
    line(depth, id + " carried " + std::to_string(i) + ": " + name(body.argument(i)) +
                    " -> " + name(scan.result(i)) + " in " + storage(scan.result(i)));
  std::string summary;
  for (size_t k = 0; k < sp->outputs.size(); ++k)
    summary += (k ? ", " : " ") + std::to_string(k) + " " + kindText(sp->outputs[k]);
  line(depth, id + " outputs:" + (summary.empty() ? " none" : summary));
  for (size_t k = 0; k < sp->outputs.size(); ++k) {
    unsigned r = nc + static_cast<unsigned>(k);
    const ir::Value *y = yield && r < yield->numOperands() ? yield->operand(r) : nullptr;
    std::string text = id + " output " + std::to_string(k) + " " + name(scan.result(r)) +
                       ": " + kindText(sp->outputs[k]) + " from " + (y ? name(y) : "?");
    if (const ir::Operation *sum = sp->timeSums[k])
      text += ", into time sum " + name(sum->result());
    else
      text += ", " + storage(scan.result(r));
    line(depth, text);
  }
  for (const auto &[index, buffer] : sp->stagedYields)
    line(depth, id + " stages carried " + std::to_string(index) + " (from " +
                    name(yield->operand(index)) + ") in buffer " + std::to_string(buffer));
  for (size_t i = 0; i < plan_.packed.size(); ++i) {
    const PackedOperand &p = plan_.packed[i];
    if (p.scan != &scan)
      continue;
    line(depth, id + " packs " + name(p.source) + (p.transposed ? "^T" : "") + " [" +
                    std::to_string(p.k) + "x" + std::to_string(p.n) +
                    "] into buffer " + std::to_string(p.buffer) + " (packed#" +
                    std::to_string(i) + ")");
  }
}

void PlanPrinter::run() {
  // Scans numbered in text order.
  struct Frame {
    const ir::Block *block;
    size_t next;
  };
  std::vector<Frame> stack{{&fn_.body(), 0}};
  std::vector<const ir::Operation *> order;
  std::vector<unsigned> depthOf;
  while (!stack.empty()) {
    Frame &top = stack.back();
    if (top.next == top.block->operations().size()) {
      stack.pop_back();
      continue;
    }
    const ir::Operation &op = *top.block->operations()[top.next++];
    order.push_back(&op);
    depthOf.push_back(static_cast<unsigned>(stack.size()));
    if (op.kind() == OpKind::Scan && !op.regions().empty()) {
      scanNumber_.emplace(&op, static_cast<unsigned>(scanNumber_.size()));
      stack.push_back({&op.body(), 0});
    }
  }

  const BufferPlan &placed = plan_.placement;
  os_ << "plan @" << fn_.name() << " arena " << placed.arenaBytes << " bytes (unshared "
      << placed.unsharedBytes << ", peak live " << placed.peakLiveBytes << ", "
      << plan_.buffers.size() << " buffers)\n";
  for (size_t i = 0; i < order.size(); ++i) {
    const ir::Operation &op = *order[i];
    if (op.kind() == OpKind::Yield)
      continue;
    if (op.kind() == OpKind::Return) {
      for (unsigned r = 0; r < op.numOperands(); ++r) {
        const ir::Value *v = op.operand(r);
        bool inPlace = plan_.storageOf(v).kind == ValueStorage::Kind::CallerResult;
        line(depthOf[i], "return " + std::to_string(r) + " " + name(v) +
                             (inPlace ? ": in the caller's buffer"
                                      : ": copied to the caller's buffer"));
      }
      continue;
    }
    opLine(depthOf[i], op);
    if (op.kind() == OpKind::Scan)
      scanLines(depthOf[i] + 1, op);
  }
  for (size_t b = 0; b < plan_.buffers.size(); ++b) {
    std::ostringstream text;
    text << "buffer " << b << ": offset "
         << (b < placed.offsets.size() ? placed.offsets[b] : -1) << ", "
         << plan_.buffers[b].bytes << " bytes";
    if (b < placed.liveRanges.size())
      text << ", live " << placed.liveRanges[b].first << ".."
           << placed.liveRanges[b].second;
    text << ", " << (b < plan_.roles.size() ? roleText(plan_.roles[b]) : "?");
    for (const ir::Value *v : plan_.buffers[b].values)
      text << ' ' << name(v);
    line(1, text.str());
  }
}

} // namespace

void printLoweringPlan(const ir::Function &fn, const LoweringPlan &plan,
                       std::ostream &os) {
  PlanPrinter(fn, plan, os).run();
}

} // namespace rnnc::runtime
