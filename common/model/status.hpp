#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace vitals {

// Ordered by severity for worst-of: Unknown < Healthy < Degraded < Down would make an unknown
// check hide nothing; we rank Unknown between Healthy and Degraded so that a service with one
// healthy and one unknown check reads "unknown" (we don't know it is fine) while a real failure
// still wins.
enum class HealthStatus { Healthy = 0, Unknown = 1, Degraded = 2, Down = 3 };

constexpr std::string_view toString(HealthStatus s) {
  switch (s) {
    case HealthStatus::Healthy:
      return "healthy";
    case HealthStatus::Degraded:
      return "degraded";
    case HealthStatus::Down:
      return "down";
    case HealthStatus::Unknown:
      break;
  }
  return "unknown";
}

// Accepts our names and the seed format's "up".
inline std::optional<HealthStatus> parseHealthStatus(std::string_view s) {
  if (s == "healthy" || s == "up") return HealthStatus::Healthy;
  if (s == "degraded") return HealthStatus::Degraded;
  if (s == "down") return HealthStatus::Down;
  if (s == "unknown") return HealthStatus::Unknown;
  return std::nullopt;
}

constexpr HealthStatus worst(HealthStatus a, HealthStatus b) {
  return static_cast<int>(a) >= static_cast<int>(b) ? a : b;
}

enum class FailureKind { None, Timeout, Refused, Unexpected, Error, Crashed };

constexpr std::string_view toString(FailureKind k) {
  switch (k) {
    case FailureKind::None:
      return "none";
    case FailureKind::Timeout:
      return "timeout";
    case FailureKind::Refused:
      return "refused";
    case FailureKind::Unexpected:
      return "unexpected";
    case FailureKind::Error:
      return "error";
    case FailureKind::Crashed:
      return "crashed";
  }
  return "error";
}

}  // namespace vitals
