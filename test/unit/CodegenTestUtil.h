//===- CodegenTestUtil.h - Helpers for the JIT differential tests -*- C++ -*-===//
///
/// \file
/// Run a function through the JIT (float/int32 buffers, test/support/) and
/// through the reference interpreter (double), and compare with the stated tolerance
/// |jit - ref| <= atol + rtol * |ref| (1e-4 + 1e-4·|ref| by default: f32
/// arithmetic against a double oracle).
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/IR.h"
#include "ir/Interpreter.h"
#include "runtime/codegen/JIT.h"
#include "test/support/Arguments.h"
#include "test/support/IRText.h"

#include <gtest/gtest.h>

#include <cmath>

namespace rnnc::codegen_test {

/// Every element of every result within atol + rtol·|ref|; returns the
/// number of mismatches (each reported once, the first few in detail).
inline int expectClose(const std::vector<ir::Tensor> &jit,
                       const std::vector<ir::Tensor> &ref,
                       const std::vector<std::string> &names, double atol = 1e-4,
                       double rtol = 1e-4) {
  EXPECT_EQ(jit.size(), ref.size());
  int mismatches = 0;
  for (size_t r = 0; r < std::min(jit.size(), ref.size()); ++r) {
    std::string name = r < names.size() ? names[r] : "#" + std::to_string(r);
    EXPECT_EQ(jit[r].shape, ref[r].shape) << name;
    if (jit[r].data.size() != ref[r].data.size())
      continue;
    for (size_t i = 0; i < ref[r].data.size(); ++i) {
      double a = jit[r].data[i], b = ref[r].data[i];
      if (std::fabs(a - b) <= atol + rtol * std::fabs(b))
        continue;
      if (++mismatches <= 5)
        ADD_FAILURE() << "result " << name << " element " << i << ": jit " << a
                      << " vs interpreter " << b;
    }
  }
  return mismatches;
}

/// JIT vs interpreter on `fn` with fixtures::randomArguments (seed 7); returns the
/// largest |value| of the reference results (so callers can insist the
/// comparison was not between near-zeros).
inline double checkAgainstInterpreter(const ir::Function &fn, int64_t tokenLimit,
                                    double lo = -1.5, double hi = 1.5,
                                    double atol = 1e-4, double rtol = 1e-4) {
  std::vector<ir::Tensor> args = fixtures::randomArguments(fn, tokenLimit, 7, lo, hi);
  auto ref = ir::interpret(fn, args);
  EXPECT_TRUE(ref) << ref.error().message();
  if (!ref)
    return 0;
  std::vector<ir::Tensor> jit = fixtures::runJIT(fn, args);
  expectClose(jit, *ref, fn.resultNames, atol, rtol);
  double largest = 0;
  for (const ir::Tensor &t : *ref)
    for (double v : t.data)
      largest = std::max(largest, std::fabs(v));
  return largest;
}

/// Parses `text` and checks its function `@f` against the interpreter.
inline void checkIR(const std::string &text, int64_t tokenLimit = 1,
                    double lo = -1.5, double hi = 1.5) {
  std::unique_ptr<ir::Module> module = fixtures::parseIR(text);
  ASSERT_TRUE(module);
  const ir::Function *fn = module->function("f");
  ASSERT_TRUE(fn);
  checkAgainstInterpreter(*fn, tokenLimit, lo, hi);
}

} // namespace rnnc::codegen_test
