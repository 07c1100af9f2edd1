//===- GradCheckSupport.h - Hand-built models and finite differences -*- C++ -*-===//
///
/// \file
/// Shared by the interpreter, autodiff and gradient-check unit tests: small
/// IR builders (types inferred by ir/Builder.h), the d2l char RNN
/// `@forward` built by hand, seeded random arguments, and a central
/// finite-difference check of every gradient `@train_step` returns.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "frontend/Frontend.h"
#include "ir/Builder.h"
#include "ir/Interpreter.h"
#include "passes/Autodiff.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

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

/// The d2l 6.4 char RNN as `@forward`: params W_xh, W_hh, b_h, W_hq, b_q,
/// state h, input x; one scan whose body is the step.
inline void buildCharRnnForward(Module &m, int64_t V, int64_t H, int64_t B,
                                int64_t T) {
  Function *f = m.addFunction("forward");
  Value *Wxh = f->addArgument(ArgRole::Param, "W_xh", f32Type({V, H}));
  Value *Whh = f->addArgument(ArgRole::Param, "W_hh", f32Type({H, H}));
  Value *bh = f->addArgument(ArgRole::Param, "b_h", f32Type({H}));
  Value *Whq = f->addArgument(ArgRole::Param, "W_hq", f32Type({H, V}));
  Value *bq = f->addArgument(ArgRole::Param, "b_q", f32Type({V}));
  Value *h0 = f->addArgument(ArgRole::State, "h", f32Type({B, H}));
  Value *x = f->addArgument(ArgRole::Input, "x", i32Type({T, B}));
  Operation *scan = f->body().create(
      OpKind::Scan, {h0, x, Wxh, Whh, bh, Whq, bq},
      {f32Type({B, H}), f32Type({T, B, V})},
      {{"carried", int64_t(1)}, {"sequences", int64_t(1)}, {"reverse", int64_t(0)}});
  Block &s = *scan->addRegion();
  Value *h = s.addArgument(f32Type({B, H}), "h");
  Value *xt = s.addArgument(i32Type({B}), "x");
  std::vector<Value *> w;
  for (unsigned i = 2; i < 7; ++i)
    w.push_back(s.addArgument(scan->operand(i)->type(), scan->operand(i)->name()));
  Value *oh = emit(s, OpKind::OneHot, {xt}, {{"depth", V}});
  Value *pre = emit(s, OpKind::Add, {emit(s, OpKind::MatMul, {oh, w[0]}),
                                     emit(s, OpKind::MatMul, {h, w[1]})});
  Value *hn = emit(s, OpKind::Tanh, {emit(s, OpKind::Add, {pre, w[2]})});
  Value *y = emit(s, OpKind::Add, {emit(s, OpKind::MatMul, {hn, w[3]}), w[4]});
  s.create(OpKind::Yield, {hn, y}, {});
  f->body().create(OpKind::Return, {scan->result(1), scan->result(0)}, {});
  f->resultNames = {"logits", "h"};
}

/// examples/<file> with every `from` text replaced by `to` (to shrink
/// default sizes such as `H = 256`), parsed and lowered with the given
/// bindings; null (and a test failure) on any error.
inline std::unique_ptr<Module>
lowerExample(const std::string &file, int64_t vocab, int64_t batch,
             int64_t seqLen,
             const std::vector<std::pair<std::string, std::string>> &edits = {}) {
  std::string path = std::string(RNNC_SOURCE_DIR) + "/examples/" + file;
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string source = text.str();
  EXPECT_FALSE(source.empty()) << "cannot read " << path;
  for (const auto &[from, to] : edits) {
    size_t at = source.find(from);
    EXPECT_NE(at, std::string::npos) << from << " not in " << file;
    for (; at != std::string::npos; at = source.find(from, at + to.size()))
      source.replace(at, from.size(), to);
  }
  std::ostringstream messages;
  auto buffer = std::make_shared<SourceBuffer>(file, source);
  DiagnosticEngine diags(buffer, messages);
  auto program = frontend::parseModel(buffer, diags);
  std::unique_ptr<Module> module;
  if (program)
    module = frontend::lowerToIR(*program, {vocab, batch, seqLen}, diags);
  EXPECT_TRUE(module) << messages.str();
  return module;
}

/// Seeded arguments for `fn`: floats uniform in [lo, hi], i32 values (token
/// ids, labels) uniform in [0, tokens).
inline std::vector<Tensor> randomArguments(const Function &fn, int64_t tokens,
                                           unsigned seed, double lo = -0.5,
                                           double hi = 0.5) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> real(lo, hi);
  std::uniform_int_distribution<int64_t> token(0, tokens - 1);
  std::vector<Tensor> args;
  for (const auto &a : fn.body().arguments()) {
    Tensor t = Tensor::filled(a->type().shape());
    bool isInt = a->type().elementType() == ElementType::I32;
    for (double &v : t.data)
      v = isInt ? static_cast<double>(token(rng)) : real(rng);
    args.push_back(std::move(t));
  }
  return args;
}

/// Differentiates `m` and checks every grad.<param> of `@train_step` against
/// central differences of its loss: |analytic - numeric| <= tol * max(1,
/// |numeric|), step 1e-5, double precision throughout.
inline void checkGradients(Module &m, unsigned seed = 1, double lo = -0.5,
                           double hi = 0.5, double tol = 1e-6) {
  std::string err;
  ASSERT_TRUE(passes::buildTrainStep(m, &err)) << err;
  const Function &ts = *m.function("train_step");
  const Value *y = ts.argumentNamed("y");
  ASSERT_NE(y, nullptr);
  // Labels index the logits' last axis.
  int64_t classes = 0;
  for (const auto &op : ts.body().operations())
    if (op->kind() == OpKind::CrossEntropy)
      classes = op->operand(0)->type().dims().back().size;
  ASSERT_GT(classes, 0);
  std::vector<Tensor> args = randomArguments(ts, classes, seed, lo, hi);
  auto base = interpret(ts, args, &err);
  ASSERT_TRUE(base) << err;
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
      double up = (*interpret(ts, args, nullptr))[0].data[0];
      args[a].data[e] = saved - eps;
      double down = (*interpret(ts, args, nullptr))[0].data[0];
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
