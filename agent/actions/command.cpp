#include "agent/actions/command.hpp"

namespace vitals::agent {

std::string_view toString(CommandVerb verb) {
  switch (verb) {
    case CommandVerb::RunAction:
      return "run-action";
    case CommandVerb::Recheck:
      return "recheck";
    case CommandVerb::Diagnose:
      return "diagnose";
    case CommandVerb::Logs:
      return "logs";
    case CommandVerb::SetChecks:
      return "set-checks";
    case CommandVerb::Unspecified:
      break;
  }
  return "unspecified";
}

std::optional<CommandVerb> parseCommandVerb(std::string_view token) {
  for (auto v : {CommandVerb::RunAction, CommandVerb::Recheck, CommandVerb::Diagnose,
                 CommandVerb::Logs, CommandVerb::SetChecks}) {
    if (toString(v) == token) {
      return v;
    }
  }
  return std::nullopt;
}

std::string_view toString(CommandOutcome outcome) {
  switch (outcome) {
    case CommandOutcome::Ok:
      return "ok";
    case CommandOutcome::Failed:
      return "failed";
    case CommandOutcome::Rejected:
      return "rejected";
    case CommandOutcome::Timeout:
      return "timeout";
    case CommandOutcome::Duplicate:
      return "duplicate";
    case CommandOutcome::Unspecified:
      break;
  }
  return "unspecified";
}

}  // namespace vitals::agent
