//===- RewriteUtil.cpp - Shared helpers of the optimising passes ----------===//
///
/// \file
/// Block traversal, splat constants and scan rebuilding (see RewriteUtil.h).
/// rebuildScan checks the whole plan before touching the IR, so a refused
/// rebuild leaves the module as it was.
///
//===----------------------------------------------------------------------===//
#include "passes/RewriteUtil.h"

#include "ir/Builder.h"
#include "ir/ShapeInference.h"

#include <algorithm>
#include <cassert>
#include <memory>
#include <set>

namespace rnnc::passes {

using namespace ir;

std::vector<Block *> allBlocks(Module &module) {
  std::vector<Block *> blocks;
  for (const auto &fn : module.functions())
    blocks.push_back(&fn->body());
  for (size_t i = 0; i < blocks.size(); ++i) // grows as nested blocks appear
    for (const auto &op : blocks[i]->operations())
      for (const auto &region : op->regions())
        blocks.push_back(region.get());
  return blocks;
}

bool splatConstant(const Value *v, double &value) {
  const Operation *def = v->definingOp();
  if (!def || def->kind() != OpKind::Constant || !def->hasAttr("value"))
    return false;
  value = def->realAttr("value");
  return true;
}

Operation *rebuildScan(Operation *scan, const ScanRebuild &plan) {
  Block &oldBody = scan->body();
  Block *parent = scan->parentBlock();
  if (!parent)
    return nullptr;
  std::vector<Value *> operands = plan.carried;
  operands.insert(operands.end(), plan.sequences.begin(), plan.sequences.end());
  operands.insert(operands.end(), plan.invariants.begin(), plan.invariants.end());
  if (plan.argReplaces.size() != operands.size() ||
      plan.yields.size() < plan.carried.size())
    return nullptr;

  AttributeMap attrs = scan->attrs();
  attrs["carried"] = static_cast<int64_t>(plan.carried.size());
  attrs["sequences"] = static_cast<int64_t>(plan.sequences.size());
  std::vector<TensorType> operandTypes, yieldTypes;
  for (Value *v : operands)
    operandTypes.push_back(v->type());
  for (Value *v : plan.yields)
    yieldTypes.push_back(v->type());
  auto argTypes = scanBodyArgumentTypes(operandTypes, attrs);
  auto resultTypes = inferScanResultTypes(operandTypes, attrs, yieldTypes);
  if (!argTypes || !resultTypes || resultTypes->size() != plan.resultReplaces.size())
    return nullptr;

  // Every used old argument and result must be taken over.
  std::set<const Value *> replacedArgs(plan.argReplaces.begin(), plan.argReplaces.end());
  for (const auto &arg : oldBody.arguments())
    if (arg->hasUses() && !replacedArgs.count(arg.get()))
      return nullptr;
  std::set<const Value *> replacedResults(plan.resultReplaces.begin(),
                                          plan.resultReplaces.end());
  for (Value *r : scan->results())
    if (r->hasUses() && !replacedResults.count(r))
      return nullptr;
  for (size_t i = 0; i < operands.size(); ++i)
    if (plan.argReplaces[i] && plan.argReplaces[i]->type() != (*argTypes)[i])
      return nullptr;
  for (size_t i = 0; i < resultTypes->size(); ++i)
    if (plan.resultReplaces[i] && plan.resultReplaces[i]->type() != (*resultTypes)[i])
      return nullptr;

  auto body = std::make_unique<Block>();
  std::vector<Value *> yields = plan.yields;
  for (size_t i = 0; i < argTypes->size(); ++i) {
    std::string name = plan.argReplaces[i] ? plan.argReplaces[i]->name() : "";
    Value *arg = body->addArgument((*argTypes)[i], name);
    if (!plan.argReplaces[i])
      continue;
    plan.argReplaces[i]->replaceAllUsesWith(arg);
    std::replace(yields.begin(), yields.end(), plan.argReplaces[i], arg);
  }
  while (!oldBody.operations().empty())
    body->append(oldBody.take(oldBody.operations().front().get()));
  body->terminator()->setOperands(yields);

  Builder builder = Builder::before(scan);
  builder.setLoc(scan->loc);
  Operation *made = builder.scan(operands, attrs, std::move(body));
  assert(made && "the plan was type-checked above");
  for (size_t i = 0; i < plan.resultReplaces.size(); ++i) {
    // Named after the yields the plan gave, not the arguments replacing them.
    made->result(i)->setDimNames((*resultTypes)[i]);
    if (plan.resultReplaces[i]) {
      made->result(i)->setName(plan.resultReplaces[i]->name());
      plan.resultReplaces[i]->replaceAllUsesWith(made->result(i));
    }
  }
  parent->erase(scan);
  return made;
}

} // namespace rnnc::passes
