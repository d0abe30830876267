#pragma once
// vitals_service_status{service,status}: one series per service and status, 1 for the service's
// current status and 0 for the others (the Prometheus "state set" pattern), so an alert reads
// `vitals_service_status{status="down"} == 1`. Pure: the hub registers it as a collected gauge.
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "common/metrics/metrics.hpp"
#include "common/model/status.hpp"
#include "hub/state/hub_state.hpp"

namespace vitals::hub::state {

// A label value in the Prometheus text format: backslash, double quote and newline escaped.
inline std::string promLabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

inline std::vector<metrics::Sample> serviceStatusSamples(
    const std::vector<ServiceState>& services) {
  constexpr std::array kAll{HealthStatus::Healthy, HealthStatus::Degraded, HealthStatus::Down,
                            HealthStatus::Unknown};
  std::vector<metrics::Sample> out;
  out.reserve(services.size() * kAll.size());
  for (const auto& s : services) {
    const std::string service = "service=\"" + promLabelValue(s.name) + "\",status=\"";
    for (HealthStatus st : kAll) {
      out.emplace_back(service + std::string(toString(st)) + "\"", s.status == st ? 1.0 : 0.0);
    }
  }
  return out;
}

}  // namespace vitals::hub::state
