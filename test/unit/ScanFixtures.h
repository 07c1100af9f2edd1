//===- ScanFixtures.h - Scan IR shared by codegen and pass tests -*- C++ -*-===//
///
/// \file
/// IR texts that exercise the scan rules of both the code generator
/// (CodegenTest.cpp) and hoist-scan (PassHoistScanTest.cpp): a scan nested
/// in a scan, and a reverse scan whose per-step outputs are summed over time,
/// stacked, returned and reduced over other axes.
///
//===----------------------------------------------------------------------===//
#pragma once

namespace rnnc::scan_fixtures {

/// An inner reverse scan per outer step over that step's [4,2] slice; its
/// per-step output is summed over (inner) time.
inline const char *kNestedScans = R"(module @T {
  func @f(input %c: f32[2], input %s: f32[3,4,2], input %w: f32[2,2])
      -> (c: f32[2], outs: f32[3,2], sums: f32[3,2]) {
    %c.1, %outs, %sums = scan(%c, %s, %w) {carried = 1, reverse = 0, sequences = 1} {
    ^body(%x: f32[2], %rows: f32[4,2], %w.1: f32[2,2]):
      %y, %ys = scan(%x, %rows, %w.1) {carried = 1, reverse = 1, sequences = 1} {
      ^body(%z: f32[2], %r: f32[2], %w.2: f32[2,2]):
        %0 = matmul(%z, %w.2) : f32[2]
        %1 = add(%0, %r) : f32[2]
        %2 = tanh(%1) : f32[2]
        %3 = mul(%2, %r) : f32[2]
        yield %2, %3
      } : f32[2], f32[4,2]
      %sum = reduce_sum(%ys) {axes = [0]} : f32[2]
      %4 = sub(%y, %x) : f32[2]
      yield %y, %4, %sum
    } : f32[2], f32[3,2], f32[3,2]
    return %c.1, %outs, %sums
  }
})";

/// %g (matmul_tn) and %st (a slice argument) are summed over time; %p is
/// only stacked; %q is both returned and reduced; %r is reduced over a
/// non-time axis.
inline const char *kTimeSumOfCarried = R"(module @T {
  func @f(input %h: f32[2,3], input %s: f32[4,2,3], input %w: f32[3,3])
      -> (h: f32[2,3], g: f32[3,3], st: f32[2,3], p: f32[4,2,3], q: f32[4,2,3], qs: f32[2,3], r: f32[4,3]) {
    %h.1, %g, %st, %p, %q, %r = scan(%h, %s, %w) {carried = 1, reverse = 1, sequences = 1} {
    ^body(%x: f32[2,3], %sl: f32[2,3], %w.1: f32[3,3]):
      %0 = matmul(%x, %w.1) : f32[2,3]
      %1 = tanh(%0) : f32[2,3]
      %2 = add(%1, %sl) : f32[2,3]
      %3 = matmul_tn(%x, %sl) : f32[3,3]
      %4 = mul(%2, %sl) : f32[2,3]
      %5 = sub(%2, %x) : f32[2,3]
      %6 = neg(%2) : f32[2,3]
      yield %2, %3, %sl, %4, %5, %6
    } : f32[2,3], f32[4,3,3], f32[4,2,3], f32[4,2,3], f32[4,2,3], f32[4,2,3]
    %gs = reduce_sum(%g) {axes = [0]} : f32[3,3]
    %sts = reduce_sum(%st) {axes = [0]} : f32[2,3]
    %qs = reduce_sum(%q) {axes = [0]} : f32[2,3]
    %rs = reduce_sum(%r) {axes = [1]} : f32[4,3]
    return %h.1, %gs, %sts, %p, %q, %qs, %rs
  }
})";

/// A scan that yields one body value (%0) as two per-step outputs: issue 10,
/// defect 1 (only one of the two stacked outputs was written).
inline const char *kYieldedTwice = R"(module @T {
  func @f(input %a: f32[2,3], input %s: f32[4,2,3], input %w: f32[3,3])
      -> (a: f32[2,3], p: f32[4,2,3], q: f32[4,2,3]) {
    %a.1, %p, %q = scan(%a, %s, %w) {carried = 1, reverse = 0, sequences = 1} {
    ^body(%x: f32[2,3], %st: f32[2,3], %w.1: f32[3,3]):
      %0 = matmul(%x, %w.1) : f32[2,3]
      %1 = add(%0, %st) : f32[2,3]
      %2 = tanh(%1) : f32[2,3]
      yield %2, %0, %0
    } : f32[2,3], f32[4,2,3], f32[4,2,3]
    return %a.1, %p, %q
  }
})";

} // namespace rnnc::scan_fixtures
