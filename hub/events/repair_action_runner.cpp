#include "hub/events/repair_action_runner.hpp"

namespace vitals::hub::events {
namespace {

constexpr std::chrono::milliseconds kLeaseWait{2000};

}  // namespace

Result<ActionReply> RepairActionRunner::run(const ActionRequest& request) {
  auto lease = pool_.acquire(kLeaseWait);
  if (!lease.ok()) {
    return Error{"action.unavailable", "action guard: " + lease.error().message, {}};
  }
  repair::ActionAsk ask;
  ask.trigger = repair::Trigger::Event;
  ask.service = request.service;
  ask.agent = request.agent;
  ask.action = request.action;
  ask.params = request.params;
  ask.requested_by = request.requested_by;
  ask.reason = request.reason;
  ask.cooldown = request.cooldown;
  ask.timeout = request.timeout;
  repair::PgRepairSession session(store_, lease->conn());
  auto run = engine_.runAction(session, ask);
  if (!run.ok()) {
    return Error{"action.unavailable", "action guard: " + run.error().message, {}};
  }
  ActionReply out;
  out.repair_id = run->repair_id;
  const std::string row = "repair #" + std::to_string(run->repair_id);
  switch (run->kind) {
    case repair::ActionRun::Kind::Refused:
      out.outcome = "rejected";
      out.error = run->reason;
      return out;
    case repair::ActionRun::Kind::PendingApproval:
      out.outcome = "pending-approval";
      out.error = row + " waits for approval (" + run->reason + "): POST /api/v1/approvals/" +
                  std::to_string(run->repair_id) + "/approve";
      return out;
    case repair::ActionRun::Kind::DryRun:
    case repair::ActionRun::Kind::Ran:
      break;
  }
  if (!run->reply) {
    return Error{"action.unavailable", run->error, {}};
  }
  const auto& r = *run->reply;
  out.outcome = run->kind == repair::ActionRun::Kind::DryRun ? "dry-run" : r.outcome;
  out.exit_code = r.exit_code;
  out.duration = std::chrono::milliseconds{r.duration_ms};
  out.output = r.output;
  out.error = r.error;
  out.argv = r.argv;
  return out;
}

}  // namespace vitals::hub::events
