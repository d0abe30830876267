#pragma once
// Errors as values: Result<T> holds a T or an Error. For expected failures (network, database,
// input), not for programming errors.
#include <string>
#include <utility>
#include <variant>

namespace vitals {

struct Error {
  std::string code;     // stable, machine-readable: "nats.timeout", "config.invalid"
  std::string message;  // for humans
  std::string context;  // optional: file:line, subject, statement
  std::string describe() const {
    return context.empty() ? code + ": " + message : context + ": " + code + ": " + message;
  }
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const Error& error() const { return std::get<1>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: success carries nothing.
struct Ok {};
using Status = Result<Ok>;
inline Status okStatus() { return Ok{}; }

}  // namespace vitals
