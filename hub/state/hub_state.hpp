#pragma once
// The hub's in-memory view of "now": the newest result of every check and the status of every
// service (the worst of its checks). Pure logic, no I/O: ingest feeds it after each commit, the
// start-up code rebuilds it from the `checks` table, the API reads snapshots from any thread.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "common/model/check_result.hpp"
#include "common/model/status.hpp"
#include "hub/policy/service_rule.hpp"

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
  // Its agent missed its keepalive deadline: in snapshots `status` is Unknown and `message`
  // "agent unreachable" (the last real result stays in `raw_status`/`last_checked`).
  bool unreachable = false;
  // Its agent stopped cleanly (deregistered): in snapshots `status` is Unknown and `message`
  // "agent stopped at <time>" until the agent registers again.
  bool stopped = false;
  bool flapping = false;  // of the newest result
};

inline constexpr const char* kUnreachableReason = "agent unreachable";
// "agent stopped at 2026-12-07T13:05:21.123Z" (hub clock).
std::string stoppedReason(SystemTime at);

struct ServiceState {
  std::string name;
  HealthStatus status = HealthStatus::Unknown;  // its rule over its checks (default: worst)
  // The slowest check's latest latency: the service is as slow as its slowest probe.
  std::optional<std::chrono::microseconds> latency;
  std::optional<SystemTime> last_checked;  // newest of its checks
  std::string agent;                       // the agents reporting it, sorted, comma-separated
  std::vector<CheckState> checks;          // sorted by (name, agent)
};

// Ordering of one check's results: within a boot the higher seq is newer; across boots the
// later observed_at is (seq restarts with a new boot).
bool isNewer(const CheckResult& candidate, const CheckState& current);
// Folds checks (any order) into their service's state under `rule` (default: worst of).
ServiceState aggregate(std::string name, std::vector<CheckState> checks,
                       const policy::ServiceRule& rule = {});

class HubState {
 public:
  // Registration: adds or updates this agent's checks; drops its checks no longer listed.
  void applyRegistration(const Registration& reg);
  // A registered spec with its stored newest result (start-up rebuild from `checks`).
  void restore(const std::string& agent_id, const CheckSpec& spec,
               const std::optional<CheckResult>& last);
  // Replica rebuild from `checks`: the stored spec, and the stored result only when it is newer
  // than the one held (another replica's update may have arrived after the read).
  void mergeStored(const std::string& agent_id, const CheckSpec& spec,
                   const std::optional<CheckResult>& last);
  // Applies a result if it is newer than what the check holds; creates unknown checks. A new
  // boot's undecided result (status unknown after a soft failure) keeps the previous boot's
  // decided status until the new boot decides. Returns true when it changed the check.
  bool applyResult(const CheckResult& result);

  std::vector<ServiceState> services() const;  // sorted by name
  // The same, without copying: immutable snapshots that stay valid after later changes (each
  // change to a service replaces its snapshot). Sorted by name.
  std::vector<std::shared_ptr<const ServiceState>> serviceSnapshots() const;
  std::optional<ServiceState> service(const std::string& name) const;
  // Grows by at least one with every change a snapshot could show (results, registrations,
  // reachability, stops, rules); readers compare it to know whether anything changed.
  std::uint64_t version() const;
  std::size_t checkCount() const;
  // Only the named services (one pass over the checks), sorted by name.
  std::vector<ServiceState> servicesNamed(const std::set<std::string>& names) const;

  // Per-service rules from the hub config (services not listed: worst of).
  void setRules(policy::ServiceRules rules);
  // Reachability of an agent (keepalive). Returns true when it changed.
  bool setUnreachable(const std::string& agent_id, bool unreachable);
  bool isUnreachable(const std::string& agent_id) const;
  std::set<std::string> unreachableAgents() const;
  // The services with at least one check of this agent.
  std::set<std::string> servicesOf(const std::string& agent_id) const;
  // Every service with at least one check (cheap: no aggregation).
  std::set<std::string> serviceNames() const;

  // Clean stops. setStopped ignores a deregistration from another boot than the one the agent
  // last registered with (a late message from before a restart); returns true when it changed.
  bool setStopped(const std::string& agent_id, const std::string& boot_id, SystemTime at);
  // The agent registered again: returns when it had stopped (nullopt: it had not).
  std::optional<SystemTime> clearStopped(const std::string& agent_id);
  std::optional<SystemTime> stoppedAt(const std::string& agent_id) const;
  std::map<std::string, SystemTime> stoppedAgents() const;
  // Retires an agent: its checks, stop and reachability leave the state. Returns the services
  // it had checks in.
  std::set<std::string> forgetAgent(const std::string& agent_id);

 private:
  using Key = std::pair<std::string, std::string>;  // (agent_id, check name)
  CheckState snapshot(const CheckState& c) const;   // with unreachability applied; mu_ held
  const policy::ServiceRule& ruleOf(const std::string& service) const;  // mu_ held
  // Keeps members_ true after a check's service changed (from "" for a new check, to "" for a
  // removed one) and marks both services for refresh. mu_ held exclusively.
  void moveCheck(const Key& key, const std::string& from, const std::string& to);
  // Every service of this agent's checks marked for refresh. mu_ held exclusively.
  void markAgent(const std::string& agent_id);
  // Re-aggregates the marked services into services_ and bumps version_. mu_ held exclusively.
  void refreshMarked();
  mutable std::shared_mutex mu_;
  std::map<Key, CheckState> checks_;
  // Aggregates kept up to date as checks change, so reads never fold all checks again.
  std::map<std::string, std::set<Key>> members_;  // service -> its checks
  std::map<std::string, std::shared_ptr<const ServiceState>> services_;
  std::set<std::string> marked_;
  std::uint64_t version_ = 0;
  std::set<std::string> unreachable_;
  std::map<std::string, SystemTime> stopped_;   // agent -> when it deregistered (hub clock)
  std::map<std::string, std::string> boot_of_;  // agent -> boot id of its last registration
  policy::ServiceRules rules_;
};

}  // namespace vitals::hub::state
