#pragma once
// What one probe run saw. A failing service is a normal outcome (raw_status Down with a
// failure_kind), not an error.
#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "common/model/scan_report.hpp"
#include "common/model/status.hpp"

namespace vitals::agent {

struct ProbeOutcome {
  HealthStatus raw_status = HealthStatus::Unknown;
  std::chrono::microseconds latency{0};
  std::string message;
  std::map<std::string, std::string> details;
  FailureKind failure_kind = FailureKind::None;
  std::shared_ptr<const ScanReport> scan;  // kind scan: the report this run read

  static ProbeOutcome healthy(std::chrono::microseconds latency, std::string message) {
    return ProbeOutcome{HealthStatus::Healthy, latency, std::move(message), {},
                        FailureKind::None,     nullptr};
  }
  static ProbeOutcome down(FailureKind kind, std::chrono::microseconds latency,
                           std::string message) {
    return ProbeOutcome{HealthStatus::Down, latency, std::move(message), {}, kind, nullptr};
  }
};

// "3 ms", "1.2 s": how latencies appear in messages.
std::string formatLatency(std::chrono::microseconds latency);

}  // namespace vitals::agent
