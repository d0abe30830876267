#pragma once
// The seam between "the rules decided to run action X on agent Y" and running it. The real one
// is RepairActionRunner (repair_action_runner.hpp): the hub's one guarded path for agent
// actions (hub/repair), shared with repairs and quick actions. Unit tests use a fake.
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/error/result.hpp"

namespace vitals::hub::events {

struct ActionRequest {
  std::int64_t event_id = 0;  // the inbound_events row that asked
  std::string service;        // the event's target: whose repair policy applies
  std::string agent;
  std::string action;
  std::map<std::string, std::string> params;
  std::string requested_by;  // the audit actor
  std::string reason;        // why, for the record: "inbound event #12 (rule restart-web)"
  std::chrono::milliseconds timeout{30000};
  // The rule's cooldown for (agent, action), measured from the last start of that action by
  // any trigger (repair, quick action, event), by the database clock.
  std::chrono::milliseconds cooldown{0};
};

struct ActionReply {
  // "ok", "failed" (non-zero exit), "rejected" (refused by the hub's guard - cooldown, global
  // rate limit - or by the agent: unknown action, bad parameter, busy, its own cooldown),
  // "timeout" (the action ran too long), "duplicate", "pending-approval" (the service's repair
  // policy requires approval: it runs once approved), "dry-run" (the policy's dry run).
  std::string outcome;
  int exit_code = 0;
  std::chrono::milliseconds duration{0};
  std::string output;
  std::string error;
  std::vector<std::string> argv;
  std::int64_t repair_id = 0;  // the auto_repairs row of this request (0: none)
};

class ActionRunner {
 public:
  virtual ~ActionRunner() = default;
  // Blocks until the agent replies or the timeout; error code "action.unavailable" when no
  // reply came (agent or bus away) or the guard could not be taken (database away: nothing
  // ran). Thread-safe.
  virtual Result<ActionReply> run(const ActionRequest& request) = 0;
};

}  // namespace vitals::hub::events
