//===- CharRnn.cpp - The d2l char-RNN step, written once -----------------------===//
#include "test/support/CharRnn.h"

namespace rnnc::fixtures {

using namespace rnnc::ir;

void buildCharRnnForward(Module &m, const CharRnnSizes &sizes) {
  Dim V{sizes.vocab, "V"}, H{sizes.hidden, "H"}, B{sizes.batch, "B"}, T{sizes.steps, "T"};
  Function &f = *m.addFunction("forward");
  std::vector<Value *> operands;
  f.addArgument(ArgRole::Param, "W_xh", TensorType::f32({V, H}));
  f.addArgument(ArgRole::Param, "W_hh", TensorType::f32({H, H}));
  f.addArgument(ArgRole::Param, "b_h", TensorType::f32({H}));
  f.addArgument(ArgRole::Param, "W_hq", TensorType::f32({H, V}));
  if (sizes.outputBias)
    f.addArgument(ArgRole::Param, "b_q", TensorType::f32({V}));
  Value *h = f.addArgument(ArgRole::State, "h", TensorType::f32({B, H}));
  Value *x = f.addArgument(ArgRole::Input, "x", TensorType::i32({T, B}));
  // scan(h, x, params...): the params are the scan's invariant operands.
  operands = {h, x};
  unsigned numParams = f.body().numArguments() - 2;
  for (unsigned i = 0; i < numParams; ++i)
    operands.push_back(f.body().argument(i));
  TensorType bh = TensorType::f32({B, H}), bv = TensorType::f32({B, V});
  Operation *scan = f.body().create(
      OpKind::Scan, operands, {bh, TensorType::f32({T, B, V})},
      {{"carried", int64_t(1)}, {"sequences", int64_t(1)}, {"reverse", int64_t(0)}});
  Block &body = *scan->addRegion();
  Value *hb = body.addArgument(bh, "h");
  Value *xb = body.addArgument(TensorType::i32({B}), "x");
  std::vector<Value *> w;
  for (unsigned i = 0; i < numParams; ++i)
    w.push_back(body.addArgument(operands[2 + i]->type(), operands[2 + i]->name()));
  Value *oh = body.create(OpKind::OneHot, {xb}, {bv}, {{"depth", sizes.vocab}})->result();
  Value *a = body.create(OpKind::MatMul, {oh, w[0]}, {bh})->result();
  Value *b = body.create(OpKind::MatMul, {hb, w[1]}, {bh})->result();
  Value *s = body.create(OpKind::Add, {a, b}, {bh})->result();
  Value *s2 = body.create(OpKind::Add, {s, w[2]}, {bh})->result();
  Value *hn = body.create(OpKind::Tanh, {s2}, {bh})->result();
  hn->setName("h");
  Value *y = body.create(OpKind::MatMul, {hn, w[3]}, {bv})->result();
  if (sizes.outputBias)
    y = body.create(OpKind::Add, {y, w[4]}, {bv})->result();
  y->setName("y");
  body.create(OpKind::Yield, {hn, y}, {});
  scan->result(0)->setName("h");
  scan->result(1)->setName("logits");
  f.body().create(OpKind::Return, {scan->result(1), scan->result(0)}, {});
  f.resultNames = {"logits", "h"};
}

} // namespace rnnc::fixtures
