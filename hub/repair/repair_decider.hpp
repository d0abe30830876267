#pragma once
// The repair decision: given what happened to a service, its policy and the history of repair
// attempts, decide whether to do nothing, record a dry run, wait for approval, execute, or give
// up and escalate, and say why. Pure: no I/O; the only input not passed in is the time, from the
// injected Clock. The engine (repair_engine.hpp) gathers the inputs and carries out the verdict;
// the database guard (pg_repair_store.hpp) re-checks cooldown and rate limit where it counts,
// across hubs.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/model/status.hpp"
#include "common/time/clock.hpp"
#include "hub/policy/transition.hpp"
#include "hub/repair/repair_policy.hpp"

namespace vitals::hub::repair {

enum class Trigger {
  Transition,  // a service status transition (automatic)
  Verify,      // a verification after a repair found the service still failing (automatic)
  Manual,      // an operator's quick action (POST .../actions/restart)
  Event,       // an inbound event whose rule names the action (POST /api/v1/events, NATS)
};
std::string_view toString(Trigger t);
std::optional<Trigger> parseTrigger(std::string_view s);

// What is to be decided. For automatic triggers the agent is the deciding check's agent.
struct RepairRequest {
  Trigger trigger = Trigger::Transition;
  std::string service;
  HealthStatus status = HealthStatus::Down;  // the service's status now
  policy::Cause cause = policy::Cause::Check;
  FailureKind failure_kind = FailureKind::None;  // of the deciding check
  std::string agent;
  std::vector<std::string> agent_actions;  // the actions that agent registered
  std::string dependency_down;             // a service it depends on that is down ("" = none)
  std::string action;                      // Manual, Event: the action asked for
  bool dry_run = false;                    // asked for by the caller (in addition to the policy's)
  std::string incident;
  // Event: the rule's cooldown, used instead of the policy's. Whoever asks, the cooldown is
  // measured from the last start of (agent, action), whoever started it.
  std::optional<std::chrono::milliseconds> cooldown;
};

// The attempts so far, as the store counts them.
struct RepairHistory {
  int incident_attempts = 0;                 // executions started or approved for this incident
  bool incident_pending = false;             // an approval for this incident is waiting
  bool incident_escalated = false;           // this incident was already given up on
  std::optional<SystemTime> last_execution;  // of (agent, action), any incident
  int consecutive_failures = 0;  // failed repairs of the service since the breaker reset
  int executions_in_window = 0;  // executions of all services within rate_window
};

struct DeciderSettings {
  int rate_limit = 10;  // executions of all services per rate_window (0 = no automatic repair)
  std::chrono::milliseconds rate_window{std::chrono::hours{1}};
};

enum class Verdict {
  None,             // nothing to consider (policy off, healthy, not a failure): not recorded
  Skip,             // an action was considered and a guardrail held it back: recorded
  DryRun,           // recorded as what would run; nothing runs
  PendingApproval,  // recorded as pending; runs only once approved
  Execute,          // run now (after the database guard agrees)
  Escalate,         // give up on this incident and tell a human
};
std::string_view toString(Verdict v);

struct Decision {
  Verdict verdict = Verdict::None;
  std::string action;
  std::string agent;
  std::optional<FailureClass> failure_class;
  std::vector<std::string> reasons;  // every rule that decided, in order, human readable
  // Skip because of cooldown: when the action may run again (the engine retries then if the
  // service is still failing).
  std::optional<SystemTime> retry_at;
};

// The failure class of a failing service: Degraded when it is degraded, else from the failure
// kind (refused and crashed stay apart: the policy may map them differently).
FailureClass classify(HealthStatus status, FailureKind kind);

class RepairDecider {
 public:
  RepairDecider(const Clock& clock, DeciderSettings settings)
      : clock_(clock), settings_(settings) {}

  // policy: nullptr when the service has none.
  Decision decide(const RepairPolicy* policy, const RepairRequest& request,
                  const RepairHistory& history) const;

 private:
  const Clock& clock_;
  DeciderSettings settings_;
};

}  // namespace vitals::hub::repair
