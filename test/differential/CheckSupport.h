//===- CheckSupport.h - Buffers and comparisons of the differential check -*- C++ -*-===//
///
/// \file
/// The pieces DifferentialCheck.cpp is built from: the buffers of one call
/// of a compiled function (arguments bound by name, results NaN-filled), a
/// call that first fills the kernel arena with NaN bytes, and the two ways
/// results are compared (within the float tolerance, bit for bit), which
/// record what they compared and every mismatch in a CheckResult.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Interpreter.h"
#include "runtime/codegen/JIT.h"
#include "test/differential/DifferentialCheck.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace rnnc::difftest {

/// Buffers for one call of a compiled function, in IR argument order.
struct Call {
  std::vector<std::vector<uint32_t>> args, results;
  std::vector<void *> argPtrs, resultPtrs;
  /// A copy with the same arguments and NaN-filled results, so a result
  /// the callee fails to write cannot pass as the original's.
  Call freshCopy() const {
    Call c = *this;
    for (auto &r : c.results)
      std::fill(r.begin(), r.end(), 0xFFFFFFFFu);
    c.pointers();
    return c;
  }
  void pointers() {
    argPtrs.clear();
    resultPtrs.clear();
    for (auto &a : args)
      argPtrs.push_back(a.data());
    for (auto &r : results)
      resultPtrs.push_back(r.data());
  }
  float f(size_t result, size_t i) const {
    float v;
    std::memcpy(&v, &results[result][i], 4);
    return v;
  }
  std::vector<double> resultAsDouble(size_t r) const {
    std::vector<double> out(results[r].size());
    for (size_t i = 0; i < out.size(); ++i)
      out[i] = f(r, i);
    return out;
  }
};

/// Fills this thread's kernel arena with NaN bytes (see CheckSupport.cpp).
void poisonArena();
/// poisonArena, then runs `fn` on `call`'s buffers.
void runPoisoned(const runtime::CompiledFunction &fn, Call &call);
/// Builds a call of `fn` whose arguments are taken by name from `named`.
bool bindCall(const ir::Function &fn, const std::map<std::string, ir::Tensor> &named, Call &call,
              std::string *error);
/// Compares `got` with `want` within kRelTol / kAbsTol (DifferentialCheck.h);
/// counts the comparison, its error / tolerance decade and any mismatch.
void compareClose(CheckResult &r, const std::string &kind, const std::string &name,
                  const std::vector<double> &got, const std::vector<double> &want);
/// Compares every result of two calls bit for bit.
void compareBits(CheckResult &r, const std::string &kind, const Call &a, const Call &b,
                 const std::vector<std::string> &names);

} // namespace rnnc::difftest
