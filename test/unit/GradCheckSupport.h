//===- GradCheckSupport.h - Hand-built models and finite differences -*- C++ -*-===//
///
/// \file
/// Shared by the interpreter, autodiff and gradient-check unit tests: small
/// IR builders (types inferred by ir/Builder.h) and a central finite-difference check of every
/// gradient `@train_step` returns (on test/support/ arguments).
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Builder.h"
#include "ir/Interpreter.h"
#include "passes/Autodiff.h"
#include "test/support/Arguments.h"
#include "test/support/CharRnn.h"
#include "test/support/Examples.h"

#include <gtest/gtest.h>

#include <cmath>

namespace rnnc::testing {

using namespace rnnc::ir;

inline TensorType f32Type(std::vector<int64_t> shape) {
  std::vector<Dim> d;
  for (int64_t s : shape)
    d.push_back(Dim{s, ""});
  return TensorType::f32(d);
}
inline TensorType i32Type(std::vector<int64_t> shape) {
  return f32Type(shape).withElementType(ElementType::I32);
}

/// Appends an op typed by ir::Builder; fails the test (null) if ill-typed.
inline Value *emit(Block &b, OpKind kind, std::vector<Value *> operands,
                   AttributeMap attrs = {}) {
  Builder builder(b);
  Value *v = builder.create(kind, std::move(operands), std::move(attrs));
  EXPECT_NE(v, nullptr) << builder.error();
  return v;
}

/// Differentiates `m` and checks every grad.<param> of `@train_step` against
/// central differences of its loss: |analytic - numeric| <= tol * max(1,
/// |numeric|), step 1e-5, double precision throughout.
inline void checkGradients(Module &m, unsigned seed = 1, double lo = -0.5,
                           double hi = 0.5, double tol = 1e-6) {
  auto built = passes::buildTrainStep(m);
  ASSERT_TRUE(bool(built)) << built.error().message();
  const Function &ts = *m.function("train_step");
  const Value *y = ts.argumentNamed("y");
  ASSERT_NE(y, nullptr);
  // Labels index the logits' last axis.
  int64_t classes = 0;
  for (const auto &op : ts.body().operations())
    if (op->kind() == OpKind::CrossEntropy)
      classes = op->operand(0)->type().dims().back().size;
  ASSERT_GT(classes, 0);
  std::vector<Tensor> args = fixtures::randomArguments(ts, classes, seed, lo, hi);
  auto base = interpret(ts, args);
  ASSERT_TRUE(base) << base.error().message();
  unsigned gradIndex = 0;
  for (unsigned r = 0; r < ts.resultNames.size(); ++r)
    if (ts.resultNames[r].rfind("grad.", 0) == 0) {
      gradIndex = r;
      break;
    }
  ASSERT_GT(gradIndex, 0u);
  const double eps = 1e-5;
  unsigned checked = 0;
  for (unsigned a = 0, g = gradIndex; a < ts.body().numArguments(); ++a) {
    if (ts.argRole(a) != ArgRole::Param)
      continue;
    const Tensor &grad = (*base)[g++];
    ASSERT_EQ(grad.shape, args[a].shape) << ts.body().argument(a)->name();
    for (size_t e = 0; e < args[a].data.size(); ++e) {
      double saved = args[a].data[e];
      args[a].data[e] = saved + eps;
      double up = (*interpret(ts, args))[0].data[0];
      args[a].data[e] = saved - eps;
      double down = (*interpret(ts, args))[0].data[0];
      args[a].data[e] = saved;
      double numeric = (up - down) / (2 * eps);
      EXPECT_NEAR(grad.data[e], numeric, tol * std::max(1.0, std::fabs(numeric)))
          << "grad." << ts.body().argument(a)->name() << "[" << e << "]";
      ++checked;
    }
  }
  EXPECT_GT(checked, 0u);
}

} // namespace rnnc::testing
