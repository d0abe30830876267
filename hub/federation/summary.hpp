#pragma once
// Federation values: what one hub tells the others about itself (HubSummary on
// hub.<hub_id>.health.summary and hub.global.health) and its catalog events. Plain values; the
// wire form is vitals.v1.HubSummary / ServiceCatalogEvent (summary_codec.hpp).
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/model/status.hpp"
#include "common/time/clock.hpp"

namespace vitals::hub::federation {

// The seed format's status words: "up" | "degraded" | "down" | "unknown".
std::string_view summaryStatus(HealthStatus status);

struct ServiceSummary {
  std::string name;
  std::string type;  // the kind of its first check ("http", "tcp", ...)
  HealthStatus status = HealthStatus::Unknown;
  std::uint32_t latency_ms = 0;
  std::string version;
  std::uint64_t uptime_seconds = 0;  // time in its current status when up, else 0
  std::uint32_t endpoints_healthy = 0;
  std::uint32_t endpoints_total = 0;
  std::vector<std::string> endpoints;  // its checks' targets, sorted, distinct
  bool operator==(const ServiceSummary&) const = default;
};

struct HubSummary {
  std::string hub_id;
  SystemTime timestamp{};
  std::string overall_status = "unknown";  // "healthy" | "degraded" | "down" | "unknown"
  std::vector<ServiceSummary> services;    // full: every service; delta: the changed ones
  std::string version;
  std::uint32_t agents_online = 0;
  std::uint32_t agents_total = 0;
  std::uint32_t open_incidents = 0;
  bool full = false;
  std::uint64_t sequence = 0;                 // 1, 2, ... per hub process
  std::vector<std::string> removed_services;  // deltas: services gone since the last summary
  std::uint32_t service_count = 0;            // services on the hub after this summary
  std::string url;
  std::chrono::milliseconds summary_interval{0};
  bool operator==(const HubSummary&) const = default;
};

enum class CatalogChange { Registered, Deregistered };

struct CatalogEvent {
  CatalogChange change = CatalogChange::Registered;
  std::string hub_id;
  std::string service;
  std::string agent_id;  // an agent reporting it ("" when gone)
  SystemTime at{};
  bool operator==(const CatalogEvent&) const = default;
};

}  // namespace vitals::hub::federation
