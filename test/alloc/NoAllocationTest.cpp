//===- NoAllocationTest.cpp - A train step never touches the heap ---------===//
///
/// \file
/// Issue #4 asks for one arena sized at compile time and no allocation inside
/// a train step. This executable replaces malloc, calloc, realloc, free,
/// aligned_alloc, posix_memalign, memalign and every operator new with
/// counting versions (forwarding to glibc's __libc_* functions), JIT-compiles
/// the char_rnn, gru, lstm and gru_dropout train steps at the d2l sizes
/// (V = 1027, B = 32, T = 35, compiled by driver::compileModel, as `rnnc
/// train` does; dropout masks are drawn in the loops, nothing allocated),
/// warms each up with two calls, and then requires zero heap calls, on any
/// thread, across three more calls with 1 and with 2 kernel threads.
///
/// It is its own binary (not part of rnnc-unittests) because replacing the
/// allocator is process-wide.
///
//===----------------------------------------------------------------------===//
#include "runtime/codegen/JIT.h"
#include "runtime/kernels/KernelsParallel.h"
#include "runtime/driver/Driver.h"
#include "runtime/driver/SyntheticCall.h"
#include "test/support/Examples.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <new>
#include <string>
#include <vector>

// --- Counting allocator ----------------------------------------------------

extern "C" {
void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);
void __libc_free(void *);
void *__libc_memalign(size_t, size_t);
}

namespace {
std::atomic<bool> counting{false};
std::atomic<int64_t> heapCalls{0};

inline void noteHeapCall() {
  if (counting.load(std::memory_order_relaxed))
    heapCalls.fetch_add(1, std::memory_order_relaxed);
}

void *countedNew(size_t bytes) {
  noteHeapCall();
  void *p = __libc_malloc(bytes ? bytes : 1);
  if (!p)
    throw std::bad_alloc();
  return p;
}

void *countedAlignedNew(size_t bytes, std::align_val_t align) {
  noteHeapCall();
  void *p = __libc_memalign(static_cast<size_t>(align), bytes ? bytes : 1);
  if (!p)
    throw std::bad_alloc();
  return p;
}

void countedDelete(void *p) {
  if (p)
    noteHeapCall();
  __libc_free(p);
}
} // namespace

extern "C" {
void *malloc(size_t bytes) {
  noteHeapCall();
  return __libc_malloc(bytes);
}
void *calloc(size_t n, size_t bytes) {
  noteHeapCall();
  return __libc_calloc(n, bytes);
}
void *realloc(void *p, size_t bytes) {
  noteHeapCall();
  return __libc_realloc(p, bytes);
}
void free(void *p) {
  if (p)
    noteHeapCall();
  __libc_free(p);
}
void *memalign(size_t align, size_t bytes) {
  noteHeapCall();
  return __libc_memalign(align, bytes);
}
void *aligned_alloc(size_t align, size_t bytes) {
  noteHeapCall();
  return __libc_memalign(align, bytes);
}
int posix_memalign(void **out, size_t align, size_t bytes) {
  noteHeapCall();
  void *p = __libc_memalign(align, bytes);
  if (!p)
    return ENOMEM;
  *out = p;
  return 0;
}
} // extern "C"

void *operator new(size_t bytes) { return countedNew(bytes); }
void *operator new[](size_t bytes) { return countedNew(bytes); }
void *operator new(size_t bytes, const std::nothrow_t &) noexcept {
  noteHeapCall();
  return __libc_malloc(bytes ? bytes : 1);
}
void *operator new[](size_t bytes, const std::nothrow_t &) noexcept {
  noteHeapCall();
  return __libc_malloc(bytes ? bytes : 1);
}
void *operator new(size_t bytes, std::align_val_t align) {
  return countedAlignedNew(bytes, align);
}
void *operator new[](size_t bytes, std::align_val_t align) {
  return countedAlignedNew(bytes, align);
}
void operator delete(void *p) noexcept { countedDelete(p); }
void operator delete[](void *p) noexcept { countedDelete(p); }
void operator delete(void *p, size_t) noexcept { countedDelete(p); }
void operator delete[](void *p, size_t) noexcept { countedDelete(p); }
void operator delete(void *p, std::align_val_t) noexcept { countedDelete(p); }
void operator delete[](void *p, std::align_val_t) noexcept { countedDelete(p); }
void operator delete(void *p, size_t, std::align_val_t) noexcept { countedDelete(p); }
void operator delete[](void *p, size_t, std::align_val_t) noexcept { countedDelete(p); }

// --- The test ----------------------------------------------------------------

using namespace rnnc;

namespace {

/// Heap calls made while `body` runs (on any thread).
template <typename Body> int64_t heapCallsDuring(Body body) {
  heapCalls.store(0);
  counting.store(true);
  body();
  counting.store(false);
  return heapCalls.load();
}

/// A JIT-compiled d2l train step with random parameters and tokens, and the
/// buffers its calls use (allocated here, once).
struct TrainStep {
  driver::CompiledModel compiled;
  std::unique_ptr<driver::SyntheticCall> call;

  void run() const { call->run(compiled.trainStep->function()); }
};

std::unique_ptr<TrainStep> compileD2LTrainStep(const std::string &model) {
  constexpr int64_t kVocab = 1027, kBatch = 32, kSteps = 35;
  auto compiled = fixtures::compileExample(model, {kVocab, kBatch, kSteps});
  if (!compiled)
    return nullptr;
  auto step = std::make_unique<TrainStep>();
  step->compiled = std::move(*compiled);
  const ir::Function &fn = *step->compiled.module->function("train_step");
  step->call = std::make_unique<driver::SyntheticCall>(fn, kVocab, /*seed=*/7, /*lo=*/-0.087,
                                                       /*hi=*/0.087);
  return step;
}

class NoAllocation : public ::testing::TestWithParam<const char *> {};

TEST_P(NoAllocation, TrainStepMakesNoHeapCallsAfterWarmUp) {
  auto step = compileD2LTrainStep(GetParam());
  ASSERT_TRUE(step);
  int before = runtime::kernelThreads();
  for (int threads : {1, 2}) {
    runtime::setKernelThreads(threads);
    step->run();
    step->run();
    int64_t calls = heapCallsDuring([&] {
      for (int i = 0; i < 3; ++i)
        step->run();
    });
    EXPECT_EQ(calls, 0) << GetParam() << " with " << threads
                        << " kernel thread(s): heap calls in 3 train steps";
  }
  runtime::setKernelThreads(before);
  float loss = step->call->firstResult();
  EXPECT_TRUE(loss > 0 && loss < 20) << "loss " << loss;
}

INSTANTIATE_TEST_SUITE_P(D2LModels, NoAllocation,
                         ::testing::Values("char_rnn.rnn", "gru.rnn", "lstm.rnn",
                                           "gru_dropout.rnn"));
// The row kernels (layer_norm) and a tied table's transposed product too.
INSTANTIATE_TEST_SUITE_P(NormalisedModels, NoAllocation,
                         ::testing::Values("lstm_layernorm.rnn", "tied_gru.rnn"));

/// The counter itself works: a std::vector growing inside the window is seen.
TEST(NoAllocationCounter, SeesAnAllocation) {
  std::vector<int> grown;
  int64_t calls = heapCallsDuring([&] { grown.resize(1000); });
  EXPECT_GT(calls, 0);
  static void *volatile sink = nullptr;
  calls = heapCallsDuring([&] {
    sink = std::malloc(64);
    std::free(sink);
  });
  EXPECT_EQ(calls, 2);
}

} // namespace
