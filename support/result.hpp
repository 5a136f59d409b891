// Result<T>: a value or the diagnostics that explain why there is none.
// Errors cross module boundaries as values; only the CLI decides how to print and exit.
#pragma once

#include "support/diagnostic.hpp"

#include <utility>
#include <variant>

namespace xdpml {

struct Failure {
  Diagnostics diagnostics;
};

inline Failure fail(Diagnostic d) {
  Failure f;
  f.diagnostics.add(std::move(d));
  return f;
}
inline Failure fail(Diagnostics d) {
  return Failure{std::move(d)};
}
inline Failure fail(std::string message, SourceLocation loc = {}, std::string hint = {}) {
  return fail(make_error(std::move(message), std::move(loc), std::move(hint)));
}

template <typename T> class [[nodiscard]] Result {
public:
  Result(T value) : state_(std::move(value)) {}
  Result(Failure failure) : state_(std::move(failure)) {}

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Diagnostics& diagnostics() const { return std::get<Failure>(state_).diagnostics; }
  Failure failure() const { return std::get<Failure>(state_); }

private:
  std::variant<T, Failure> state_;
};

struct Ok {};
using Status = Result<Ok>;
inline Status ok_status() {
  return Ok{};
}

} // namespace xdpml
