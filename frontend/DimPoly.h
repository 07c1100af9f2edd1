//===- DimPoly.h - Symbolic dimensions: integer polynomials -----*- C++ -*-===//
///
/// \file
/// A dimension of a DSL shape as sema sees it: a canonical polynomial with
/// int64 coefficients over symbols (each named model dimension, the implicit
/// batch B and time T). `[E + H, 4 * H]` is {E + H, 4*H}; `slice(a, H, 2*H)`
/// has last axis 2*H - H = H. Two dimensions are the same exactly when their
/// polynomials are equal, whatever sizes the symbols are later bound to.
/// Every operation checks for int64 overflow and reports it as nullopt.
///
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rnnc::frontend {

/// The largest dimension and the largest tensor / total parameter count.
constexpr int64_t kMaxDimension = (int64_t{1} << 31) - 1;
constexpr int64_t kMaxElements = int64_t{1} << 31;

class DimPoly {
public:
  /// A product of symbols, as sorted symbol ids (repeated for powers).
  using Monomial = std::vector<int>;

  DimPoly() = default;
  static DimPoly constant(int64_t c);
  static DimPoly symbol(int id);

  static std::optional<DimPoly> add(const DimPoly &a, const DimPoly &b);
  static std::optional<DimPoly> sub(const DimPoly &a, const DimPoly &b);
  static std::optional<DimPoly> mul(const DimPoly &a, const DimPoly &b);

  bool operator==(const DimPoly &o) const { return terms_ == o.terms_; }
  bool operator!=(const DimPoly &o) const { return !(*this == o); }

  /// The value if the polynomial has no symbol.
  std::optional<int64_t> constantValue() const;
  /// The symbol id if the polynomial is exactly `1 * s`.
  std::optional<int> singleSymbol() const;
  /// True when the value is >= 0 for every binding of the symbols to
  /// integers >= 1: all non-constant coefficients >= 0 and the value at
  /// all-ones >= 0 (sufficient, not necessary).
  bool provablyNonNegative() const;
  /// The value with symbol i bound to values[i]; nullopt on overflow or if a
  /// symbol it uses has no value.
  std::optional<int64_t>
  evaluate(const std::vector<std::optional<int64_t>> &values) const;
  /// This polynomial with each symbol that has a value replaced by it (the
  /// others kept); nullopt on overflow.
  std::optional<DimPoly>
  substitute(const std::vector<std::optional<int64_t>> &values) const;
  bool usesSymbol(int id) const;

  /// `4*H`, `E+H`, `2*H-1`, `256` (the same text for the same polynomial).
  std::string str(const std::vector<std::string> &names) const;

private:
  std::map<Monomial, int64_t> terms_; ///< No zero coefficients.
};

} // namespace rnnc::frontend
