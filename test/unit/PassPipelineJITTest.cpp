//===- PassPipelineJITTest.cpp - JIT vs interpreter after the train pipeline -===//
///
/// \file
/// A copy of CodegenExamplesTest with passes::defaultTrainPipeline() run
/// after autodiff: the optimised @forward and @train_step of every example
/// still compile and match the interpreter (1e-4 + 1e-4·|ref|, f32 against
/// double), so the batched gathers, scatter-adds and time-summed products
/// the passes make are handled by codegen.
///
//===----------------------------------------------------------------------===//
#include "PassTestUtil.h"

using namespace rnnc;
using namespace rnnc::pass_test;

namespace {

struct Example {
  const char *file;
  double weightRange;
};

class PassPipelineJIT : public ::testing::TestWithParam<Example> {};

} // namespace

TEST_P(PassPipelineJIT, OptimisedForwardAndTrainStepMatchInterpreter) {
  auto module = loadTrainStep(GetParam().file, 11, 3, 5);
  ASSERT_TRUE(module);
  ASSERT_TRUE(runPassList(*module, passes::defaultTrainPipeline()));
  for (const char *name : {"forward", "train_step"}) {
    SCOPED_TRACE(name);
    const ir::Function *fn = module->function(name);
    ASSERT_TRUE(fn);
    double w = GetParam().weightRange;
    EXPECT_GT(codegen_test::checkAgainstInterpreter(*fn, 11, -w, w), 1e-2);
  }
}

INSTANTIATE_TEST_SUITE_P(AllExamples, PassPipelineJIT,
                         ::testing::Values(Example{"char_rnn.rnn", 0.1},
                                           Example{"gru.rnn", 0.5},
                                           Example{"lstm.rnn", 0.5},
                                           Example{"lstm2.rnn", 0.5},
                                           Example{"embed_gru.rnn", 0.5}),
                         [](const auto &info) {
                           std::string n = info.param.file;
                           return n.substr(0, n.find('.'));
                         });
