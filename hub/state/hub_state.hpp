#pragma once
// The hub's in-memory view of "now": the newest result of every check and the status of every
// service (the worst of its checks). Pure logic, no I/O: ingest feeds it after each commit, the
// start-up code rebuilds it from the `checks` table, the API reads snapshots from any thread.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "common/model/check_result.hpp"
#include "common/model/status.hpp"

namespace vitals::hub::state {

struct CheckState {
  std::string agent_id;
  std::string name;
  std::string service;
  std::string kind;
  std::string target;
  HealthStatus status = HealthStatus::Unknown;  // Unknown until the first result
  HealthStatus raw_status = HealthStatus::Unknown;
  std::chrono::microseconds latency{0};
  std::string message;
  FailureKind failure_kind = FailureKind::None;
  std::optional<SystemTime> last_checked;  // agent's observed_at of the newest result
  std::string boot_id;                     // of the newest result
  std::uint64_t seq = 0;                   // of the newest result; 0 = none yet
};

struct ServiceState {
  std::string name;
  HealthStatus status = HealthStatus::Unknown;  // worst() of its checks
  // The slowest check's latest latency: the service is as slow as its slowest probe.
  std::optional<std::chrono::microseconds> latency;
  std::optional<SystemTime> last_checked;  // newest of its checks
  std::string agent;                       // the agents reporting it, sorted, comma-separated
  std::vector<CheckState> checks;          // sorted by (name, agent)
};

// Ordering of one check's results: within a boot the higher seq is newer; across boots the
// later observed_at is (seq restarts with a new boot).
bool isNewer(const CheckResult& candidate, const CheckState& current);
// Folds checks (any order) into their service's state.
ServiceState aggregate(std::string name, std::vector<CheckState> checks);

class HubState {
 public:
  // Registration: adds or updates this agent's checks; drops its checks no longer listed.
  void applyRegistration(const Registration& reg);
  // A registered spec with its stored newest result (start-up rebuild from `checks`).
  void restore(const std::string& agent_id, const CheckSpec& spec,
               const std::optional<CheckResult>& last);
  // Applies a result if it is newer than what the check holds; creates unknown checks.
  // Returns true when it changed the check.
  bool applyResult(const CheckResult& result);

  std::vector<ServiceState> services() const;  // sorted by name
  std::optional<ServiceState> service(const std::string& name) const;
  std::size_t checkCount() const;

 private:
  using Key = std::pair<std::string, std::string>;  // (agent_id, check name)
  mutable std::shared_mutex mu_;
  std::map<Key, CheckState> checks_;
};

}  // namespace vitals::hub::state
