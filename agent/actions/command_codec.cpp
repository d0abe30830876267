#include "agent/actions/command_codec.hpp"

#include "common/model/codec.hpp"
#include "vitals/v1/command.pb.h"

namespace vitals::agent {
namespace {

namespace pb = vitals::v1;

CommandVerb fromProto(pb::CommandVerb v) {
  switch (v) {
    case pb::COMMAND_VERB_RUN_ACTION:
      return CommandVerb::RunAction;
    case pb::COMMAND_VERB_RECHECK:
      return CommandVerb::Recheck;
    case pb::COMMAND_VERB_DIAGNOSE:
      return CommandVerb::Diagnose;
    case pb::COMMAND_VERB_LOGS:
      return CommandVerb::Logs;
    case pb::COMMAND_VERB_SET_CHECKS:
      return CommandVerb::SetChecks;
    default:
      return CommandVerb::Unspecified;
  }
}

pb::CommandOutcome toProto(CommandOutcome o) {
  switch (o) {
    case CommandOutcome::Ok:
      return pb::COMMAND_OUTCOME_OK;
    case CommandOutcome::Failed:
      return pb::COMMAND_OUTCOME_FAILED;
    case CommandOutcome::Rejected:
      return pb::COMMAND_OUTCOME_REJECTED;
    case CommandOutcome::Timeout:
      return pb::COMMAND_OUTCOME_TIMEOUT;
    case CommandOutcome::Duplicate:
      return pb::COMMAND_OUTCOME_DUPLICATE;
    case CommandOutcome::Unspecified:
      break;
  }
  return pb::COMMAND_OUTCOME_UNSPECIFIED;
}

Error invalid(std::string message) { return Error{"command.invalid", std::move(message), {}}; }

}  // namespace

Result<Command> decodeCommand(std::string_view bytes, std::string_view subject_verb) {
  pb::CommandRequest msg;
  if (!msg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return invalid("not a CommandRequest protobuf");
  }
  const auto verb = parseCommandVerb(subject_verb);
  if (!verb) {
    return invalid("unknown verb \"" + std::string(subject_verb) + "\"");
  }
  Command c;
  c.verb = *verb;
  const CommandVerb given = fromProto(msg.verb());
  if (given != CommandVerb::Unspecified && given != *verb) {
    return invalid("verb " + std::string(toString(given)) + " sent on the " +
                   std::string(subject_verb) + " subject");
  }
  c.request_id = msg.request_id();
  c.agent_id = msg.agent_id();
  c.action = msg.action();
  c.service = msg.service();
  c.check = msg.check();
  c.params.insert(msg.params().begin(), msg.params().end());
  c.dry_run = msg.dry_run();
  c.lines = msg.lines();
  c.requested_by = msg.requested_by();
  for (const auto& check : msg.checks()) {
    c.api_checks.push_back(ApiCheckDef{check.name(), check.definition()});
  }
  if (msg.has_deadline()) {
    c.deadline = SystemTime{std::chrono::duration_cast<SystemTime::duration>(
        std::chrono::seconds{msg.deadline().seconds()} +
        std::chrono::nanoseconds{msg.deadline().nanos()})};
  }
  return c;
}

std::string encodeCommandReply(const CommandReply& r) {
  pb::CommandReply msg;
  msg.set_request_id(r.request_id);
  msg.set_agent_id(r.agent_id);
  msg.set_outcome(toProto(r.outcome));
  msg.set_exit_code(r.exit_code);
  const auto us = r.duration.count();
  msg.mutable_duration()->set_seconds(us / 1000000);
  msg.mutable_duration()->set_nanos(static_cast<std::int32_t>((us % 1000000) * 1000));
  msg.set_output(r.output);
  msg.set_output_truncated(r.output_truncated);
  msg.set_error(r.error);
  for (const auto& result : r.results) {
    msg.add_results(codec::encodeCheckResult(result));
  }
  for (const auto& line : r.lines) {
    msg.add_lines(line);
  }
  for (const auto& a : r.argv) {
    msg.add_argv(a);
  }
  for (const auto& o : r.check_results) {
    auto* out = msg.add_check_results();
    out->set_name(o.name);
    out->set_applied(o.applied);
    out->set_error(o.error);
  }
  return msg.SerializeAsString();
}

}  // namespace vitals::agent
