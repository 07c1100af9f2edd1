//===- Builder.cpp - Making IR ops with inferred result types -------------===//
///
/// \file
/// Every op a Builder makes is typed by ir/ShapeInference.cpp before it
/// enters the block, so a refused op leaves the block as it was.
///
//===----------------------------------------------------------------------===//
#include "ir/Builder.h"

#include "ir/ShapeInference.h"

#include <algorithm>

namespace rnnc::ir {

namespace {

bool anyNull(const std::vector<Value *> &values) {
  return std::find(values.begin(), values.end(), nullptr) != values.end();
}

std::vector<TensorType> typesOf(const std::vector<Value *> &values) {
  std::vector<TensorType> types;
  for (const Value *v : values)
    types.push_back(v->type());
  return types;
}

} // namespace

Value *lookup(const ValueMap &map, const Value *v) {
  auto it = map.find(v);
  return it == map.end() ? nullptr : it->second;
}

Builder Builder::before(Operation *op) {
  Block &block = *op->parentBlock();
  return Builder(block, block.indexOf(op));
}

Builder Builder::after(Operation *op) {
  Block &block = *op->parentBlock();
  return Builder(block, block.indexOf(op) + 1);
}

Operation *Builder::insert(std::unique_ptr<Operation> op) {
  op->loc = loc_;
  if (!pos_)
    return block_->append(std::move(op));
  return block_->insert((*pos_)++, std::move(op));
}

std::nullptr_t Builder::fail(const std::string &message) {
  if (error_.empty())
    error_ = message;
  return nullptr;
}

Value *Builder::create(OpKind kind, std::vector<Value *> operands, AttributeMap attrs) {
  if (anyNull(operands))
    return nullptr;
  auto types = inferResultTypes(kind, typesOf(operands), attrs);
  if (!types)
    return fail(types.error().message());
  if (types->size() != 1)
    return fail(std::string(opKindName(kind)) + ": not a single-result op");
  return insert(std::make_unique<Operation>(kind, std::move(operands), std::move(*types),
                                            std::move(attrs)))
      ->result();
}

Value *Builder::constant(const TensorType &type, Attribute value) {
  return insert(std::make_unique<Operation>(OpKind::Constant, std::vector<Value *>{},
                                            std::vector<TensorType>{type},
                                            AttributeMap{{"value", std::move(value)}}))
      ->result();
}

Operation *Builder::scan(std::vector<Value *> operands, AttributeMap attrs,
                         std::unique_ptr<Block> body) {
  if (anyNull(operands))
    return nullptr;
  const Operation *yield = body->terminator();
  if (!yield || yield->kind() != OpKind::Yield)
    return fail("scan: body must end with 'yield'");
  auto types = inferScanResultTypes(typesOf(operands), attrs, typesOf(yield->operands()));
  if (!types)
    return fail(types.error().message());
  Operation *op = insert(std::make_unique<Operation>(OpKind::Scan, std::move(operands),
                                                     std::move(*types), std::move(attrs)));
  op->addRegion(std::move(body));
  return op;
}

Operation *Builder::fusion(std::vector<Value *> inputs, std::unique_ptr<Block> body) {
  if (anyNull(inputs))
    return nullptr;
  const Operation *yield = body->terminator();
  if (!yield || yield->kind() != OpKind::Yield || yield->numOperands() == 0)
    return fail("fusion: body must end with a 'yield' of at least one value");
  Operation *op = insert(std::make_unique<Operation>(OpKind::Fusion, std::move(inputs),
                                                     typesOf(yield->operands())));
  op->addRegion(std::move(body));
  return op;
}

Operation *Builder::yield(std::vector<Value *> values) {
  if (anyNull(values))
    return nullptr;
  return insert(std::make_unique<Operation>(OpKind::Yield, std::move(values),
                                            std::vector<TensorType>{}));
}

Operation *Builder::returnValues(std::vector<Value *> values) {
  if (anyNull(values))
    return nullptr;
  return insert(std::make_unique<Operation>(OpKind::Return, std::move(values),
                                            std::vector<TensorType>{}));
}

Operation *Builder::clone(const Operation &op, ValueMap &map) {
  std::vector<Value *> operands;
  for (const Value *v : op.operands())
    operands.push_back(lookup(map, v));
  if (anyNull(operands))
    return nullptr;
  std::vector<TensorType> types;
  for (const Value *r : op.results())
    types.push_back(r->type());
  Operation *copy =
      insert(std::make_unique<Operation>(op.kind(), std::move(operands), types, op.attrs()));
  copy->loc = op.loc;
  for (unsigned i = 0; i < op.numResults(); ++i) {
    copy->result(i)->setName(op.result(i)->name());
    map[op.result(i)] = copy->result(i);
  }
  for (const auto &region : op.regions()) {
    Block *to = copy->addRegion();
    for (const auto &arg : region->arguments())
      map[arg.get()] = to->addArgument(arg->type(), arg->name());
    Builder(*to).cloneOps(*region, map);
  }
  return copy;
}

void Builder::cloneOps(const Block &src, ValueMap &map, bool stopBeforeTerminator) {
  for (const auto &op : src.operations()) {
    if (stopBeforeTerminator && op.get() == src.terminator())
      break;
    clone(*op, map);
  }
}

} // namespace rnnc::ir
