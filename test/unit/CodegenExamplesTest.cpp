//===- CodegenExamplesTest.cpp - JIT vs interpreter on every example ------===//
///
/// \file
/// Each model in examples/ is parsed, lowered with small bindings (V = 11,
/// B = 3, T = 5) and differentiated (passes::buildTrainStep); `@forward` and
/// `@train_step` are then run by the JIT and by the reference interpreter on
/// the same arguments. Tolerance: |jit - ref| <= 1e-4 + 1e-4·|ref| for every
/// element of every result (loss, final states, each parameter gradient).
/// Arguments are drawn from [-w, w] with w per model: large enough that
/// gradients are far from zero, small enough that the recurrence is not
/// chaotic (char_rnn has H = 256: w = 0.5 there makes the Jacobian's spectral
/// radius ~4 and f32 rounding grows past any fixed tolerance over T steps).
/// Each example runs as autodiff leaves it, after
/// passes::defaultTrainPipeline(), so the batched gathers, scatter-adds and
/// time-summed products the passes make are covered too, and a third time
/// with fuse-elementwise after that pipeline (runtime/codegen/CodegenFusion.cpp).
///
//===----------------------------------------------------------------------===//
#include "CodegenTestUtil.h"
#include "PassTestUtil.h"

#include <cstdlib>

using namespace rnnc;
using namespace rnnc::codegen_test;
using namespace rnnc::fixtures;

namespace {

/// RNNC_FULL_SIZE=1 runs the d2l sizes (V = 1027, B = 32, T = 35): slow, for
/// checking by hand, not in the suite.
bool fullSize() { return std::getenv("RNNC_FULL_SIZE") != nullptr; }

struct Example {
  const char *file;
  double weightRange;
  bool optimised; ///< run the default train pipeline after autodiff
  bool fused = false; ///< and fuse-elementwise after it
};

class CodegenExamples : public ::testing::TestWithParam<Example> {};

} // namespace

TEST_P(CodegenExamples, ForwardAndTrainStepMatchInterpreter) {
  int64_t vocab = fullSize() ? 1027 : 11;
  auto module = fixtures::loadTrainStep(
      GetParam().file, {vocab, fullSize() ? 32 : 3, fullSize() ? 35 : 5});
  ASSERT_TRUE(module);
  if (GetParam().optimised) {
    ASSERT_TRUE(pass_test::runPassList(*module, passes::defaultTrainPipeline()));
  }
  if (GetParam().fused) {
    ASSERT_TRUE(pass_test::runPassList(*module, {"fuse-elementwise"}));
  }
  for (const char *name : {"forward", "train_step"}) {
    SCOPED_TRACE(name);
    const ir::Function *fn = module->function(name);
    ASSERT_TRUE(fn);
    // At H = 256 every model needs char_rnn's small range (see above).
    double w = fullSize() ? 0.05 : GetParam().weightRange;
    // The comparison itself is inside (1e-4 tolerances); this bound only
    // makes sure the outputs are large enough for it to mean something.
    double largestOutput = checkAgainstInterpreter(*fn, vocab, -w, w);
    EXPECT_GT(largestOutput, 1e-2) << "outputs too small for the comparison to mean much";
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllExamples, CodegenExamples,
    ::testing::Values(Example{"char_rnn.rnn", 0.1, false}, Example{"gru.rnn", 0.5, false},
                      Example{"lstm.rnn", 0.5, false}, Example{"lstm2.rnn", 0.5, false},
                      Example{"embed_gru.rnn", 0.5, false},
                      Example{"char_rnn.rnn", 0.1, true}, Example{"gru.rnn", 0.5, true},
                      Example{"lstm.rnn", 0.5, true}, Example{"lstm2.rnn", 0.5, true},
                      Example{"embed_gru.rnn", 0.5, true},
                      Example{"char_rnn.rnn", 0.1, true, true},
                      Example{"gru.rnn", 0.5, true, true},
                      Example{"lstm.rnn", 0.5, true, true},
                      Example{"lstm2.rnn", 0.5, true, true},
                      Example{"embed_gru.rnn", 0.5, true, true},
                      Example{"lstm_layernorm.rnn", 0.5, false},
                      Example{"lstm_layernorm.rnn", 0.5, true},
                      Example{"lstm_layernorm.rnn", 0.5, true, true},
                      Example{"tied_gru.rnn", 0.5, false},
                      Example{"tied_gru.rnn", 0.5, true},
                      Example{"tied_gru.rnn", 0.5, true, true},
                      Example{"gru_dropout.rnn", 0.5, false},
                      Example{"gru_dropout.rnn", 0.5, true},
                      Example{"gru_dropout.rnn", 0.5, true, true},
                      Example{"tang_lstm.rnn", 0.5, false},
                      Example{"tang_lstm.rnn", 0.5, true},
                      Example{"tang_lstm.rnn", 0.5, true, true}),
    [](const auto &info) {
      std::string n = info.param.file;
      return n.substr(0, n.find('.')) + (info.param.optimised ? "_optimised" : "") +
             (info.param.fused ? "_fused" : "");
    });
