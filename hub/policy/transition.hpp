#pragma once
// The service status state machine. Pure: it takes the statuses a service had and has now and
// returns the transitions, with no clock (the caller passes `at`, the hub clock) and no I/O.
// Recording, publishing and alerting are done by whoever receives the transitions.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/model/status.hpp"
#include "common/time/clock.hpp"

namespace vitals::hub::policy {

// Why a service changed. The alert engine uses it: Unreachable transitions belong to one grouped
// "N agents unreachable" incident and should not page per service.
enum class Cause {
  Check,        // a check result changed the service's status
  Unreachable,  // an agent went silent past its keepalive deadline
  Reachable,    // a silent agent came back
  Reconcile,    // start-up: the stored status differed from the rebuilt state
  AgentsGroup,  // the grouped "N agents unreachable" event (service = kAgentsGroupService)
  LogRate,      // a service's log error rate crossed its threshold (no uptime window)
  Stopped,      // its agent stopped cleanly (deregistered): UNKNOWN, not a failure
  Resumed,      // a stopped agent registered again within the restart grace
  Removed,      // the service left the current view (its last check was removed or retired)
};
std::string_view toString(Cause cause);
std::optional<Cause> parseCause(std::string_view text);

// The pseudo-service of the grouped "N agents unreachable" event (not a valid service token
// clash: service names from agents never start with '_' in practice, and it is documented).
inline constexpr const char* kAgentsGroupService = "_agents";

struct Transition {
  std::string service;
  HealthStatus from = HealthStatus::Unknown;
  HealthStatus to = HealthStatus::Unknown;
  SystemTime at{};     // hub clock
  std::string reason;  // e.g. the deciding check's message, "agent unreachable"
  std::string agent;   // the deciding check's agent ("" when none)
  std::string check;   // the deciding check ("" when none)
  Cause cause = Cause::Check;
  bool first = false;     // no previous status known: opens the first window, not a change
  bool flapping = false;  // the deciding check is flapping (the alert policy says so once)
  bool operator==(const Transition&) const = default;
};

// One service as evaluated now, with the check that decides its status.
struct ServiceEvaluation {
  std::string service;
  HealthStatus status = HealthStatus::Unknown;
  std::string reason;
  std::string agent;
  std::string check;
  Cause cause = Cause::Check;
  bool flapping = false;
};

// previous: the last recorded status per service (absent = never recorded).
// Returns a transition for every evaluated service whose status differs from the previous one,
// and a `first` transition for services never recorded. Services not evaluated are untouched.
std::vector<Transition> detectTransitions(const std::map<std::string, HealthStatus>& previous,
                                          const std::vector<ServiceEvaluation>& now, SystemTime at);

}  // namespace vitals::hub::policy
