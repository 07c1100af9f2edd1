//===- IRTextTestUtil.h - Hand-built modules for IR text tests --*- C++ -*-===//
///
/// \file
/// A tiny char-RNN `@forward` built through the IR API (not the front end),
/// shared by the printer/parser and verifier tests, plus parse helpers.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/IR.h"
#include "ir/Parser.h"

#include <memory>
#include <sstream>
#include <string>

namespace rnnc::irtest {

using namespace rnnc::ir;

inline Dim d(const char *name, int64_t size) { return Dim{size, name}; }

/// forward(W_xh[V,H], W_hh[H,H], b_h[H], W_hq[H,V], h[B,H], x[T,B]) with
/// V=4, H=3, B=2, T=5: one scan whose body is the d2l RNN step.
inline std::unique_ptr<Module> buildTinyRnn() {
  auto m = std::make_unique<Module>();
  m->name = "Tiny";
  m->train.lr = 1.5;
  m->train.batch = 2;
  m->train.seqLen = 5;
  m->paramInits["W_xh"] = ParamInit{"normal", 0, 0.01};
  Function &f = *m->addFunction("forward");
  Dim V = d("V", 4), H = d("H", 3), B = d("B", 2), T = d("T", 5);
  Value *wxh = f.addArgument(ArgRole::Param, "W_xh", TensorType::f32({V, H}));
  Value *whh = f.addArgument(ArgRole::Param, "W_hh", TensorType::f32({H, H}));
  Value *bh = f.addArgument(ArgRole::Param, "b_h", TensorType::f32({H}));
  Value *whq = f.addArgument(ArgRole::Param, "W_hq", TensorType::f32({H, V}));
  Value *h = f.addArgument(ArgRole::State, "h", TensorType::f32({B, H}));
  Value *x = f.addArgument(ArgRole::Input, "x", TensorType::i32({T, B}));
  TensorType bh_t = TensorType::f32({B, H}), bv_t = TensorType::f32({B, V});
  Operation *scan = f.body().create(
      OpKind::Scan, {h, x, wxh, whh, bh, whq},
      {bh_t, TensorType::f32({T, B, V})},
      {{"carried", int64_t(1)}, {"sequences", int64_t(1)}, {"reverse", int64_t(0)}});
  Block &body = *scan->addRegion();
  Value *hb = body.addArgument(bh_t, "h");
  Value *xb = body.addArgument(TensorType::i32({B}), "x");
  Value *wxhb = body.addArgument(wxh->type(), "W_xh");
  Value *whhb = body.addArgument(whh->type(), "W_hh");
  Value *bhb = body.addArgument(bh->type(), "b_h");
  Value *whqb = body.addArgument(whq->type(), "W_hq");
  Value *oh = body.create(OpKind::OneHot, {xb}, {bv_t}, {{"depth", int64_t(4)}})->result();
  Value *a = body.create(OpKind::MatMul, {oh, wxhb}, {bh_t})->result();
  Value *b = body.create(OpKind::MatMul, {hb, whhb}, {bh_t})->result();
  Value *s = body.create(OpKind::Add, {a, b}, {bh_t})->result();
  Value *s2 = body.create(OpKind::Add, {s, bhb}, {bh_t})->result();
  Value *hn = body.create(OpKind::Tanh, {s2}, {bh_t})->result();
  hn->setName("h");
  Value *y = body.create(OpKind::MatMul, {hn, whqb}, {bv_t})->result();
  y->setName("y");
  body.create(OpKind::Yield, {hn, y}, {});
  scan->result(0)->setName("h");
  scan->result(1)->setName("logits");
  f.body().create(OpKind::Return, {scan->result(1), scan->result(0)}, {});
  f.resultNames = {"logits", "h"};
  return m;
}

/// Parses `text`; on failure returns null and puts the diagnostics in `errors`.
inline std::unique_ptr<Module> parseText(const std::string &text,
                                         std::string *errors = nullptr) {
  auto buf = std::make_shared<SourceBuffer>("t.rnnir", text);
  std::ostringstream os;
  DiagnosticEngine diag(buf, os);
  auto m = parseModuleText(buf, diag);
  if (errors)
    *errors = os.str();
  return m;
}

} // namespace rnnc::irtest
