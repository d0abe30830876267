#include "hub/events/action_runner.hpp"

#include "common/nats/subjects.hpp"
#include "vitals/v1/command.pb.h"

namespace vitals::hub::events {
namespace {

std::string outcomeName(v1::CommandOutcome o) {
  switch (o) {
    case v1::COMMAND_OUTCOME_OK:
      return "ok";
    case v1::COMMAND_OUTCOME_FAILED:
      return "failed";
    case v1::COMMAND_OUTCOME_REJECTED:
      return "rejected";
    case v1::COMMAND_OUTCOME_TIMEOUT:
      return "timeout";
    case v1::COMMAND_OUTCOME_DUPLICATE:
      return "duplicate";
    default:
      return "unknown";
  }
}

}  // namespace

Result<ActionReply> NatsActionRunner::run(const ActionRequest& request) {
  v1::CommandRequest m;
  m.set_request_id(request.request_id);
  m.set_agent_id(request.agent);
  m.set_verb(v1::COMMAND_VERB_RUN_ACTION);
  m.set_action(request.action);
  for (const auto& [k, v] : request.params) {
    (*m.mutable_params())[k] = v;
  }
  m.set_requested_by(request.requested_by);
  // The agent's own action timeout bounds the run; ours bounds the wait for the reply.
  auto bytes = request_(subjects::command(request.agent, "run-action"), m.SerializeAsString(),
                        request.timeout);
  if (!bytes.ok()) {
    return Error{"action.unavailable",
                 "no reply from agent " + request.agent + ": " + bytes.error().message, {}};
  }
  v1::CommandReply r;
  if (!r.ParseFromString(bytes.value())) {
    return Error{"action.reply", "agent " + request.agent + " sent a malformed reply", {}};
  }
  ActionReply out;
  out.outcome = outcomeName(r.outcome());
  out.exit_code = r.exit_code();
  out.duration = std::chrono::milliseconds{r.duration().seconds() * 1000 +
                                           r.duration().nanos() / 1'000'000};
  out.output = r.output();
  out.error = r.error();
  out.argv.assign(r.argv().begin(), r.argv().end());
  return out;
}

}  // namespace vitals::hub::events
