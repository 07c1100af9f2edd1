//===- Error.h - Recoverable failures of library functions ------*- C++ -*-===//
///
/// \file
/// What a library function returns when it cannot do its job: an Error (a
/// message, lower-case with no trailing period, and the source location it
/// is about when there is one) or, for functions that produce something,
/// an Expected<T> holding either the T or the Error. A small stand-in for
/// llvm::Error / llvm::Expected where LLVM may not be used (ir, passes,
/// frontend, and the interfaces built on them).
///
/// A function that produces nothing returns Expected<void>: success is
/// `return {};` (or `Expected<void>::success()`), failure `return Error(...)`.
/// There is no second convention: no interface returns `bool` with a
/// `std::string *error`, nor an optional message meaning failure.
///
/// Expected is [[nodiscard]]: a failure cannot be dropped silently. A caller
/// that truly does not care says so with `(void)`.
///
/// Errors with a location in a model are reported as they are found,
/// through DiagnosticEngine (the source line and a caret, possibly several
/// of them); the function then returns Error::diagnosed(), and the caller
/// prints nothing more.
///
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Diagnostics.h"

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace rnnc {

class Error {
public:
  explicit Error(std::string message, SourceLocation location = {})
      : message_(std::move(message)), location_(location) {}
  /// The failure was already reported as diagnostics.
  static Error diagnosed() {
    Error e("the model has errors");
    e.diagnosed_ = true;
    return e;
  }

  const std::string &message() const { return message_; }
  SourceLocation location() const { return location_; }
  bool isDiagnosed() const { return diagnosed_; }

private:
  std::string message_;
  SourceLocation location_;
  bool diagnosed_ = false;
};

/// A T, or the Error that prevented it.
template <typename T> class [[nodiscard]] Expected {
public:
  Expected(T value) : storage_(std::move(value)) {}
  Expected(Error error) : storage_(std::move(error)) {}

  explicit operator bool() const { return storage_.index() == 0; }
  T &operator*() {
    assert(*this && "no value in a failed Expected");
    return std::get<0>(storage_);
  }
  const T &operator*() const {
    assert(*this && "no value in a failed Expected");
    return std::get<0>(storage_);
  }
  T *operator->() { return &**this; }
  const T *operator->() const { return &**this; }
  const Error &error() const {
    assert(!*this && "no error in a successful Expected");
    return std::get<1>(storage_);
  }

private:
  std::variant<T, Error> storage_;
};

/// Success, or the Error that prevented it, for functions that produce
/// nothing.
template <> class [[nodiscard]] Expected<void> {
public:
  Expected() = default;
  Expected(Error error) : error_(std::move(error)), failed_(true) {}
  static Expected success() { return {}; }

  explicit operator bool() const { return !failed_; }
  const Error &error() const {
    assert(failed_ && "no error in a successful Expected");
    return error_;
  }

private:
  Error error_{std::string()};
  bool failed_ = false;
};

} // namespace rnnc
