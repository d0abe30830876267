#pragma once
// The seam between "the rules decided to run action X on agent Y" and running it. Today
// NatsActionRunner asks the agent directly (vitals.cmd.<agent>.run-action); the repair
// guardrails (hub/repair: approvals, global rate limit) can later sit behind this interface.
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/error/result.hpp"

namespace vitals::hub::events {

struct ActionRequest {
  std::string request_id;  // idempotency key at the agent: one run per id
  std::string agent;
  std::string action;
  std::map<std::string, std::string> params;
  std::string requested_by;  // the audit actor
  std::chrono::milliseconds timeout{30000};
  // The rule's cooldown for (agent, action): GuardedActionRunner holds it across hubs.
  std::chrono::milliseconds cooldown{0};
};

struct ActionReply {
  // "ok", "failed" (non-zero exit), "rejected" (agent refused: unknown action, bad parameter,
  // busy, its own cooldown), "timeout" (the action ran too long), "duplicate".
  std::string outcome;
  int exit_code = 0;
  std::chrono::milliseconds duration{0};
  std::string output;
  std::string error;
  std::vector<std::string> argv;
};

class ActionRunner {
 public:
  virtual ~ActionRunner() = default;
  // Blocks until the agent replies or the timeout; error code "action.unavailable" when no
  // reply came (agent or bus away). Thread-safe.
  virtual Result<ActionReply> run(const ActionRequest& request) = 0;
};

// NATS request/reply with a CommandRequest (verb RUN_ACTION); the reply is a CommandReply.
class NatsActionRunner final : public ActionRunner {
 public:
  using RequestFn = std::function<Result<std::string>(const std::string& subject,
                                                      std::string_view data,
                                                      std::chrono::milliseconds timeout)>;
  explicit NatsActionRunner(RequestFn request) : request_(std::move(request)) {}
  Result<ActionReply> run(const ActionRequest& request) override;

 private:
  RequestFn request_;
};

}  // namespace vitals::hub::events
