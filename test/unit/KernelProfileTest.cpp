//===- KernelProfileTest.cpp - Phases of a profiled train step ------------===//
///
/// \file
/// runtime/kernels/KernelProfile.h: a made-up step (a time-batched product,
/// per-step products, the loss, more per-step products, a gradient product)
/// puts time into exactly the phases those kernels stand for, in the
/// forward half before the loss and the backward half after it; every
/// nanosecond of the step lands in one phase (the phases add up to the
/// step); nothing is counted outside a step or with profiling off. No
/// assertion is on how long anything took.
///
//===----------------------------------------------------------------------===//
#include "runtime/kernels/KernelProfile.h"
#include "runtime/kernels/Kernels.h"
#include "KernelTestSupport.h"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

namespace {

using namespace rnnc::runtime;
using rnnc::kernel_test::values;

double phase(const KernelProfile &p, ProfilePhase which) {
  return p.phaseMillis[static_cast<int>(which)];
}

/// One step's kernels on made-up [32,64] x [64,64] data.
void madeUpStep() {
  constexpr int64_t m = 32, k = 64, n = 64;
  std::vector<float> a = values(m * k, 1), b = values(k * n, 2), out(m * n);
  std::vector<float> packed(static_cast<size_t>(packedPanelFloats(k, n)));
  std::vector<int32_t> labels(m, 3);
  float loss = 0;
  rnnc_matmul(a.data(), b.data(), out.data(), m, k, n); // input projection
  rnnc_pack_panels(b.data(), packed.data(), k, n, 0);
  for (int t = 0; t < 3; ++t)
    rnnc_matmul_packed(a.data(), packed.data(), out.data(), m, k, n);
  rnnc_cross_entropy(out.data(), labels.data(), &loss, m, n);
  for (int t = 0; t < 3; ++t)
    rnnc_matmul_packed(a.data(), packed.data(), out.data(), m, k, n);
  std::vector<float> grad(k * k);
  rnnc_matmul_tn(a.data(), a.data(), grad.data(), m, k, k, 0); // a weight gradient
}

TEST(KernelProfile, KernelsFallInTheirPhasesAndThePhasesMakeUpTheStep) {
  setKernelProfiling(true);
  madeUpStep(); // outside a step: not counted
  profileStepBegin();
  madeUpStep();
  profileStepEnd();
  KernelProfile p = kernelProfile();
  setKernelProfiling(false);

  EXPECT_EQ(p.steps, 1);
  for (ProfilePhase used : {ProfilePhase::ProjectionsForward, ProfilePhase::RecurrenceForward,
                            ProfilePhase::Loss, ProfilePhase::RecurrenceBackward,
                            ProfilePhase::ProjectionsBackward})
    EXPECT_GT(phase(p, used), 0) << profilePhaseName(used);
  EXPECT_EQ(phase(p, ProfilePhase::Update), 0);
  // The packing runs after a batched product and before any per-step one:
  // it and the gaps around it are "other forward"; nothing runs after the
  // last product but the step's end.
  EXPECT_GT(phase(p, ProfilePhase::OtherForward), 0);
  double sum = std::accumulate(std::begin(p.phaseMillis), std::end(p.phaseMillis), 0.0);
  EXPECT_NEAR(sum, p.stepMillis, 1e-6 * p.stepMillis);
}

TEST(KernelProfile, NothingIsCountedWithProfilingOff) {
  setKernelProfiling(true); // clears the totals
  setKernelProfiling(false);
  profileStepBegin();
  madeUpStep();
  profileStepEnd();
  profileAddMillis(ProfilePhase::Update, 5);
  KernelProfile p = kernelProfile();
  EXPECT_EQ(p.steps, 0);
  EXPECT_EQ(p.stepMillis, 0);
  for (double ms : p.phaseMillis)
    EXPECT_EQ(ms, 0);
  EXPECT_EQ(formatKernelProfile(p), "profile: no train step ran\n");
}

} // namespace
