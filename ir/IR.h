//===- IR.h - The rnnc tensor-graph IR --------------------------*- C++ -*-===//
///
/// \file
/// A static SSA graph of tensor operations. A Module holds Functions; a
/// Function has typed arguments (parameters, states, inputs) and one Block of
/// Operations ending in `return`. Recurrence is the structured `scan`
/// operation, whose body is a nested Block isolated from above: everything it
/// uses comes in through its block arguments, so a body can be verified,
/// interpreted and differentiated on its own.
///
/// Ownership: a Block owns its Operations and its arguments; an Operation owns
/// its results and nested blocks. Values are referred to by raw pointer, and
/// each Value knows its users so passes can replace uses.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Diagnostics.h"
#include "ir/Type.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace rnnc::ir {

enum class OpKind {
#define RNNC_OP(Enum, Name, NumOperands, NumResults, Traits, Attributes) Enum,
#include "ir/Ops.def"
};

/// The groups passes treat alike: the `traits` column of ir/Ops.def.
enum OpTrait : unsigned {
  NoTraits = 0,
  ElementwiseUnary = 1u << 0,  ///< f32 to the same type, element by element
  ElementwiseBinary = 1u << 1, ///< element by element, broadcasting
  MatrixProduct = 1u << 2,     ///< may lead a `fusion` body
  HasBody = 1u << 3, ///< one nested block, isolated from above, ending in `yield`
  Terminator = 1u << 4,
  /// The last axis is a row and each row is computed on its own (so more
  /// leading axes change nothing): typed by inferRowOpTypes
  /// (ir/ShapeInferenceRowOps.cpp), lowered by the row kernels
  /// (runtime/codegen/CodegenRowOps.cpp), batched across time by HoistScan.
  RowOp = 1u << 5,
};

/// The printed name of an op kind (`matmul`), and its inverse.
const char *opKindName(OpKind kind);
bool opKindFromName(const std::string &name, OpKind &kind);
/// Declared operand/result counts from Ops.def (-1 = variadic).
int opKindNumOperands(OpKind kind);
int opKindNumResults(OpKind kind);
bool hasTrait(OpKind kind, OpTrait trait);
/// The attributes an op of `kind` takes, e.g. {"begin", "end"} for slice;
/// any other attribute is an error (the parser and the verifier reject it).
const std::vector<std::string> &opKindAttributeNames(OpKind kind);

inline bool isElementwiseUnary(OpKind k) { return hasTrait(k, ElementwiseUnary); }
inline bool isElementwiseBinary(OpKind k) { return hasTrait(k, ElementwiseBinary); }
inline bool isElementwise(OpKind k) {
  return isElementwiseUnary(k) || isElementwiseBinary(k);
}
inline bool isTerminator(OpKind k) { return hasTrait(k, Terminator); }
inline bool hasBody(OpKind k) { return hasTrait(k, HasBody); }
inline bool isMatrixProduct(OpKind k) { return hasTrait(k, MatrixProduct); }
inline bool isRowOp(OpKind k) { return hasTrait(k, RowOp); }

/// Attribute values: integers, reals, strings and integer lists.
using Attribute = std::variant<int64_t, double, std::string, std::vector<int64_t>>;
using AttributeMap = std::map<std::string, Attribute>; // sorted: stable print

class Operation;
class Block;

/// An SSA value: an operation result or a block argument.
class Value {
public:
  const TensorType &type() const { return type_; }
  void setType(TensorType t) { type_ = std::move(t); }
  /// Takes the dimension names of `like`, a type of the same sizes: names
  /// are documentation, and a rewrite keeps those of what it replaces.
  void setDimNames(const TensorType &like);

  /// A name hint for printing (`h`, `W_xh`); may be empty.
  const std::string &name() const { return name_; }
  void setName(std::string n) { name_ = std::move(n); }

  /// The defining operation, or null for a block argument.
  Operation *definingOp() const { return def_; }
  unsigned resultIndex() const { return index_; }
  /// The owning block for a block argument, else null.
  Block *ownerBlock() const { return block_; }
  unsigned argIndex() const { return index_; }

  const std::vector<Operation *> &users() const { return users_; }
  bool hasUses() const { return !users_.empty(); }
  /// Rewrites every use of this value to `other`.
  void replaceAllUsesWith(Value *other);

private:
  friend class Operation;
  friend class Block;
  Value(TensorType t, Operation *def, Block *block, unsigned index)
      : type_(std::move(t)), def_(def), block_(block), index_(index) {}
  TensorType type_;
  std::string name_;
  Operation *def_;
  Block *block_;
  unsigned index_;
  std::vector<Operation *> users_; // one entry per use (may repeat)
};

class Operation {
public:
  Operation(OpKind kind, std::vector<Value *> operands,
            std::vector<TensorType> resultTypes, AttributeMap attrs = {});
  ~Operation();
  Operation(const Operation &) = delete;
  Operation &operator=(const Operation &) = delete;

  OpKind kind() const { return kind_; }
  const char *name() const { return opKindName(kind_); }

  const std::vector<Value *> &operands() const { return operands_; }
  Value *operand(unsigned i) const { return operands_[i]; }
  unsigned numOperands() const { return operands_.size(); }
  void setOperand(unsigned i, Value *v);
  void setOperands(std::vector<Value *> operands);

  unsigned numResults() const { return results_.size(); }
  Value *result(unsigned i = 0) const { return results_[i].get(); }
  std::vector<Value *> results() const;

  const AttributeMap &attrs() const { return attrs_; }
  bool hasAttr(const std::string &k) const { return attrs_.count(k) != 0; }
  int64_t intAttr(const std::string &k, int64_t dflt = 0) const;
  double realAttr(const std::string &k, double dflt = 0) const;
  std::vector<int64_t> intListAttr(const std::string &k) const;
  void setAttr(const std::string &k, Attribute v) { attrs_[k] = std::move(v); }

  /// Nested blocks (one for `scan` and `fusion`).
  const std::vector<std::unique_ptr<Block>> &regions() const { return regions_; }
  Block &body() const { return *regions_.at(0); }
  /// Adds an empty nested block, or `body`, built before this op.
  Block *addRegion();
  Block *addRegion(std::unique_ptr<Block> body);

  Block *parentBlock() const { return parent_; }

  /// Where the DSL construct this op came from (for diagnostics); may be
  /// invalid for ops made by passes.
  SourceLocation loc;

  // --- scan accessors: operand/result segments ----------------------------
  unsigned scanNumCarried() const { return intAttr("carried"); }
  unsigned scanNumSequences() const { return intAttr("sequences"); }
  unsigned scanNumInvariants() const {
    return numOperands() - scanNumCarried() - scanNumSequences();
  }
  bool scanReverse() const { return intAttr("reverse") != 0; }

private:
  friend class Block;
  void dropOperandUses();
  OpKind kind_;
  std::vector<Value *> operands_;
  std::vector<std::unique_ptr<Value>> results_;
  AttributeMap attrs_;
  std::vector<std::unique_ptr<Block>> regions_;
  Block *parent_ = nullptr;
};

/// A list of operations with typed arguments. The last op is a terminator.
class Block {
public:
  explicit Block(Operation *parentOp = nullptr) : parentOp_(parentOp) {}
  ~Block();

  Value *addArgument(TensorType type, std::string name = "");
  const std::vector<std::unique_ptr<Value>> &arguments() const { return args_; }
  Value *argument(unsigned i) const { return args_[i].get(); }
  unsigned numArguments() const { return args_.size(); }

  const std::vector<std::unique_ptr<Operation>> &operations() const {
    return ops_;
  }
  /// Appends (or inserts before `pos`) and returns the op.
  Operation *append(std::unique_ptr<Operation> op);
  Operation *insert(size_t pos, std::unique_ptr<Operation> op);
  /// Builds and appends an op with declared result types (the IR text
  /// parser, tests of ill-typed IR); the compiler makes ops with ir::Builder.
  Operation *create(OpKind kind, std::vector<Value *> operands,
                    std::vector<TensorType> resultTypes,
                    AttributeMap attrs = {});
  /// Removes an op whose results have no uses.
  void erase(Operation *op);
  /// Moves `op` out of this block (for passes that move ops between blocks).
  std::unique_ptr<Operation> take(Operation *op);
  size_t indexOf(const Operation *op) const;

  Operation *terminator() const {
    return ops_.empty() ? nullptr : ops_.back().get();
  }
  Operation *parentOp() const { return parentOp_; }

private:
  friend class Operation; // adopts a block built before it (addRegion)
  Operation *parentOp_;
  std::vector<std::unique_ptr<Value>> args_;
  std::vector<std::unique_ptr<Operation>> ops_;
};

/// What a function argument stands for; the runtime binds buffers by role.
/// Key: the dropout key `i32[T, 5]` (ir/DropoutMask.h) of a train step whose
/// model uses dropout; no other function has one.
enum class ArgRole { Param, State, Input, Label, Key };
const char *argRoleName(ArgRole r);
bool argRoleFromName(const std::string &s, ArgRole &r);

class Function {
public:
  explicit Function(std::string name) : name_(std::move(name)) {}
  const std::string &name() const { return name_; }
  Block &body() { return body_; }
  const Block &body() const { return body_; }

  Value *addArgument(ArgRole role, const std::string &name, TensorType type);
  ArgRole argRole(unsigned i) const { return roles_[i]; }
  /// The argument named `name`, or null.
  Value *argumentNamed(const std::string &name) const;

  /// Names of the results, parallel to the return operands (`loss`,
  /// `logits`, `h`, `grad.W_xh`).
  std::vector<std::string> resultNames;

private:
  std::string name_;
  Block body_;
  std::vector<ArgRole> roles_;
};

/// Everything the front end knows about parameter initialisation, kept with
/// the IR so the runtime needs nothing else.
struct ParamInit {
  std::string kind = "zeros"; ///< zeros ones normal uniform xavier orthogonal identity
  double a = 0, b = 0; ///< normal(mean=a, std=b); uniform(lo=a, hi=b);
                       ///< orthogonal(gain=a); identity(scale=a)
};

/// Training recipe from the model's `train` block.
struct TrainConfig {
  std::string loss = "cross_entropy";
  std::string optimizer = "sgd";
  double lr = 0.1;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8; // adam
  double clip = 0;                               // 0: no clipping
  int64_t batch = 32;
  int64_t seqLen = 35;
  int64_t epochs = 1;
  std::string sampling = "random"; // random | consecutive
};

class Module {
public:
  std::string name; ///< The model's name (`CharRNN`).
  Function *addFunction(std::string fname);
  Function *function(const std::string &fname) const;
  const std::vector<std::unique_ptr<Function>> &functions() const {
    return functions_;
  }
  /// Initialisers by parameter name, and the train block.
  std::map<std::string, ParamInit> paramInits;
  TrainConfig train;

private:
  std::vector<std::unique_ptr<Function>> functions_;
};

} // namespace rnnc::ir
