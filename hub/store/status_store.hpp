#pragma once
// Where status transitions, agent liveness and uptime history live. PgStatusStore (on the read
// pool, its own connections) is the real one; tests use fakes. Thread-safe.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/error/result.hpp"
#include "hub/policy/liveness.hpp"
#include "hub/policy/transition.hpp"
#include "hub/policy/uptime.hpp"

namespace vitals::hub::store {

// The ongoing window of a service: its last recorded status.
struct OpenWindow {
  std::string service;
  HealthStatus status = HealthStatus::Unknown;
  SystemTime started_at{};
};

struct UptimeWindow {
  HealthStatus status = HealthStatus::Unknown;
  SystemTime started_at{};
  std::optional<SystemTime> ended_at;  // nullopt = ongoing
};

struct TrendBucket {
  SystemTime hour{};
  std::optional<double> latency_avg_ms;  // from health_checks; nullopt without results
  std::optional<double> latency_max_ms;
  std::uint64_t results = 0;
  policy::StatusSeconds seconds;  // from the rollups (+ the ongoing window)
};

class StatusStore {
 public:
  virtual ~StatusStore() = default;

  // In ONE transaction per call: each transition's status_changes row, and for services (not
  // the '_agents' group) the close of the open window (ended_at, duration, its seconds added to
  // uptime_hourly) and the open of the next. Idempotent: a transition whose service's open
  // window already has the target status writes nothing (a retry after an unknown outcome),
  // except that a Stopped or Removed one still writes its status_changes row (the alert
  // engine resolves incidents on it).
  [[nodiscard]] virtual Status record(const std::vector<policy::Transition>& transitions) = 0;
  // Every service's open window (start-up: the last recorded status per service).
  [[nodiscard]] virtual Result<std::vector<OpenWindow>> openWindows() = 0;
  // Counts the open windows' time up to `until` (the start of the current hour) into
  // uptime_hourly, so rollups have no gaps; deletes rollups older than `drop_before`.
  [[nodiscard]] virtual Status checkpoint(SystemTime until, SystemTime drop_before) = 0;

  // Agents for the staleness sweep (agents table).
  [[nodiscard]] virtual Result<std::vector<policy::AgentLiveness>> liveness() = 0;
  // unreachable_since = since (nullopt clears it) for these agents.
  [[nodiscard]] virtual Status setUnreachable(const std::vector<std::string>& agents,
                                              std::optional<SystemTime> since) = 0;
  // Retires agents (agents.forgotten_at = at; their rows in `checks` go): returns those that
  // were known and not retired yet. A registration brings an agent back.
  [[nodiscard]] virtual Result<std::vector<std::string>> forgetAgents(
      const std::vector<std::string>& agents, SystemTime at) = 0;
  // clock_skew_ms (nullopt clears it).
  [[nodiscard]] virtual Status setClockSkew(const std::string& agent,
                                            std::optional<std::chrono::milliseconds> skew) = 0;
};

class UptimeReader {
 public:
  virtual ~UptimeReader() = default;
  // Seconds per status of every service over [since, now): whole rollup hours from the hour
  // holding `since`, plus the ongoing windows after their rolled_until.
  [[nodiscard]] virtual Result<std::map<std::string, policy::StatusSeconds>> totals(
      SystemTime since, SystemTime now, const std::optional<std::string>& service) = 0;
  // Windows overlapping [since, now), oldest first.
  [[nodiscard]] virtual Result<std::vector<UptimeWindow>> windows(const std::string& service,
                                                                  SystemTime since,
                                                                  SystemTime now) = 0;
  // One bucket per hour of [hourOf(since), now).
  [[nodiscard]] virtual Result<std::vector<TrendBucket>> trends(const std::string& service,
                                                                SystemTime since,
                                                                SystemTime now) = 0;
  // Whether the service has any uptime history.
  [[nodiscard]] virtual Result<bool> knows(const std::string& service) = 0;
};

}  // namespace vitals::hub::store
