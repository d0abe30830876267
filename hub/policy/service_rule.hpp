#pragma once
// How a service's status is derived from the statuses of its checks. Pure: values in, a status
// out. The semantics are documented in docs/configuration-hub.md ("services").
#include <map>
#include <string>
#include <vector>

#include "common/model/status.hpp"

namespace vitals::hub::policy {

enum class RuleKind {
  Worst,   // default: the worst check (down > degraded > unknown > healthy)
  Any,     // up while at least one check is up (redundant replicas): quorum of 1
  All,     // every check must be up: quorum of all checks
  Quorum,  // at least `quorum` checks must be up
};

struct ServiceRule {
  RuleKind kind = RuleKind::Worst;
  int quorum = 1;                       // Quorum only; >= 1
  std::vector<std::string> depends_on;  // for the alert engine (inhibition), unused here
  // Errors per minute from the service's `log` checks above which the alert engine opens a
  // log_rate incident (0 = no threshold).
  double log_errors_per_minute = 0;
  // The same for `warn` lines (0 = no threshold). Thresholds set through the API
  // (PUT /api/v1/logs/thresholds/{service}) replace both.
  double log_warnings_per_minute = 0;
};

// Service name -> rule; services not listed use the default rule (Worst).
using ServiceRules = std::map<std::string, ServiceRule>;

// Quorum of `need` checks (Any = 1, All = every check):
//   healthy   when at least `need` checks are healthy;
//   degraded  when at least `need` are healthy or degraded;
//   unknown   when unknown checks could still make up the difference (we cannot tell);
//   down      otherwise.
// No checks at all is unknown. A check of an unreachable agent counts as unknown.
HealthStatus evaluateService(const std::vector<HealthStatus>& checks, const ServiceRule& rule);

std::string_view toString(RuleKind kind);

}  // namespace vitals::hub::policy
