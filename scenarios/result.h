// Result<T>: a value or an Error, for failures at the boundary (a malformed
// file, a bad flag). Invariant violations inside tarmac are not Results: they
// abort (see TARMAC_CHECK).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <variant>

namespace tarmac {

// A user-facing error. The message names the file, the field or position, and
// the offending value, e.g. "a.xml: <lanelet id=\"3\">/leftBound: 1 point, need >= 2".
struct Error {
  std::string message;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}    // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  const T& value() const& { return std::get<0>(v_); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

[[noreturn]] inline void CheckFailed(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "tarmac: internal check failed: %s at %s:%d\n", expr, file, line);
  std::abort();
}

}  // namespace tarmac

// Invariant check, on in every build type. For programming errors only; bad
// input must produce an Error instead.
#define TARMAC_CHECK(expr) \
  ((expr) ? static_cast<void>(0) : ::tarmac::CheckFailed(#expr, __FILE__, __LINE__))
