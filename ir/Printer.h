//===- Printer.h - The text form of the rnnc IR -----------------*- C++ -*-===//
///
/// \file
/// Prints a Module as stable, FileCheck-friendly text that ir/Parser.h reads
/// back exactly (print -> parse -> print is the identity). Example:
///
///   module @Tiny {
///     train { loss = cross_entropy, optimizer = sgd, lr = 0.5, ... }
///     init @W = normal(0.0, 0.01)
///
///     func @forward(param %W: f32[V=4,H=3], state %h: f32[B=2,H=3],
///                   input %x: i32[T=5,B=2]) -> (logits: ..., h: ...) {
///       %h.1, %logits = scan(%h, %x, %W) {carried = 1, reverse = 0, sequences = 1} {
///       ^body(%h.2: f32[B=2,H=3], %x.1: i32[B=2], %W.1: f32[V=4,H=3]):
///         %0 = gather(%W.1, %x.1) : f32[B=2,H=3]
///         yield %0, %0
///       } : f32[B=2,H=3], f32[T=5,B=2,H=3]
///       return %logits, %h.1
///     }
///   }
///
/// Value names come from each Value's name hint when unique in the function
/// (`%h`), else the hint with a numeric suffix (`%h.1`), else a number
/// (`%0`); hints made only of digits count as no hint. Reals always carry a
/// `.`, an exponent, `inf` or `nan`, so they never read back as integers.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/IR.h"

#include <iosfwd>
#include <map>
#include <string>

namespace rnnc::ir {

void printModule(const Module &module, std::ostream &os);
/// One function at the given indentation (two spaces per level).
void printFunction(const Function &function, std::ostream &os,
                   unsigned indent = 0);
std::string toString(const Module &module);
std::string toString(const Function &function);
/// The printed name (`%h.1`, `%0`) of every value of `function`, exactly as
/// printFunction names them (for dumps of later stages, e.g. the lowering
/// plan, that refer to IR values).
std::map<const Value *, std::string> printedValueNames(const Function &function);

/// The shortest decimal text that reads back as exactly `value`, always
/// marked as a real (`1.0`, `0.01`, `1e-08`, `inf`, `-inf`, `nan`).
std::string formatReal(double value);
/// One attribute value as printed inside `{...}`.
std::string formatAttribute(const Attribute &attr);

} // namespace rnnc::ir
