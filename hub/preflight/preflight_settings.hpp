#pragma once
// The pre-flight checklist's configuration (`preflight:` in the hub config): plain values,
// filled by readPreflightSettings() and turned into check objects by the composition root.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/model/status.hpp"

namespace vitals::hub::preflight {

enum class CheckKind {
  ServiceStatus,      // named services are in an accepted status
  AgentsOnline,       // at least `min_agents` agents online
  MigrationsCurrent,  // the database schema is at this binary's newest migration
  StreamPresent,      // the JetStream stream and the hub's durable consumer exist
  DatabaseReachable,  // a round trip to PostgreSQL works
  NotifierTest,       // a test message on a notify channel was delivered
  ClockSkew,          // no online agent's clock is off by more than `max_skew`
};

std::string_view toString(CheckKind kind);  // "service_status", ...
std::optional<CheckKind> parseCheckKind(std::string_view text);

struct CheckSpec {
  std::string name;  // unique; what overrides name
  CheckKind kind = CheckKind::DatabaseReachable;
  bool required = true;  // required checks gate `ready`; optional ones only show
  // service_status
  std::vector<std::string> services;
  std::vector<HealthStatus> accept{HealthStatus::Healthy, HealthStatus::Degraded};
  // agents_online
  int min_agents = 1;
  // notifier_test: a channel of notify.channels; re-sent on forced runs and after this long
  std::string channel;
  std::chrono::milliseconds resend_interval{std::chrono::hours{1}};
  // clock_skew: unset = the staleness clock_skew_threshold
  std::optional<std::chrono::milliseconds> max_skew;
};

struct PreflightSettings {
  std::chrono::milliseconds interval{std::chrono::seconds{60}};           // re-run period
  std::chrono::milliseconds publish_interval{std::chrono::seconds{15}};   // hub.<id>.ready repeat
  std::chrono::milliseconds not_ready_interval{std::chrono::seconds{5}};  // re-run while not ready
  // service_status checks (in-memory, cheap) re-run this often, so `ready` follows the status
  // of the services they name within it; 0 = only with the others.
  std::chrono::milliseconds watch_interval{std::chrono::milliseconds{500}};
  std::vector<CheckSpec> checks;  // defaultChecks() when the section or `checks` is absent
};

// database_reachable, migrations_current, stream_present (required) and agents_online >= 1
// (optional): what a hub needs to do its job at all.
std::vector<CheckSpec> defaultChecks();

}  // namespace vitals::hub::preflight
