#include "hub/policy/service_rule.hpp"

#include <algorithm>

namespace vitals::hub::policy {
namespace {

HealthStatus quorumOf(const std::vector<HealthStatus>& checks, std::size_t need) {
  std::size_t healthy = 0;
  std::size_t degraded = 0;
  std::size_t unknown = 0;
  for (auto s : checks) {
    switch (s) {
      case HealthStatus::Healthy:
        ++healthy;
        break;
      case HealthStatus::Degraded:
        ++degraded;
        break;
      case HealthStatus::Unknown:
        ++unknown;
        break;
      case HealthStatus::Down:
        break;
    }
  }
  if (healthy >= need) {
    return HealthStatus::Healthy;
  }
  if (healthy + degraded >= need) {
    return HealthStatus::Degraded;
  }
  if (healthy + degraded + unknown >= need) {
    return HealthStatus::Unknown;
  }
  return HealthStatus::Down;
}

}  // namespace

HealthStatus evaluateService(const std::vector<HealthStatus>& checks, const ServiceRule& rule) {
  if (checks.empty()) {
    return HealthStatus::Unknown;
  }
  switch (rule.kind) {
    case RuleKind::Worst: {
      HealthStatus s = checks.front();
      for (auto c : checks) {
        s = worst(s, c);
      }
      return s;
    }
    case RuleKind::Any:
      return quorumOf(checks, 1);
    case RuleKind::All:
      return quorumOf(checks, checks.size());
    case RuleKind::Quorum:
      return quorumOf(checks, static_cast<std::size_t>(std::max(rule.quorum, 1)));
  }
  return HealthStatus::Unknown;
}

std::string_view toString(RuleKind kind) {
  switch (kind) {
    case RuleKind::Worst:
      return "worst";
    case RuleKind::Any:
      return "any";
    case RuleKind::All:
      return "all";
    case RuleKind::Quorum:
      return "quorum";
  }
  return "worst";
}

}  // namespace vitals::hub::policy
