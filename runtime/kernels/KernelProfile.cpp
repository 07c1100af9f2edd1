//===- KernelProfile.cpp - Where a train step's time goes -----------------===//
///
/// \file
/// 1. the trainer opens a step on its thread: the clock starts, the state is
///    "forward, not in the recurrence";
/// 2. each kernel call on that thread first gives the time since the last
///    call ended (generated code) to the phase the state names, then its
///    own time to the phase of its kind (KernelProfile.h), and moves the
///    state: a per-step product enters the recurrence, a time-batched
///    product or the loss leaves it, the loss ends the forward half;
/// 3. closing the step gives the rest to the state's phase;
/// 4. the pool adds each worker's chunk times and the caller's waits.
/// Kernels called outside a step (generation) or on other threads are not
/// counted.
///
//===----------------------------------------------------------------------===//
#include "runtime/kernels/KernelProfile.h"

#include <fmt/format.h>

#include <chrono>
#include <thread>

namespace rnnc::runtime {

namespace profile_detail {
std::atomic<bool> enabled{false};
} // namespace profile_detail

namespace {

constexpr int kPhases = static_cast<int>(ProfilePhase::Count);
constexpr int kMaxWorkers = 64;

/// Touched only by the thread that runs the step.
struct StepState {
  std::thread::id thread;
  int64_t start = 0, lastEnd = 0;
  bool inRecurrence = false, backward = false, inKernel = false;
};

StepState state;
std::atomic<bool> inStep{false};
int64_t steps = 0;
int64_t stepNanos = 0, callerWaitNanos = 0;
int64_t phaseNanos[kPhases] = {};
std::atomic<int64_t> workerBusyNanos[kMaxWorkers + 1] = {};

ProfilePhase currentPhase(KernelKind kind) {
  bool back = state.backward;
  switch (kind) {
  case KernelKind::StepProduct:
    return back ? ProfilePhase::RecurrenceBackward : ProfilePhase::RecurrenceForward;
  case KernelKind::BatchedProduct:
    return back ? ProfilePhase::ProjectionsBackward : ProfilePhase::ProjectionsForward;
  case KernelKind::Loss:
    return ProfilePhase::Loss;
  case KernelKind::Other:
    break;
  }
  if (state.inRecurrence)
    return back ? ProfilePhase::RecurrenceBackward : ProfilePhase::RecurrenceForward;
  return back ? ProfilePhase::OtherBackward : ProfilePhase::OtherForward;
}

void add(ProfilePhase phase, int64_t nanos) { phaseNanos[static_cast<int>(phase)] += nanos; }

bool onStepThread() {
  return inStep.load(std::memory_order_relaxed) && state.thread == std::this_thread::get_id();
}

} // namespace

int64_t profileNowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

const char *profilePhaseName(ProfilePhase phase) {
  switch (phase) {
  case ProfilePhase::RecurrenceForward:
    return "recurrence forward";
  case ProfilePhase::ProjectionsForward:
    return "projections forward";
  case ProfilePhase::OtherForward:
    return "other forward";
  case ProfilePhase::Loss:
    return "loss";
  case ProfilePhase::RecurrenceBackward:
    return "recurrence backward";
  case ProfilePhase::ProjectionsBackward:
    return "projections backward";
  case ProfilePhase::OtherBackward:
    return "other backward";
  case ProfilePhase::Update:
    return "update";
  case ProfilePhase::Count:
    break;
  }
  return "?";
}

void setKernelProfiling(bool on) {
  if (on) {
    steps = stepNanos = callerWaitNanos = 0;
    for (int64_t &n : phaseNanos)
      n = 0;
    for (auto &n : workerBusyNanos)
      n.store(0, std::memory_order_relaxed);
  }
  profile_detail::enabled.store(on, std::memory_order_relaxed);
}

void profileStepBegin() {
  if (!kernelProfiling())
    return;
  state = StepState();
  state.thread = std::this_thread::get_id();
  state.start = state.lastEnd = profileNowNanos();
  inStep.store(true, std::memory_order_relaxed);
}

void profileStepEnd() {
  if (!onStepThread())
    return;
  int64_t now = profileNowNanos();
  add(currentPhase(KernelKind::Other), now - state.lastEnd);
  stepNanos += now - state.start;
  ++steps;
  inStep.store(false, std::memory_order_relaxed);
}

void profileAddMillis(ProfilePhase phase, double millis) {
  if (kernelProfiling())
    add(phase, static_cast<int64_t>(millis * 1e6));
}

namespace profile_detail {

void kernelBegin(int64_t *startNanos) {
  if (!onStepThread() || state.inKernel)
    return; // outside a step, or a kernel inside a kernel
  int64_t now = profileNowNanos();
  add(currentPhase(KernelKind::Other), now - state.lastEnd);
  state.inKernel = true;
  *startNanos = now;
}

void kernelEnd(KernelKind kind, int64_t startNanos) {
  int64_t now = profileNowNanos();
  if (kind == KernelKind::StepProduct)
    state.inRecurrence = true;
  else if (kind != KernelKind::Other)
    state.inRecurrence = false;
  add(currentPhase(kind), now - startNanos);
  if (kind == KernelKind::Loss)
    state.backward = true;
  state.lastEnd = now;
  state.inKernel = false;
}

} // namespace profile_detail

void profileWorkerBusy(int worker, int64_t nanos) {
  if (inStep.load(std::memory_order_relaxed) && worker > 0 && worker <= kMaxWorkers)
    workerBusyNanos[worker].fetch_add(nanos, std::memory_order_relaxed);
}

void profileCallerWait(int64_t nanos) {
  if (onStepThread())
    callerWaitNanos += nanos;
}

KernelProfile kernelProfile() {
  KernelProfile p;
  p.steps = steps;
  p.stepMillis = static_cast<double>(stepNanos) / 1e6;
  for (int i = 0; i < kPhases; ++i)
    p.phaseMillis[i] = static_cast<double>(phaseNanos[i]) / 1e6;
  p.callerWaitMillis = static_cast<double>(callerWaitNanos) / 1e6;
  int last = 0;
  for (int w = 1; w <= kMaxWorkers; ++w)
    if (workerBusyNanos[w].load(std::memory_order_relaxed) > 0)
      last = w;
  for (int w = 1; w <= last; ++w)
    p.workerBusyMillis.push_back(
        static_cast<double>(workerBusyNanos[w].load(std::memory_order_relaxed)) / 1e6);
  return p;
}

std::string formatKernelProfile(const KernelProfile &p) {
  if (p.steps == 0)
    return "profile: no train step ran\n";
  double per = 1.0 / static_cast<double>(p.steps);
  double update = p.phaseMillis[static_cast<int>(ProfilePhase::Update)];
  double total = p.stepMillis + update;
  std::string out = fmt::format(
      "profile: {} train steps, {:.2f} ms per step + {:.2f} ms update\n", p.steps,
      p.stepMillis * per, update * per);
  out += fmt::format("  {:<22}{:>9}{:>8}\n", "phase", "ms/step", "share");
  for (int i = 0; i < kPhases; ++i)
    out += fmt::format("  {:<22}{:>9.3f}{:>7.1f}%\n",
                       profilePhaseName(static_cast<ProfilePhase>(i)),
                       p.phaseMillis[i] * per, 100.0 * p.phaseMillis[i] / total);
  out += fmt::format("  idle during the steps: caller {:.1f}% (waiting for workers)",
                     100.0 * p.callerWaitMillis / p.stepMillis);
  for (size_t w = 0; w < p.workerBusyMillis.size(); ++w)
    out += fmt::format(", worker {} {:.1f}%", w + 1,
                       100.0 * (1.0 - p.workerBusyMillis[w] / p.stepMillis));
  return out + "\n";
}

} // namespace rnnc::runtime
