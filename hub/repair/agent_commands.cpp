#include "hub/repair/agent_commands.hpp"

#include "common/model/codec.hpp"
#include "common/nats/subjects.hpp"
#include "vitals/v1/command.pb.h"

namespace vitals::hub::repair {
namespace {

namespace pb = vitals::v1;

pb::CommandVerb verbOf(const std::string& verb) {
  if (verb == "run-action") {
    return pb::COMMAND_VERB_RUN_ACTION;
  }
  if (verb == "recheck") {
    return pb::COMMAND_VERB_RECHECK;
  }
  if (verb == "diagnose") {
    return pb::COMMAND_VERB_DIAGNOSE;
  }
  if (verb == "logs") {
    return pb::COMMAND_VERB_LOGS;
  }
  if (verb == "set-checks") {
    return pb::COMMAND_VERB_SET_CHECKS;
  }
  return pb::COMMAND_VERB_UNSPECIFIED;
}

std::string outcomeOf(pb::CommandOutcome o) {
  switch (o) {
    case pb::COMMAND_OUTCOME_OK:
      return "ok";
    case pb::COMMAND_OUTCOME_FAILED:
      return "failed";
    case pb::COMMAND_OUTCOME_REJECTED:
      return "rejected";
    case pb::COMMAND_OUTCOME_TIMEOUT:
      return "timeout";
    case pb::COMMAND_OUTCOME_DUPLICATE:
      return "duplicate";
    default:
      return "unspecified";
  }
}

}  // namespace

Result<AgentReply> NatsAgentCommands::send(const AgentCommand& c) {
  pb::CommandRequest m;
  m.set_request_id(c.request_id);
  m.set_agent_id(c.agent);
  m.set_verb(verbOf(c.verb));
  m.set_action(c.action);
  m.set_service(c.service);
  for (const auto& [k, v] : c.params) {
    (*m.mutable_params())[k] = v;
  }
  m.set_dry_run(c.dry_run);
  m.set_lines(c.lines);
  m.set_requested_by(c.requested_by);
  for (const auto& check : c.checks) {
    auto* out = m.add_checks();
    out->set_name(check.name);
    out->set_definition(check.definition);
  }
  auto bytes = request_(subjects::command(c.agent, c.verb), m.SerializeAsString(), c.timeout);
  if (!bytes.ok()) {
    return Error{
        "agent.unavailable", "no reply from agent " + c.agent + ": " + bytes.error().message, {}};
  }
  pb::CommandReply reply;
  if (!reply.ParseFromString(bytes.value())) {
    return Error{"agent.reply", "the reply of agent " + c.agent + " is not a CommandReply", {}};
  }
  AgentReply r;
  r.outcome = outcomeOf(reply.outcome());
  r.exit_code = reply.exit_code();
  r.duration_ms = reply.duration().seconds() * 1000 + reply.duration().nanos() / 1000000;
  r.output = reply.output();
  r.output_truncated = reply.output_truncated();
  r.error = reply.error();
  for (const auto& bytes_result : reply.results()) {
    auto result = codec::decodeCheckResult(bytes_result);
    if (result.ok()) {
      r.results.push_back(std::move(result.value()));
    }
  }
  r.lines.assign(reply.lines().begin(), reply.lines().end());
  r.argv.assign(reply.argv().begin(), reply.argv().end());
  for (const auto& applied : reply.check_results()) {
    r.check_results.push_back({applied.name(), applied.applied(), applied.error()});
  }
  return r;
}

}  // namespace vitals::hub::repair
