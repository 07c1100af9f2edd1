//===- KernelProfile.h - Where a train step's time goes ---------*- C++ -*-===//
///
/// \file
/// `rnnc train --profile`: the kernels time themselves and the trainer
/// brackets each train step, and the time of the step is split into phases
/// from the order of its kernel calls (autodiff's train step is the forward
/// scan, the time-batched products after it, the loss, then the reverse
/// scan and the gradient products):
///
/// - recurrence: from a per-step product (rnnc_matmul_packed) to the next
///   time-batched product or loss kernel, so the cell's generated
///   elementwise code between the per-step products counts here too;
///   forward before the loss kernel, backward after it;
/// - projections: the time-batched products (rnnc_matmul*: input and output
///   projections, and in the backward their gradients and the weight
///   gradients);
/// - loss: the softmax cross-entropy kernels;
/// - other: everything else in the step (gathers, copies, reductions, fused
///   loops outside the scans, packing the weights);
/// - update: clipping and the optimizer (TrainSession, outside the step);
/// - idle per core: per worker thread, the part of the steps' time it did
///   not run a chunk; for the calling thread, the time it waited for the
///   workers to finish theirs.
///
/// Off by default, and then nothing is timed: each kernel call pays one
/// relaxed atomic load and a branch that is not taken; the generated code
/// is the same with and without profiling.
///
//===----------------------------------------------------------------------===//
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace rnnc::runtime {

enum class ProfilePhase {
  RecurrenceForward,
  ProjectionsForward,
  OtherForward,
  Loss,
  RecurrenceBackward,
  ProjectionsBackward,
  OtherBackward,
  Update,
  Count
};

/// "recurrence forward", "projections backward", "update", ...
const char *profilePhaseName(ProfilePhase phase);

/// What a kernel is, for the phase it counts in.
enum class KernelKind { StepProduct, BatchedProduct, Loss, Other };

namespace profile_detail {
extern std::atomic<bool> enabled;
void kernelBegin(int64_t *startNanos);
void kernelEnd(KernelKind kind, int64_t startNanos);
} // namespace profile_detail

/// Whether the kernels time themselves.
inline bool kernelProfiling() {
  return profile_detail::enabled.load(std::memory_order_relaxed);
}

/// Turns profiling on or off; turning it on clears the totals.
void setKernelProfiling(bool on);

/// The trainer calls these around each call of the train step (on the
/// thread that runs it), and adds the update's time.
void profileStepBegin();
void profileStepEnd();
void profileAddMillis(ProfilePhase phase, double millis);

/// Times one kernel call when profiling is on (first statement of a kernel).
class KernelScope {
public:
  explicit KernelScope(KernelKind kind) : kind_(kind) {
    if (kernelProfiling())
      profile_detail::kernelBegin(&start_);
  }
  ~KernelScope() {
    if (start_ >= 0)
      profile_detail::kernelEnd(kind_, start_);
  }
  KernelScope(const KernelScope &) = delete;
  KernelScope &operator=(const KernelScope &) = delete;

private:
  KernelKind kind_;
  int64_t start_ = -1;
};

/// The worker pool reports each chunk a worker ran (worker >= 1) and each
/// wait of the calling thread for the workers.
void profileWorkerBusy(int worker, int64_t nanos);
void profileCallerWait(int64_t nanos);
/// Monotonic nanoseconds, for the pool's timing.
int64_t profileNowNanos();

/// The totals since profiling was turned on.
struct KernelProfile {
  int64_t steps = 0;
  double stepMillis = 0; ///< wall time inside the train steps
  double phaseMillis[static_cast<int>(ProfilePhase::Count)] = {};
  double callerWaitMillis = 0;
  std::vector<double> workerBusyMillis; ///< [i]: worker i + 1
};
KernelProfile kernelProfile();

/// The totals as a table, per step: each phase in ms and as a share of the
/// step plus update, then each core's idle share of the steps.
std::string formatKernelProfile(const KernelProfile &profile);

} // namespace rnnc::runtime
