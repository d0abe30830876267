#pragma once
// Domain values of a command (vitals.cmd.<agent>.<verb>) and its reply. Converted to and from
// the protobuf CommandRequest/CommandReply only in command_codec.cpp.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/model/check_result.hpp"
#include "common/time/clock.hpp"

namespace vitals::agent {

enum class CommandVerb { Unspecified, RunAction, Recheck, Diagnose, Logs, SetChecks };
enum class CommandOutcome { Unspecified, Ok, Failed, Rejected, Timeout, Duplicate };

// A check managed through the hub's API (set-checks): name and JSON definition.
struct ApiCheckDef {
  std::string name;
  std::string definition;
};

// What the agent did with one of them.
struct ApiCheckOutcome {
  std::string name;
  bool applied = false;
  std::string error;
};

struct Command {
  std::string request_id;  // idempotency key
  std::string agent_id;
  CommandVerb verb = CommandVerb::Unspecified;
  std::string action;
  std::string service;
  std::string check;
  std::map<std::string, std::string> params;
  bool dry_run = false;
  std::uint32_t lines = 0;  // logs; 0 = default
  std::string requested_by;
  std::optional<SystemTime> deadline;
  std::vector<ApiCheckDef> api_checks;  // set-checks: the whole set (dry_run: only validate)
};

struct CommandReply {
  std::string request_id;
  std::string agent_id;
  CommandOutcome outcome = CommandOutcome::Unspecified;
  int exit_code = 0;
  std::chrono::microseconds duration{0};
  std::string output;  // capped
  bool output_truncated = false;
  std::string error;
  std::vector<CheckResult> results;            // recheck / diagnose
  std::vector<std::string> lines;              // logs
  std::vector<std::string> argv;               // run-action: what ran (or would run, with dry_run)
  std::vector<ApiCheckOutcome> check_results;  // set-checks: one per requested check
};

// "run-action", "recheck", "diagnose", "logs", "set-checks" (the subject's verb token).
std::string_view toString(CommandVerb verb);
std::optional<CommandVerb> parseCommandVerb(std::string_view token);
// "ok", "failed", "rejected", "timeout", "duplicate" (for audit lines and metrics).
std::string_view toString(CommandOutcome outcome);

}  // namespace vitals::agent
