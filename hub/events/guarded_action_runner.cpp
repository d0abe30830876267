#include "hub/events/guarded_action_runner.hpp"

namespace vitals::hub::events {

Result<ActionReply> GuardedActionRunner::run(const ActionRequest& request) {
  if (request.cooldown.count() > 0) {
    auto lease = pool_.acquire(std::chrono::milliseconds{2000});
    if (!lease.ok()) {
      return Error{"action.unavailable", "cooldown guard: " + lease.error().message, {}};
    }
    // One statement: it inserts or moves the start only when the last one is a cooldown ago.
    auto taken = lease->conn().exec(
        "INSERT INTO event_action_guard AS g (agent_id, action, last_started_at, request_id) "
        "VALUES ($1, $2, now(), $3) ON CONFLICT (agent_id, action) DO UPDATE "
        "SET last_started_at = now(), request_id = EXCLUDED.request_id "
        "WHERE g.last_started_at <= now() - make_interval(secs => $4::double precision) "
        "RETURNING 1",
        {request.agent, request.action, request.request_id,
         std::to_string(static_cast<double>(request.cooldown.count()) / 1000.0)});
    if (!taken.ok()) {
      return Error{"action.unavailable", "cooldown guard: " + taken.error().message, {}};
    }
    if (taken->rows() == 0) {
      ActionReply refused;
      refused.outcome = "rejected";
      refused.error = "cooldown: " + request.action + " on " + request.agent +
                      " already ran within its cooldown (possibly from another hub)";
      return refused;
    }
  }
  return inner_.run(request);
}

}  // namespace vitals::hub::events
