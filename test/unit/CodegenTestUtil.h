//===- CodegenTestUtil.h - Helpers for the JIT differential tests -*- C++ -*-===//
///
/// \file
/// Parse IR text, make deterministic inputs for a function's arguments, run
/// a function through the JIT (float/int32 buffers) and through the
/// reference interpreter (double), and compare with the stated tolerance
/// |jit - ref| <= atol + rtol * |ref| (1e-4 + 1e-4·|ref| by default: f32
/// arithmetic against a double oracle).
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Diagnostics.h"
#include "ir/IR.h"
#include "ir/Interpreter.h"
#include "ir/Parser.h"
#include "runtime/codegen/JIT.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <sstream>

namespace rnnc::codegen_test {

inline std::unique_ptr<ir::Module> parseIR(const std::string &text) {
  std::ostringstream diagText;
  auto buffer = std::make_shared<SourceBuffer>("test.rnnir", text);
  DiagnosticEngine diag(buffer, diagText);
  std::unique_ptr<ir::Module> module = ir::parseModuleText(buffer, diag);
  EXPECT_TRUE(module != nullptr) << diagText.str();
  return module;
}

/// Deterministic values: f32 in [lo, hi], i32 token ids in [0, tokenLimit).
inline std::vector<ir::Tensor> makeArguments(const ir::Function &fn,
                                             int64_t tokenLimit, double lo = -1.5,
                                             double hi = 1.5, uint64_t seed = 7) {
  uint64_t state = seed * 0x9E3779B97F4A7C15ull + 1;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  std::vector<ir::Tensor> args;
  for (const auto &arg : fn.body().arguments()) {
    const ir::TensorType &t = arg->type();
    ir::Tensor tensor = ir::Tensor::filled(t.shape());
    for (double &v : tensor.data) {
      if (t.elementType() == ir::ElementType::I32)
        v = static_cast<double>(next() % static_cast<uint64_t>(tokenLimit));
      else // round through float so both sides see the same inputs
        v = static_cast<float>(lo + (hi - lo) * static_cast<double>(next() >> 11) /
                                        static_cast<double>(1ull << 53));
    }
    args.push_back(std::move(tensor));
  }
  return args;
}

/// Runs `compiled` (made from `fn`) on `args`; results as double tensors.
inline std::vector<ir::Tensor> runCompiled(const runtime::CompiledFunction &compiled,
                                           const ir::Function &fn,
                                           const std::vector<ir::Tensor> &args) {
  auto toWords = [](const ir::TensorType &t, const ir::Tensor *src) {
    std::vector<uint32_t> words(static_cast<size_t>(t.numElements()), 0);
    for (size_t i = 0; src && i < words.size(); ++i) {
      if (t.elementType() == ir::ElementType::I32) {
        int32_t v = static_cast<int32_t>(src->data[i]);
        std::memcpy(&words[i], &v, 4);
      } else {
        float v = static_cast<float>(src->data[i]);
        std::memcpy(&words[i], &v, 4);
      }
    }
    return words;
  };
  std::vector<std::vector<uint32_t>> argWords, resultWords;
  std::vector<void *> argPtrs, resultPtrs;
  for (size_t i = 0; i < args.size(); ++i)
    argWords.push_back(toWords(fn.body().argument(i)->type(), &args[i]));
  const ir::Operation *ret = fn.body().terminator();
  for (const ir::Value *v : ret->operands())
    resultWords.push_back(toWords(v->type(), nullptr));
  for (auto &w : argWords)
    argPtrs.push_back(w.data());
  for (auto &w : resultWords)
    resultPtrs.push_back(w.data());
  if (!compiled.run(argPtrs.data(), resultPtrs.data()))
    ADD_FAILURE() << "the compiled function could not have its arena";
  std::vector<ir::Tensor> out;
  for (size_t r = 0; r < resultWords.size(); ++r) {
    const ir::TensorType &t = ret->operand(r)->type();
    ir::Tensor tensor = ir::Tensor::filled(t.shape());
    for (size_t i = 0; i < tensor.data.size(); ++i) {
      if (t.elementType() == ir::ElementType::I32) {
        int32_t v;
        std::memcpy(&v, &resultWords[r][i], 4);
        tensor.data[i] = v;
      } else {
        float v;
        std::memcpy(&v, &resultWords[r][i], 4);
        tensor.data[i] = v;
      }
    }
    out.push_back(std::move(tensor));
  }
  return out;
}

inline std::vector<ir::Tensor> runJIT(const ir::Function &fn,
                                      const std::vector<ir::Tensor> &args) {
  std::string error;
  auto compiled = runtime::CompiledFunction::compile(fn, &error);
  EXPECT_TRUE(compiled != nullptr) << error;
  if (!compiled)
    return {};
  return runCompiled(*compiled, fn, args);
}

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

/// JIT vs interpreter on `fn` with arguments from makeArguments; returns the
/// largest |value| of the reference results (so callers can insist the
/// comparison was not between near-zeros).
inline double checkAgainstInterpreter(const ir::Function &fn, int64_t tokenLimit,
                                    double lo = -1.5, double hi = 1.5,
                                    double atol = 1e-4, double rtol = 1e-4) {
  std::vector<ir::Tensor> args = makeArguments(fn, tokenLimit, lo, hi);
  std::string error;
  auto ref = ir::interpret(fn, args, &error);
  EXPECT_TRUE(ref.has_value()) << error;
  if (!ref)
    return 0;
  std::vector<ir::Tensor> jit = runJIT(fn, args);
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
  std::unique_ptr<ir::Module> module = parseIR(text);
  ASSERT_TRUE(module);
  const ir::Function *fn = module->function("f");
  ASSERT_TRUE(fn);
  checkAgainstInterpreter(*fn, tokenLimit, lo, hi);
}

} // namespace rnnc::codegen_test
