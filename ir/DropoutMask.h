//===- DropoutMask.h - Counter-based dropout masks, written once -*- C++ -*-===//
///
/// \file
/// The mask of the `dropout` op, defined once for the interpreter and the
/// generated code. Each element's keep bit is a pure function of a counter,
/// so no mask is stored, the backward recomputes it, and it is the same for
/// any thread count and any order of evaluation:
///
///   Philox4x32-10 (Salmon et al., SC'11; the Random123 constants) with
///     key     = (seed_lo, seed_hi + salt * 0x9E3779B9)
///     counter = (column, row_offset + batch row, time step, train step)
///   keep the element iff word 0 of the output >= keepThreshold(p)
///   (probability 1 - p to within 2^-32); a kept element is scaled by
///   1 / (1 - p) (inverted dropout), a dropped one is 0.
///
/// The key operand of `dropout` holds, per time step, the kKeyWords words
/// (seed_lo, seed_hi, train step, row offset, time step) as i32 bit
/// patterns; the trainer fills them (runtime/train/TrainSession.cpp).
///
/// `philox4x32` is a template over the word arithmetic: `uint32_t` in the
/// interpreter (PhiloxWords below), LLVM values in codegen
/// (runtime/codegen/CodegenDropout.cpp), so both compute the same bits.
/// Tests: test/unit/DropoutMaskTest.cpp (Random123's known answers).
///
//===----------------------------------------------------------------------===//
#pragma once

#include <array>
#include <cmath>
#include <cstdint>

namespace rnnc::ir {

/// Words of one time step's dropout key, and what each holds.
enum DropoutKeyWord : int {
  kKeySeedLo = 0,
  kKeySeedHi = 1,
  kKeyStep = 2,
  kKeyRowOffset = 3,
  kKeyTime = 4,
  kKeyWords = 5,
};

constexpr uint32_t kPhiloxM0 = 0xD2511F53u, kPhiloxM1 = 0xCD9E8D57u;
constexpr uint32_t kPhiloxW0 = 0x9E3779B9u, kPhiloxW1 = 0xBB67AE85u;

/// Philox4x32 with 10 rounds. `Ops` supplies the word type `Word` and
///   mulHi(a, m), mulLo(a, m)  the high / low 32 bits of a * m (m constant)
///   xor3(a, b, c)             a ^ b ^ c
///   add(a, m)                 a + m modulo 2^32 (m constant)
template <class Ops>
std::array<typename Ops::Word, 4>
philox4x32(Ops &ops, std::array<typename Ops::Word, 4> c,
           std::array<typename Ops::Word, 2> k) {
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k[0] = ops.add(k[0], kPhiloxW0);
      k[1] = ops.add(k[1], kPhiloxW1);
    }
    auto hi0 = ops.mulHi(c[0], kPhiloxM0), lo0 = ops.mulLo(c[0], kPhiloxM0);
    auto hi1 = ops.mulHi(c[2], kPhiloxM1), lo1 = ops.mulLo(c[2], kPhiloxM1);
    c = {ops.xor3(hi1, c[1], k[0]), lo1, ops.xor3(hi0, c[3], k[1]), lo0};
  }
  return c;
}

/// Plain 32-bit words (the interpreter, tests).
struct PhiloxWords {
  using Word = uint32_t;
  Word mulHi(Word a, uint32_t m) const {
    return static_cast<Word>((uint64_t{a} * m) >> 32);
  }
  Word mulLo(Word a, uint32_t m) const { return a * m; }
  Word xor3(Word a, Word b, Word c) const { return a ^ b ^ c; }
  Word add(Word a, uint32_t m) const { return a + m; }
};

/// The second key word: the seed's high half mixed with the op's salt, so
/// two dropout ops of one model draw independent masks.
inline uint32_t dropoutKeyHi(uint32_t seedHi, int64_t salt) {
  return seedHi + static_cast<uint32_t>(salt) * kPhiloxW0;
}

/// An element is kept iff Philox word 0 >= this (p in [0, 1)).
inline uint32_t keepThreshold(double p) {
  double t = std::ldexp(p, 32);
  return t >= 4294967295.0 ? 0xFFFFFFFFu : static_cast<uint32_t>(t);
}

/// What a kept element is multiplied by.
inline float keepScale(double p) { return static_cast<float>(1.0 / (1.0 - p)); }

/// Whether the element at (column, row, time, step) is kept.
inline bool dropoutKeeps(const std::array<uint32_t, kKeyWords> &key, int64_t salt,
                         uint32_t threshold, uint32_t column, uint32_t row) {
  PhiloxWords ops;
  auto out = philox4x32(
      ops, {column, key[kKeyRowOffset] + row, key[kKeyTime], key[kKeyStep]},
      {key[kKeySeedLo], dropoutKeyHi(key[kKeySeedHi], salt)});
  return out[0] >= threshold;
}

} // namespace rnnc::ir
