//===- KernelsThreadCountTest.cpp - Kernels with the same bits on any threads ===//
///
/// \file
/// Every kernel that splits its work across the kernel threads, at odd and
/// d2l-like sizes large enough to be split, with 1, 2 and 3 threads: the
/// results must be bit-identical (not merely close). parallelChunks cuts a
/// job into chunks that depend on its size and work only, and the threads
/// share those chunks out; these tests check the cutting and each kernel.
/// (Before, the chunks were one per thread: the product of 28 columns ran
/// as one OpenBLAS call on 1 thread and as two 14-column Eigen products on
/// 2, and OpenBLAS's edge kernels fell on other columns, so the bits moved.)
///
//===----------------------------------------------------------------------===//
#include "runtime/kernels/Kernels.h"
#include "runtime/kernels/KernelsParallel.h"
#include "runtime/train/Optimizer.h"
#include "test/unit/KernelTestSupport.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

using namespace rnnc;
using rnnc::kernel_test::Shape;
using rnnc::kernel_test::values;

namespace {

constexpr int kThreadCounts[] = {1, 2, 3};

/// Runs `compute` with each thread count in kThreadCounts and expects the
/// floats it returns to have the same bits every time.
void expectSameBits(const std::function<std::vector<float>()> &compute,
                    const std::string &what) {
  int before = runtime::kernelThreads();
  std::vector<std::vector<float>> outs;
  for (int threads : kThreadCounts) {
    runtime::setKernelThreads(threads);
    outs.push_back(compute());
  }
  runtime::setKernelThreads(before);
  for (size_t t = 1; t < outs.size(); ++t) {
    ASSERT_EQ(outs[t].size(), outs[0].size()) << what;
    for (size_t i = 0; i < outs[0].size(); ++i)
      if (std::memcmp(&outs[t][i], &outs[0][i], sizeof(float)) != 0) {
        ADD_FAILURE() << what << ": element " << i << " is " << outs[t][i] << " on "
                      << kThreadCounts[t] << " threads, " << outs[0][i] << " on 1";
        break;
      }
  }
}

std::string describe(const char *kernel, Shape s) {
  return std::string(kernel) + " " + std::to_string(s.m) + "x" + std::to_string(s.k) +
         "x" + std::to_string(s.n);
}

/// Split-size products: the d2l output projection and its gradients, a
/// small vocabulary (28 columns: two chunks of 14), odd sizes everywhere,
/// a merged GRU/LSTM gate product.
const Shape kShapes[] = {{1120, 256, 28}, {1120, 64, 1027}, {37, 53, 1027},
                         {32, 256, 768},  {97, 131, 61},    {1120, 17, 19},
                         {64, 96, 720},   {33, 257, 129}};

TEST(KernelsThreadCount, ChunksDependOnSizeAndWorkOnly) {
  for (int64_t count : {1, 7, 15, 16, 17, 23, 24, 31, 33, 48, 61, 257, 1027, 1120, 40000}) {
    for (double work : {1e3, 1e6, 1e9}) {
      SCOPED_TRACE("count " + std::to_string(count) + " work " + std::to_string(work));
      std::set<std::pair<int64_t, int64_t>> first;
      for (int threads : kThreadCounts) {
        int before = runtime::kernelThreads();
        runtime::setKernelThreads(threads);
        std::mutex mutex;
        std::set<std::pair<int64_t, int64_t>> seen;
        std::vector<int> covered(static_cast<size_t>(count), 0);
        runtime::parallelChunks(count, work, [&](int64_t b, int64_t e) {
          std::lock_guard<std::mutex> lock(mutex);
          seen.insert({b, e});
          for (int64_t i = b; i < e; ++i)
            ++covered[static_cast<size_t>(i)];
        });
        runtime::setKernelThreads(before);
        for (int64_t i = 0; i < count; ++i)
          ASSERT_EQ(covered[static_cast<size_t>(i)], 1) << "item " << i << ", " << threads << " threads";
        for (const auto &chunk : seen)
          EXPECT_LT(chunk.first, chunk.second);
        if (threads == 1)
          first = seen;
        else
          EXPECT_EQ(seen, first) << threads << " threads cut other chunks than 1";
      }
    }
  }
}

TEST(KernelsThreadCount, ChunkBoundariesAreEvenAndAligned) {
  // 1027 columns in 4 chunks: boundaries on multiples of 8, none far off.
  ASSERT_EQ(runtime::chunkCount(1027, 1e9), 4);
  EXPECT_EQ(runtime::chunkBegin(1027, 4, 0), 0);
  EXPECT_EQ(runtime::chunkBegin(1027, 4, 1), 256);
  EXPECT_EQ(runtime::chunkBegin(1027, 4, 2), 512);
  EXPECT_EQ(runtime::chunkBegin(1027, 4, 3), 768);
  EXPECT_EQ(runtime::chunkBegin(1027, 4, 4), 1027);
  // 48 panels: too short to align, split evenly.
  ASSERT_EQ(runtime::chunkCount(48, 1e9), 4);
  EXPECT_EQ(runtime::chunkBegin(48, 4, 1), 12);
  EXPECT_EQ(runtime::chunkBegin(48, 4, 3), 36);
  // Small or cheap jobs are not split.
  EXPECT_EQ(runtime::chunkCount(15, 1e9), 1);
  EXPECT_EQ(runtime::chunkCount(1027, 100), 1);
}

TEST(KernelsThreadCount, ProductsAreBitIdentical) {
  for (Shape s : kShapes) {
    std::vector<float> a = values(s.m * s.k, 1), b = values(s.k * s.n, 2),
                       bt = values(s.n * s.k, 3), bias = values(s.n, 4),
                       at = values(s.k * s.m, 5), c = values(s.k * s.n, 6);
    expectSameBits([&] {
      std::vector<float> out(static_cast<size_t>(s.m * s.n));
      rnnc_matmul(a.data(), b.data(), out.data(), s.m, s.k, s.n);
      return out;
    }, describe("rnnc_matmul", s));
    expectSameBits([&] {
      std::vector<float> out(static_cast<size_t>(s.m * s.n));
      rnnc_matmul_bias(a.data(), b.data(), bias.data(), out.data(), s.m, s.k, s.n);
      return out;
    }, describe("rnnc_matmul_bias", s));
    expectSameBits([&] {
      // a[m,k] · bt[n,k]ᵀ: out[m,n]
      std::vector<float> out(static_cast<size_t>(s.m * s.n));
      rnnc_matmul_nt(a.data(), bt.data(), out.data(), s.m, s.k, s.n);
      return out;
    }, describe("rnnc_matmul_nt", s));
    expectSameBits([&] {
      // at[k,m]ᵀ · c[k,n]: out[m,n], then accumulated once more.
      std::vector<float> out(static_cast<size_t>(s.m * s.n));
      rnnc_matmul_tn(at.data(), c.data(), out.data(), s.k, s.m, s.n, 0);
      rnnc_matmul_tn(at.data(), c.data(), out.data(), s.k, s.m, s.n, 1);
      return out;
    }, describe("rnnc_matmul_tn", s));
  }
}

TEST(KernelsThreadCount, PackedProductIsBitIdentical) {
  for (Shape s : kShapes) {
    std::vector<float> a = values(s.m * s.k, 7), b = values(s.k * s.n, 8);
    size_t floats = static_cast<size_t>(runtime::packedPanelFloats(s.k, s.n));
    std::unique_ptr<float, decltype(&std::free)> packed(
        static_cast<float *>(std::aligned_alloc(64, (floats * 4 + 63) / 64 * 64)), &std::free);
    rnnc_pack_panels(b.data(), packed.get(), s.k, s.n, 0);
    expectSameBits([&] {
      std::vector<float> out(static_cast<size_t>(s.m * s.n));
      rnnc_matmul_packed(a.data(), packed.get(), out.data(), s.m, s.k, s.n);
      return out;
    }, describe("rnnc_matmul_packed", s));
  }
}

TEST(KernelsThreadCount, ColumnSumsAreBitIdentical) {
  // Bias gradients and time sums: [rows, cols] summed over rows (and a
  // rank-3 [T, B, H] summed over T and B).
  for (auto [rows, cols] : std::vector<std::pair<int64_t, int64_t>>{
           {1120, 1027}, {1120, 28}, {35, 3 * 257}, {4099, 17}}) {
    std::vector<float> src = values(rows * cols, 9);
    expectSameBits([&] {
      std::vector<float> out(static_cast<size_t>(cols));
      int64_t shape[] = {rows, cols}, reduced[] = {1, 0};
      rnnc_reduce_sum(src.data(), out.data(), shape, reduced, 2);
      return out;
    }, "rnnc_reduce_sum " + std::to_string(rows) + "x" + std::to_string(cols));
  }
  std::vector<float> src = values(35 * 32 * 257, 10);
  expectSameBits([&] {
    std::vector<float> out(257);
    int64_t shape[] = {35, 32, 257}, reduced[] = {1, 1, 0};
    rnnc_reduce_sum(src.data(), out.data(), shape, reduced, 3);
    return out;
  }, "rnnc_reduce_sum 35x32x257");
}

/// The copies split across the threads (gather, scatter_add, copy_columns,
/// panel packing) at the d2l LSTM's sizes: the same bits on any thread
/// count, and those of a plain serial loop; scatter_add's repeated ids
/// (a character seen many times) add their rows in row order.
TEST(KernelsThreadCount, CopiesAndScatterAreBitIdentical) {
  const int64_t rows = 1120, vocab = 1027, width = 256;
  std::vector<float> table = values(vocab * width, 11), src = values(rows * width, 12);
  std::vector<int32_t> ids(static_cast<size_t>(rows));
  for (int64_t i = 0; i < rows; ++i)
    ids[static_cast<size_t>(i)] = static_cast<int32_t>((i * 37 + i / 7) % vocab); // some repeat
  std::vector<float> gathered(static_cast<size_t>(rows * width)),
      scattered(static_cast<size_t>(vocab * width), 0.0f);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t c = 0; c < width; ++c) {
      gathered[static_cast<size_t>(i * width + c)] = table[static_cast<size_t>(ids[i] * width + c)];
      scattered[static_cast<size_t>(ids[i] * width + c)] += src[static_cast<size_t>(i * width + c)];
    }
  auto gather = [&] {
    std::vector<float> out(static_cast<size_t>(rows * width));
    rnnc_gather(table.data(), ids.data(), out.data(), rows, vocab, width);
    return out;
  };
  auto scatter = [&] {
    std::vector<float> out(static_cast<size_t>(vocab * width), 1.0f);
    rnnc_scatter_add(ids.data(), src.data(), out.data(), rows, vocab, width, 0);
    return out;
  };
  EXPECT_EQ(gather(), gathered);
  EXPECT_EQ(scatter(), scattered);
  expectSameBits(gather, "rnnc_gather 1120x256");
  expectSameBits(scatter, "rnnc_scatter_add 1120x256");
  // The concat of four gates' [1120, 256] blocks into [1120, 1024].
  expectSameBits([&] {
    std::vector<float> out(static_cast<size_t>(rows * 4 * width));
    for (int64_t g = 0; g < 4; ++g)
      rnnc_copy_columns(src.data(), out.data(), rows, width, 0, 4 * width, g * width, width);
    return out;
  }, "rnnc_copy_columns 1120x256 -> 1120x1024");
  std::vector<float> weight = values(width * 1030, 13);
  for (int64_t transposed : {0, 1})
    expectSameBits([&] {
      std::vector<float> out(static_cast<size_t>(runtime::packedPanelFloats(width, 1030)));
      rnnc_pack_panels(weight.data(), out.data(), width, 1030, transposed);
      return out;
    }, "rnnc_pack_panels 256x1030");
}

/// A fused loop as the code generator outlines it: a running sum along each
/// row (order-sensitive within a row), rows split across the threads.
void rowPrefixSums(void **context, int64_t begin, int64_t end) {
  const float *src = static_cast<const float *>(context[0]);
  float *dst = static_cast<float *>(context[1]);
  int64_t cols = *static_cast<const int64_t *>(context[2]);
  for (int64_t r = begin; r < end; ++r) {
    float sum = 0;
    for (int64_t c = 0; c < cols; ++c)
      dst[r * cols + c] = sum += src[r * cols + c] * 1.25f;
  }
}

TEST(KernelsThreadCount, ParallelForIsBitIdentical) {
  for (auto [rows, cols] : std::vector<std::pair<int64_t, int64_t>>{{1120, 257}, {33, 1027}, {4099, 1}}) {
    std::vector<float> src = values(rows * cols, 11);
    expectSameBits([&] {
      std::vector<float> out(static_cast<size_t>(rows * cols), -1.0f);
      int64_t width = cols;
      void *context[] = {src.data(), out.data(), &width};
      rnnc_parallel_for(&rowPrefixSums, context, rows, 1 << 24);
      return out;
    }, "rnnc_parallel_for " + std::to_string(rows) + "x" + std::to_string(cols));
  }
}

TEST(KernelsThreadCount, CrossEntropyIsBitIdentical) {
  for (auto [rows, classes] : std::vector<std::pair<int64_t, int64_t>>{{1120, 28}, {1117, 1027}, {33, 61}}) {
    std::vector<float> logits = values(rows * classes, 12);
    std::vector<int32_t> labels(static_cast<size_t>(rows));
    for (size_t i = 0; i < labels.size(); ++i)
      labels[i] = static_cast<int32_t>((i * 13) % static_cast<size_t>(classes));
    float dloss = 1.0f;
    expectSameBits([&] {
      std::vector<float> out(static_cast<size_t>(rows * classes) + 1);
      rnnc_cross_entropy_with_grad(logits.data(), labels.data(), &dloss, &out.back(),
                                   out.data(), rows, classes);
      return out;
    }, "rnnc_cross_entropy_with_grad " + std::to_string(rows) + "x" + std::to_string(classes));
  }
}

TEST(KernelsThreadCount, GradientNormClipAndUpdateAreBitIdentical) {
  // Gradients of odd sizes, one of them several norm blocks long.
  const size_t sizes[] = {1027 * 256 + 3, 257, 5, 65537};
  expectSameBits([&] {
    std::vector<std::vector<float>> grads, params;
    std::vector<runtime::FloatSpan> gradSpans, paramSpans;
    std::vector<runtime::ConstFloatSpan> constGrads;
    for (size_t i = 0; i < std::size(sizes); ++i) {
      grads.push_back(values(static_cast<int64_t>(sizes[i]), 20 + static_cast<uint32_t>(i)));
      params.push_back(values(static_cast<int64_t>(sizes[i]), 30 + static_cast<uint32_t>(i)));
    }
    for (size_t i = 0; i < grads.size(); ++i) {
      gradSpans.emplace_back(grads[i].data(), grads[i].size());
      paramSpans.emplace_back(params[i].data(), params[i].size());
      constGrads.emplace_back(grads[i].data(), grads[i].size());
    }
    double norm = runtime::clipByGlobalNorm(gradSpans, 1.0);
    runtime::SgdOptimizer sgd(0.5);
    rnnc::Expected<void> stepped = sgd.step(paramSpans, constGrads, 1.0f);
    EXPECT_TRUE(stepped) << (stepped ? "" : stepped.error().message());
    std::vector<float> out{static_cast<float>(norm), static_cast<float>(norm - static_cast<float>(norm))};
    for (auto &p : params)
      out.insert(out.end(), p.begin(), p.end());
    return out;
  }, "clipByGlobalNorm + SGD");
}

} // namespace
