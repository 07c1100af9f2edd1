//===- DimPoly.cpp - Symbolic dimensions: integer polynomials -------------===//
///
/// \file
/// Canonical polynomials over dimension symbols, with every coefficient
/// operation overflow-checked (`__builtin_*_overflow`); see DimPoly.h.
///
//===----------------------------------------------------------------------===//
#include "frontend/DimPoly.h"

#include <algorithm>

namespace rnnc::frontend {

DimPoly DimPoly::constant(int64_t c) {
  DimPoly p;
  if (c != 0)
    p.terms_[{}] = c;
  return p;
}

DimPoly DimPoly::symbol(int id) {
  DimPoly p;
  p.terms_[{id}] = 1;
  return p;
}

namespace {
bool accumulate(std::map<DimPoly::Monomial, int64_t> &terms,
                const DimPoly::Monomial &m, int64_t c) {
  int64_t &slot = terms[m];
  if (__builtin_add_overflow(slot, c, &slot))
    return false;
  if (slot == 0)
    terms.erase(m);
  return true;
}
} // namespace

std::optional<DimPoly> DimPoly::add(const DimPoly &a, const DimPoly &b) {
  DimPoly r = a;
  for (const auto &[m, c] : b.terms_)
    if (!accumulate(r.terms_, m, c))
      return std::nullopt;
  return r;
}

std::optional<DimPoly> DimPoly::sub(const DimPoly &a, const DimPoly &b) {
  DimPoly r = a;
  for (const auto &[m, c] : b.terms_) {
    int64_t neg;
    if (__builtin_sub_overflow(int64_t{0}, c, &neg) || !accumulate(r.terms_, m, neg))
      return std::nullopt;
  }
  return r;
}

std::optional<DimPoly> DimPoly::mul(const DimPoly &a, const DimPoly &b) {
  DimPoly r;
  for (const auto &[ma, ca] : a.terms_)
    for (const auto &[mb, cb] : b.terms_) {
      int64_t c;
      if (__builtin_mul_overflow(ca, cb, &c))
        return std::nullopt;
      Monomial m = ma;
      m.insert(m.end(), mb.begin(), mb.end());
      std::sort(m.begin(), m.end());
      if (!accumulate(r.terms_, m, c))
        return std::nullopt;
    }
  return r;
}

std::optional<int64_t> DimPoly::constantValue() const {
  if (terms_.empty())
    return 0;
  if (terms_.size() == 1 && terms_.begin()->first.empty())
    return terms_.begin()->second;
  return std::nullopt;
}

std::optional<int> DimPoly::singleSymbol() const {
  if (terms_.size() == 1 && terms_.begin()->first.size() == 1 &&
      terms_.begin()->second == 1)
    return terms_.begin()->first[0];
  return std::nullopt;
}

bool DimPoly::provablyNonNegative() const {
  int64_t atOnes = 0;
  for (const auto &[m, c] : terms_) {
    if (!m.empty() && c < 0)
      return false;
    if (__builtin_add_overflow(atOnes, c, &atOnes))
      return false;
  }
  return atOnes >= 0;
}

std::optional<int64_t>
DimPoly::evaluate(const std::vector<std::optional<int64_t>> &values) const {
  int64_t sum = 0;
  for (const auto &[m, c] : terms_) {
    int64_t term = c;
    for (int id : m) {
      if (id < 0 || static_cast<size_t>(id) >= values.size() || !values[id])
        return std::nullopt;
      if (__builtin_mul_overflow(term, *values[id], &term))
        return std::nullopt;
    }
    if (__builtin_add_overflow(sum, term, &sum))
      return std::nullopt;
  }
  return sum;
}

std::optional<DimPoly>
DimPoly::substitute(const std::vector<std::optional<int64_t>> &values) const {
  DimPoly r;
  for (const auto &[m, c] : terms_) {
    int64_t coeff = c;
    Monomial rest;
    for (int id : m) {
      if (id >= 0 && static_cast<size_t>(id) < values.size() && values[id]) {
        if (__builtin_mul_overflow(coeff, *values[id], &coeff))
          return std::nullopt;
      } else {
        rest.push_back(id);
      }
    }
    if (!accumulate(r.terms_, rest, coeff))
      return std::nullopt;
  }
  return r;
}

bool DimPoly::usesSymbol(int id) const {
  for (const auto &[m, c] : terms_)
    if (std::find(m.begin(), m.end(), id) != m.end())
      return true;
  return false;
}

std::string DimPoly::str(const std::vector<std::string> &names) const {
  if (terms_.empty())
    return "0";
  std::string out;
  // Highest degree first, the constant last: `2*H-1`.
  std::vector<std::pair<Monomial, int64_t>> ordered(terms_.begin(), terms_.end());
  std::stable_sort(ordered.begin(), ordered.end(), [](const auto &x, const auto &y) {
    return x.first.size() > y.first.size();
  });
  for (const auto &[m, c] : ordered) {
    bool negative = c < 0;
    uint64_t mag = negative ? 0 - static_cast<uint64_t>(c) : static_cast<uint64_t>(c);
    if (!out.empty() || negative)
      out += negative ? "-" : "+";
    std::string factors;
    for (int id : m)
      factors += (factors.empty() ? "" : "*") +
                 (static_cast<size_t>(id) < names.size() ? names[id] : "?");
    if (m.empty())
      out += std::to_string(mag);
    else if (mag == 1)
      out += factors;
    else
      out += std::to_string(mag) + "*" + factors;
  }
  return out;
}

} // namespace rnnc::frontend
