//===- FrontendLoweringTest.cpp - DSL -> @forward IR, shapes and values ---===//
///
/// \file
/// Lowers every example and small inline models and checks the shared
/// `@forward` contract: argument order, roles and types, result names, the
/// single scan's segments, initialisers and train config; the IR verifies;
/// and a tiny RNN's forward values equal a hand-written loop.
///
//===----------------------------------------------------------------------===//
#include "frontend/Frontend.h"
#include "test/support/Examples.h"
#include "ir/Interpreter.h"
#include "ir/Verifier.h"

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

using namespace rnnc;
using namespace rnnc::frontend;

namespace {

struct Lowered {
  std::unique_ptr<ast::Program> program;
  std::unique_ptr<ir::Module> module;
  std::string diagnostics;
};

Lowered lowerText(const std::string &text, ModelBindings bindings,
                  const std::string &name = "test.rnn") {
  Lowered out;
  auto buffer = std::make_shared<SourceBuffer>(name, text);
  std::ostringstream os;
  DiagnosticEngine diags(buffer, os);
  out.program = parseModel(buffer, diags);
  if (out.program)
    out.module = lowerToIR(*out.program, bindings, diags);
  out.diagnostics = os.str();
  return out;
}

Lowered lowerExample(const std::string &file, ModelBindings bindings) {
  auto buffer = loadSourceFile(fixtures::examplePath(file));
  EXPECT_TRUE(bool(buffer)) << buffer.error().message();
  if (!buffer)
    return {};
  return lowerText((*buffer)->text(), bindings, file);
}

const ir::Operation *onlyScan(const ir::Function &fn) {
  const ir::Operation *scan = nullptr;
  for (const auto &op : fn.body().operations())
    if (op->kind() == ir::OpKind::Scan) {
      EXPECT_EQ(scan, nullptr) << "more than one scan";
      scan = op.get();
    }
  return scan;
}

std::vector<int64_t> shapeOf(const ir::Value *v) { return v->type().shape(); }

} // namespace

TEST(FrontendLowering, CharRnnForwardContract) {
  Lowered l = lowerExample("char_rnn.rnn", {1027, std::nullopt, std::nullopt});
  ASSERT_TRUE(l.module) << l.diagnostics;
  const ir::Function *fn = l.module->function("forward");
  ASSERT_TRUE(fn);
  EXPECT_EQ(l.module->name, "CharRNN");
  const auto &args = fn->body().arguments();
  ASSERT_EQ(args.size(), 7u);
  const char *names[] = {"W_xh", "W_hh", "b_h", "W_hq", "b_q", "h", "x"};
  ir::ArgRole roles[] = {ir::ArgRole::Param, ir::ArgRole::Param,
                         ir::ArgRole::Param, ir::ArgRole::Param,
                         ir::ArgRole::Param, ir::ArgRole::State,
                         ir::ArgRole::Input};
  std::vector<std::vector<int64_t>> shapes = {
      {1027, 256}, {256, 256}, {256}, {256, 1027}, {1027}, {32, 256}, {35, 32}};
  for (size_t i = 0; i < args.size(); ++i) {
    EXPECT_EQ(args[i]->name(), names[i]);
    EXPECT_EQ(fn->argRole(i), roles[i]) << names[i];
    EXPECT_EQ(shapeOf(args[i].get()), shapes[i]) << names[i];
  }
  EXPECT_EQ(args[6]->type().elementType(), ir::ElementType::I32);
  EXPECT_EQ(args[5]->type().str(), "f32[B=32,H=256]");
  EXPECT_EQ(fn->resultNames, (std::vector<std::string>{"logits", "h"}));

  const ir::Operation *scan = onlyScan(*fn);
  ASSERT_TRUE(scan);
  EXPECT_EQ(scan->scanNumCarried(), 1u);
  EXPECT_EQ(scan->scanNumSequences(), 1u);
  EXPECT_EQ(scan->scanNumInvariants(), 5u);
  EXPECT_FALSE(scan->scanReverse());
  EXPECT_EQ(shapeOf(scan->result(1)), (std::vector<int64_t>{35, 32, 1027}));
  const ir::Operation *ret = fn->body().terminator();
  ASSERT_EQ(ret->kind(), ir::OpKind::Return);
  EXPECT_EQ(ret->operand(0), scan->result(1));
  EXPECT_EQ(ret->operand(1), scan->result(0));

  EXPECT_TRUE(verifyFunction(*fn));
  EXPECT_EQ(l.module->paramInits.at("W_xh").kind, "normal");
  EXPECT_DOUBLE_EQ(l.module->paramInits.at("W_xh").b, 0.01);
  EXPECT_EQ(l.module->paramInits.at("b_q").kind, "zeros");
  const ir::TrainConfig &t = l.module->train;
  EXPECT_EQ(t.optimizer, "sgd");
  EXPECT_DOUBLE_EQ(t.lr, 100);
  EXPECT_DOUBLE_EQ(t.clip, 0.01);
  EXPECT_EQ(t.batch, 32);
  EXPECT_EQ(t.seqLen, 35);
  EXPECT_EQ(t.epochs, 250);
  EXPECT_EQ(t.sampling, "random");
}

TEST(FrontendLowering, BindingsOverrideBatchAndSeqLen) {
  Lowered l = lowerExample("char_rnn.rnn", {7, 1, 1});
  ASSERT_TRUE(l.module) << l.diagnostics;
  const ir::Function *fn = l.module->function("forward");
  EXPECT_EQ(shapeOf(fn->argumentNamed("h")), (std::vector<int64_t>{1, 256}));
  EXPECT_EQ(shapeOf(fn->argumentNamed("x")), (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(shapeOf(fn->argumentNamed("W_xh")), (std::vector<int64_t>{7, 256}));
  EXPECT_EQ(l.module->train.batch, 1);
}

TEST(FrontendLowering, EveryExampleLowersAndVerifies) {
  struct Case {
    const char *file;
    std::vector<std::string> results;
    size_t params;
  } cases[] = {
      {"char_rnn.rnn", {"logits", "h"}, 5},
      {"gru.rnn", {"logits", "h"}, 11},
      {"lstm.rnn", {"logits", "h", "c"}, 14},
      {"lstm2.rnn", {"logits", "h1", "c1", "h2", "c2"}, 8},
      {"embed_gru.rnn", {"logits", "h"}, 10},
  };
  for (const Case &c : cases) {
    Lowered l = lowerExample(c.file, {50, 4, 6});
    ASSERT_TRUE(l.module) << c.file << "\n" << l.diagnostics;
    const ir::Function *fn = l.module->function("forward");
    EXPECT_EQ(fn->resultNames, c.results) << c.file;
    EXPECT_EQ(l.module->paramInits.size(), c.params) << c.file;
    const ir::Operation *scan = onlyScan(*fn);
    ASSERT_TRUE(scan) << c.file;
    EXPECT_EQ(scan->scanNumCarried(), c.results.size() - 1) << c.file;
    EXPECT_EQ(scan->scanNumInvariants(), c.params) << c.file;
    EXPECT_EQ(shapeOf(scan->result(c.results.size() - 1)),
              (std::vector<int64_t>{6, 4, 50}))
        << c.file;
    for (size_t i = 1; i < c.results.size(); ++i)
      EXPECT_EQ(shapeOf(scan->result(i - 1))[0], 4) << c.file;
    EXPECT_TRUE(verifyFunction(*fn)) << c.file;
  }
}

TEST(FrontendLowering, MissingVocabBindingIsAnError) {
  auto buffer = loadSourceFile(fixtures::examplePath("gru.rnn"));
  ASSERT_TRUE(bool(buffer)) << buffer.error().message();
  std::ostringstream os;
  DiagnosticEngine diags(*buffer, os);
  auto program = parseModel(*buffer, diags);
  ASSERT_TRUE(program) << os.str();
  EXPECT_EQ(lowerToIR(*program, {}, diags), nullptr);
  EXPECT_NE(os.str().find("error: no size for vocab dimension 'V'"),
            std::string::npos)
      << os.str();
}

TEST(FrontendLowering, ParseErrorsReturnNullWithLocation) {
  Lowered l = lowerText("model M(V: vocab) {\n  param W: [V] = zero\n}\n", {3, std::nullopt, std::nullopt});
  EXPECT_FALSE(l.program);
  EXPECT_NE(l.diagnostics.find("test.rnn:2:18: error: unknown initialiser 'zero'"),
            std::string::npos)
      << l.diagnostics;
}

TEST(FrontendLowering, MissingFileIsAnError) {
  auto buffer = loadSourceFile("/nonexistent/model.rnn");
  ASSERT_FALSE(buffer);
  EXPECT_NE(buffer.error().message().find("cannot open '/nonexistent/model.rnn'"),
            std::string::npos);
}

// A tiny RNN with V=3, H=2, B=1, T=2 through the interpreter, against the
// recurrence written out by hand.
TEST(FrontendLowering, TinyRnnForwardMatchesHandLoop) {
  const char *text = R"(
model Tiny(V: vocab, H = 2) {
  param W_xh: [V, H] = zeros
  param W_hh: [H, H] = zeros
  param b_h:  [H]    = zeros
  param W_hq: [H, V] = zeros
  param b_q:  [V]    = zeros
  state h: [H]
  step(x: onehot[V]) -> [V] {
    h = tanh(x @ W_xh + h @ W_hh + b_h)
    return h @ W_hq + b_q
  }
}
train { batch = 1  seq_len = 2 }
)";
  Lowered l = lowerText(text, {3, std::nullopt, std::nullopt});
  ASSERT_TRUE(l.module) << l.diagnostics;
  const double Wxh[3][2] = {{0.1, -0.2}, {0.3, 0.4}, {-0.5, 0.6}};
  const double Whh[2][2] = {{0.7, -0.1}, {0.2, 0.5}};
  const double bh[2] = {0.05, -0.05};
  const double Whq[2][3] = {{1, -1, 0.5}, {0.25, 2, -0.75}};
  const double bq[3] = {0.1, 0.2, 0.3};
  const double h0[2] = {0.3, -0.4};
  const int tokens[2] = {2, 0};
  std::vector<ir::Tensor> args = {
      {{3, 2}, {0.1, -0.2, 0.3, 0.4, -0.5, 0.6}},
      {{2, 2}, {0.7, -0.1, 0.2, 0.5}},
      {{2}, {0.05, -0.05}},
      {{2, 3}, {1, -1, 0.5, 0.25, 2, -0.75}},
      {{3}, {0.1, 0.2, 0.3}},
      {{1, 2}, {0.3, -0.4}},
      {{2, 1}, {2, 0}},
  };
  auto results = ir::interpret(*l.module->function("forward"), args);
  ASSERT_TRUE(results) << results.error().message();
  ASSERT_EQ(results->size(), 2u);
  double h[2] = {h0[0], h0[1]};
  for (int t = 0; t < 2; ++t) {
    double next[2];
    for (int j = 0; j < 2; ++j)
      next[j] = std::tanh(Wxh[tokens[t]][j] + h[0] * Whh[0][j] +
                          h[1] * Whh[1][j] + bh[j]);
    h[0] = next[0];
    h[1] = next[1];
    for (int v = 0; v < 3; ++v) {
      double y = h[0] * Whq[0][v] + h[1] * Whq[1][v] + bq[v];
      EXPECT_NEAR((*results)[0].at({t, 0, v}), y, 1e-12) << t << "," << v;
    }
  }
  EXPECT_NEAR((*results)[1].at({0, 0}), h[0], 1e-12);
  EXPECT_NEAR((*results)[1].at({0, 1}), h[1], 1e-12);
}
