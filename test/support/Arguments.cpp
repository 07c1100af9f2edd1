//===- Arguments.cpp - Seeded arguments for the tests, and a JIT call ----------===//
#include "test/support/Arguments.h"

#include "runtime/driver/SyntheticCall.h"

#include <gtest/gtest.h>

namespace rnnc::fixtures {

std::vector<ir::Tensor> randomArguments(const ir::Function &fn, int64_t tokens,
                                        uint64_t seed, double lo, double hi) {
  return driver::syntheticArguments(fn, tokens, seed, lo, hi);
}

std::vector<ir::Tensor> runCompiled(const runtime::CompiledFunction &compiled,
                                    const ir::Function &fn,
                                    const std::vector<ir::Tensor> &args) {
  driver::SyntheticCall call(fn, args);
  if (!call.run(compiled))
    ADD_FAILURE() << "the compiled function could not have its arena";
  return call.resultTensors(fn);
}

std::vector<ir::Tensor> runJIT(const ir::Function &fn, const std::vector<ir::Tensor> &args) {
  auto compiled = runtime::CompiledFunction::compile(fn);
  EXPECT_TRUE(bool(compiled)) << compiled.error().message();
  if (!compiled)
    return {};
  return runCompiled(**compiled, fn, args);
}

} // namespace rnnc::fixtures
