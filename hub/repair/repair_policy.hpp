#pragma once
// A service's repair policy (table health_policies) and the JSON the API speaks for it. Plain
// values: the decider (repair_decider.hpp) reads them, the store persists them.
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/error/result.hpp"
#include "common/time/clock.hpp"

namespace vitals::hub::repair {

// What went wrong, as far as repair is concerned. Derived from the deciding check's failure kind
// and the transition (see classify() in repair_decider.hpp).
enum class FailureClass {
  Timeout,         // the probe timed out
  Crashed,         // the process/container exited or was killed
  Refused,         // nothing listening
  Unexpected,      // answered, but wrongly
  Error,           // the probe could not run
  Degraded,        // the service is degraded, not down
  DependencyDown,  // a service it depends on is down: never repaired here
};
std::string_view toString(FailureClass c);
std::optional<FailureClass> parseFailureClass(std::string_view text);
// Every class the policy's `actions` map may name, in a stable order.
inline constexpr FailureClass kFailureClasses[] = {
    FailureClass::Timeout,       FailureClass::Crashed, FailureClass::Refused,
    FailureClass::Unexpected,    FailureClass::Error,   FailureClass::Degraded,
    FailureClass::DependencyDown};

struct RepairPolicy {
  std::string service;
  bool enabled = false;           // automatic repairs on transitions (quick actions need not)
  bool dry_run = false;           // decide and record, run nothing
  bool require_approval = false;  // executions wait as `pending` for an operator
  // Failure class -> the agent's action name; absent or "" = no action. DependencyDown is never
  // acted on whatever this says.
  std::map<FailureClass, std::string> actions;
  std::string restart_action;  // what POST .../actions/restart runs
  int max_attempts = 3;        // executions per incident
  std::chrono::milliseconds cooldown{std::chrono::minutes{5}};  // per (agent, action)
  int circuit_breaker = 3;  // consecutive failed repairs of the service before giving up
  std::chrono::milliseconds verify_after{std::chrono::seconds{30}};  // 0 = no verification
  // Set by every PUT: failed repairs before it no longer count for the circuit breaker.
  std::optional<SystemTime> breaker_reset_at;
  std::optional<SystemTime> updated_at;
  std::string updated_by;
};

// The policy created for a service that has actions and no policy yet: disabled, with the
// conventional action names of the service (restart-<service>, rebuild-<service>).
// `has_rebuild`: an agent of the service offers rebuild-<service> (used for crashes).
RepairPolicy defaultPolicy(const std::string& service, bool has_rebuild);

nlohmann::json toJson(const RepairPolicy& p);
// Validates a PUT body (every field optional; missing ones keep `base`'s values). Error code
// "policy.invalid" with a message naming the field.
Result<RepairPolicy> policyFromJson(const nlohmann::json& body, RepairPolicy base);

}  // namespace vitals::hub::repair
