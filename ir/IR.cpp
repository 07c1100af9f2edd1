//===- IR.cpp - The rnnc tensor-graph IR ----------------------------------===//
#include "ir/IR.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <sstream>

namespace rnnc::ir {

namespace {
struct OpInfo {
  const char *name;
  int operands, results;
  unsigned traits;
  const char *attributes; ///< space-separated
};
const OpInfo kOpInfo[] = {
#define RNNC_OP(Enum, Name, NumOperands, NumResults, Traits, Attributes)       \
  {Name, NumOperands, NumResults, Traits, Attributes},
#include "ir/Ops.def"
};
const OpInfo &info(OpKind kind) { return kOpInfo[static_cast<size_t>(kind)]; }

std::vector<std::string> splitWords(const char *text) {
  std::vector<std::string> words;
  std::istringstream in(text);
  for (std::string w; in >> w;)
    words.push_back(w);
  return words;
}
} // namespace

const char *opKindName(OpKind kind) { return info(kind).name; }
int opKindNumOperands(OpKind kind) { return info(kind).operands; }
int opKindNumResults(OpKind kind) { return info(kind).results; }
bool hasTrait(OpKind kind, OpTrait trait) { return (info(kind).traits & trait) != 0; }

const std::vector<std::string> &opKindAttributeNames(OpKind kind) {
  static const auto names = [] {
    std::vector<std::vector<std::string>> all;
    for (const OpInfo &op : kOpInfo)
      all.push_back(splitWords(op.attributes));
    return all;
  }();
  return names[static_cast<size_t>(kind)];
}

bool opKindFromName(const std::string &name, OpKind &kind) {
  for (size_t i = 0; i < std::size(kOpInfo); ++i)
    if (name == kOpInfo[i].name) {
      kind = static_cast<OpKind>(i);
      return true;
    }
  return false;
}

const char *argRoleName(ArgRole r) {
  switch (r) {
  case ArgRole::Param:
    return "param";
  case ArgRole::State:
    return "state";
  case ArgRole::Input:
    return "input";
  case ArgRole::Label:
    return "label";
  case ArgRole::Key:
    return "key";
  }
  return "input";
}

bool argRoleFromName(const std::string &s, ArgRole &r) {
  for (ArgRole c : {ArgRole::Param, ArgRole::State, ArgRole::Input, ArgRole::Label,
                    ArgRole::Key})
    if (s == argRoleName(c)) {
      r = c;
      return true;
    }
  return false;
}

//===----------------------------------------------------------------------===//
// Value
//===----------------------------------------------------------------------===//

void Value::setDimNames(const TensorType &like) {
  assert(like == type_ && "names only: the sizes must agree");
  type_ = like;
}

void Value::replaceAllUsesWith(Value *other) {
  if (other == this)
    return;
  // Copy: setOperand edits users_.
  std::vector<Operation *> users = users_;
  for (Operation *user : users)
    for (unsigned i = 0; i < user->numOperands(); ++i)
      if (user->operand(i) == this)
        user->setOperand(i, other);
}

//===----------------------------------------------------------------------===//
// Operation
//===----------------------------------------------------------------------===//

Operation::Operation(OpKind kind, std::vector<Value *> operands,
                     std::vector<TensorType> resultTypes, AttributeMap attrs)
    : kind_(kind), operands_(std::move(operands)), attrs_(std::move(attrs)) {
  for (Value *v : operands_)
    v->users_.push_back(this);
  for (unsigned i = 0; i < resultTypes.size(); ++i)
    results_.emplace_back(new Value(std::move(resultTypes[i]), this, nullptr, i));
}

Operation::~Operation() { dropOperandUses(); }

void Operation::dropOperandUses() {
  for (Value *v : operands_) {
    auto &u = v->users_;
    auto it = std::find(u.begin(), u.end(), this);
    if (it != u.end())
      u.erase(it);
  }
  operands_.clear();
}

void Operation::setOperand(unsigned i, Value *v) {
  Value *old = operands_[i];
  auto it = std::find(old->users_.begin(), old->users_.end(), this);
  assert(it != old->users_.end() && "use list out of sync");
  old->users_.erase(it);
  operands_[i] = v;
  v->users_.push_back(this);
}

void Operation::setOperands(std::vector<Value *> operands) {
  dropOperandUses();
  operands_ = std::move(operands);
  for (Value *v : operands_)
    v->users_.push_back(this);
}

std::vector<Value *> Operation::results() const {
  std::vector<Value *> r;
  for (auto &v : results_)
    r.push_back(v.get());
  return r;
}

int64_t Operation::intAttr(const std::string &k, int64_t dflt) const {
  auto it = attrs_.find(k);
  if (it == attrs_.end())
    return dflt;
  if (auto *i = std::get_if<int64_t>(&it->second))
    return *i;
  if (auto *d = std::get_if<double>(&it->second))
    return static_cast<int64_t>(*d);
  return dflt;
}

double Operation::realAttr(const std::string &k, double dflt) const {
  auto it = attrs_.find(k);
  if (it == attrs_.end())
    return dflt;
  if (auto *d = std::get_if<double>(&it->second))
    return *d;
  if (auto *i = std::get_if<int64_t>(&it->second))
    return static_cast<double>(*i);
  return dflt;
}

std::vector<int64_t> Operation::intListAttr(const std::string &k) const {
  auto it = attrs_.find(k);
  if (it == attrs_.end())
    return {};
  if (auto *l = std::get_if<std::vector<int64_t>>(&it->second))
    return *l;
  return {};
}

Block *Operation::addRegion() { return addRegion(std::make_unique<Block>()); }

Block *Operation::addRegion(std::unique_ptr<Block> body) {
  assert(!body->parentOp_ && "the block already belongs to an op");
  body->parentOp_ = this;
  regions_.push_back(std::move(body));
  return regions_.back().get();
}

//===----------------------------------------------------------------------===//
// Block
//===----------------------------------------------------------------------===//

Block::~Block() {
  // Destroy users before the values they use: reverse program order.
  while (!ops_.empty())
    ops_.pop_back();
}

Value *Block::addArgument(TensorType type, std::string name) {
  args_.emplace_back(new Value(std::move(type), nullptr, this, args_.size()));
  args_.back()->setName(std::move(name));
  return args_.back().get();
}

Operation *Block::append(std::unique_ptr<Operation> op) {
  return insert(ops_.size(), std::move(op));
}

Operation *Block::insert(size_t pos, std::unique_ptr<Operation> op) {
  op->parent_ = this;
  Operation *raw = op.get();
  ops_.insert(ops_.begin() + static_cast<std::ptrdiff_t>(pos), std::move(op));
  return raw;
}

Operation *Block::create(OpKind kind, std::vector<Value *> operands,
                         std::vector<TensorType> resultTypes,
                         AttributeMap attrs) {
  return append(std::make_unique<Operation>(kind, std::move(operands),
                                            std::move(resultTypes),
                                            std::move(attrs)));
}

size_t Block::indexOf(const Operation *op) const {
  for (size_t i = 0; i < ops_.size(); ++i)
    if (ops_[i].get() == op)
      return i;
  return ops_.size();
}

std::unique_ptr<Operation> Block::take(Operation *op) {
  size_t i = indexOf(op);
  assert(i < ops_.size() && "op not in block");
  std::unique_ptr<Operation> owned = std::move(ops_[i]);
  ops_.erase(ops_.begin() + static_cast<std::ptrdiff_t>(i));
  owned->parent_ = nullptr;
  return owned;
}

void Block::erase(Operation *op) {
  for (Value *r : op->results()) {
    (void)r;
    assert(!r->hasUses() && "erasing an op whose results are used");
  }
  take(op).reset();
}

//===----------------------------------------------------------------------===//
// Function and Module
//===----------------------------------------------------------------------===//

Value *Function::addArgument(ArgRole role, const std::string &name,
                             TensorType type) {
  roles_.push_back(role);
  return body_.addArgument(std::move(type), name);
}

Value *Function::argumentNamed(const std::string &name) const {
  for (auto &a : body_.arguments())
    if (a->name() == name)
      return a.get();
  return nullptr;
}

Function *Module::addFunction(std::string fname) {
  functions_.push_back(std::make_unique<Function>(std::move(fname)));
  return functions_.back().get();
}

Function *Module::function(const std::string &fname) const {
  for (auto &f : functions_)
    if (f->name() == fname)
      return f.get();
  return nullptr;
}

} // namespace rnnc::ir
