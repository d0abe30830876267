#include "agent/actions/command_handler.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "agent/actions/action_argv.hpp"
#include "agent/actions/log_tail.hpp"
#include "common/config/yaml_reader.hpp"

namespace vitals::agent {
namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;
using std::chrono::milliseconds;

std::string joinArgv(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    const bool plain = !a.empty() && a.find_first_of(" \t\n'\"\\$`") == std::string::npos;
    out += (out.empty() ? "" : " ") + (plain ? a : "'" + a + "'");
  }
  return out;
}

// Untrusted text in an audit line: bounded, printable.
std::string printable(const std::string& text, std::size_t max = 80) {
  std::string out;
  for (char c : text.substr(0, max)) {
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  return text.size() > max ? out + "..." : out;
}

}  // namespace

// What one command carries through its asynchronous steps.
struct CommandHandler::Context {
  Command command;
  ReplyFn reply;
  SteadyTime started{};
  bool registered = false;  // in recent_ as running
};

ProcessResult ProcessActionExecutor::execute(const std::vector<std::string>& argv,
                                             milliseconds timeout, std::size_t max_output) {
  ProcessRequest request;
  request.argv = argv;
  request.max_output = max_output;
  return runProcess(request, clock_, timeout);
}

CommandHandler::CommandHandler(CommandSettings settings, Clock& clock, WorkQueue& queue,
                               ActionExecutor& executor, CheckRunner& checks,
                               metrics::Registry& metrics, std::shared_ptr<spdlog::logger> logger)
    : settings_(std::move(settings)),
      clock_(clock),
      queue_(queue),
      executor_(executor),
      checks_(checks),
      metrics_(metrics),
      logger_(std::move(logger)),
      recent_(settings_.remembered) {}

std::uint32_t CommandHandler::running(const std::string& action) const {
  auto it = running_.find(action);
  return it == running_.end() ? 0 : it->second;
}

const ActionConfig* CommandHandler::findAction(const std::string& name) const {
  for (const auto& a : settings_.actions) {
    if (a.name == name) {
      return &a;
    }
  }
  return nullptr;
}

void CommandHandler::handle(Command command, ReplyFn reply) {
  auto ctx = std::make_shared<Context>();
  ctx->command = std::move(command);
  ctx->reply = std::move(reply);
  ctx->started = clock_.steadyNow();
  const Command& c = ctx->command;

  if (c.request_id.empty()) {
    reject(ctx, "request_id is required");
    return;
  }
  if (const CommandReply* first = recent_.find(c.request_id)) {
    CommandReply again = *first;
    again.outcome = CommandOutcome::Duplicate;
    finish(ctx, std::move(again));
    return;
  }
  if (recent_.running(c.request_id)) {
    CommandReply r;
    r.outcome = CommandOutcome::Duplicate;
    r.error = "the first request with this id is still running";
    finish(ctx, std::move(r));
    return;
  }
  if (!c.agent_id.empty() && c.agent_id != settings_.agent_id) {
    reject(ctx, "addressed to agent " + printable(c.agent_id) + ", this is " + settings_.agent_id);
    return;
  }
  if (c.deadline && clock_.now() > *c.deadline) {
    reject(ctx, "deadline passed before the agent got the request");
    return;
  }
  switch (c.verb) {
    case CommandVerb::RunAction:
      runAction(ctx);
      return;
    case CommandVerb::Recheck:
      runChecks(ctx, false);
      return;
    case CommandVerb::Diagnose:
      runChecks(ctx, true);
      return;
    case CommandVerb::Logs:
      readLogs(ctx);
      return;
    case CommandVerb::SetChecks:
      setChecks(ctx);
      return;
    case CommandVerb::Unspecified:
      break;
  }
  reject(ctx, "unknown verb");
}

void CommandHandler::runAction(const std::shared_ptr<Context>& ctx) {
  const Command& c = ctx->command;
  const ActionConfig* action = findAction(c.action);
  if (action == nullptr) {
    logger_->warn("command {}: refused unknown action \"{}\" (requested by {})", c.request_id,
                  printable(c.action), printable(c.requested_by));
    reject(ctx, c.action.empty() ? "action is required"
                                 : "unknown action \"" + printable(c.action) + "\"");
    return;
  }
  auto argv = buildArgv(*action, c.params);
  if (!argv) {
    reject(ctx, argv.error().message);
    return;
  }
  if (c.dry_run) {
    CommandReply r;
    r.outcome = CommandOutcome::Ok;
    r.argv = *argv;
    r.output = "dry run: would run " + joinArgv(*argv) + " (timeout " +
               config::formatDuration(action->timeout) + ")";
    ctx->registered = true;
    recent_.start(c.request_id);
    finish(ctx, std::move(r));
    return;
  }
  std::uint32_t& busy = running_[action->name];
  if (busy >= action->max_concurrent) {
    reject(ctx, "busy: " + std::to_string(busy) + " run(s) of " + action->name +
                    " in progress (max_concurrent " + std::to_string(action->max_concurrent) + ")");
    return;
  }
  const SteadyTime now = clock_.steadyNow();
  if (auto it = last_start_.find(action->name); it != last_start_.end() &&
                                                action->cooldown.count() > 0 &&
                                                now < it->second + action->cooldown) {
    const auto left = duration_cast<milliseconds>(it->second + action->cooldown - now);
    reject(ctx, "cooldown: " + action->name + " may run again in " +
                    config::formatDuration(std::max(left, milliseconds{1})));
    return;
  }
  ++busy;
  last_start_[action->name] = now;
  ctx->registered = true;
  recent_.start(c.request_id);
  // The audit line comes before the process starts (rule 16).
  logger_->info("audit: starting request={} by={} action={} argv=[{}]", c.request_id,
                printable(c.requested_by), action->name, printable(joinArgv(*argv), 400));
  runOffLoop<ProcessResult>(
      queue_,
      [this, argv = *argv, timeout = action->timeout, max_output = action->max_output] {
        return executor_.execute(argv, timeout, max_output);
      },
      [this, ctx, argv = *argv, name = action->name, timeout = action->timeout](ProcessResult p) {
        auto it = running_.find(name);
        if (it != running_.end() && it->second > 0) {
          --it->second;
        }
        CommandReply r;
        r.argv = argv;
        r.output = sanitizeUtf8(p.output);
        r.output_truncated = p.truncated;
        r.duration = p.duration;
        if (!p.started) {
          r.outcome = CommandOutcome::Failed;
          r.exit_code = -1;
          r.error = p.start_error;
        } else if (p.timed_out) {
          r.outcome = CommandOutcome::Timeout;
          r.exit_code = -1;
          r.error =
              "timed out after " + config::formatDuration(timeout) + " (process group killed)";
        } else if (p.signal != 0) {
          r.outcome = CommandOutcome::Failed;
          r.exit_code = 128 + p.signal;
          r.error = "killed by signal " + std::to_string(p.signal);
        } else {
          r.exit_code = p.exit_code;
          r.outcome = p.exit_code == 0 ? CommandOutcome::Ok : CommandOutcome::Failed;
          if (p.exit_code != 0) {
            r.error = "exit code " + std::to_string(p.exit_code);
          }
        }
        finish(ctx, std::move(r));
      },
      [](const std::string& what) {
        ProcessResult p;
        p.start_error = "cannot run: " + what;
        return p;
      });
}

void CommandHandler::runChecks(const std::shared_ptr<Context>& ctx, bool verbose) {
  const Command& c = ctx->command;
  std::vector<std::string> names;
  if (!c.check.empty()) {
    if (!c.service.empty()) {
      const auto of = checks_.checksOfService(c.service);
      if (std::find(of.begin(), of.end(), c.check) == of.end()) {
        reject(ctx, "service " + printable(c.service) + " has no check " + printable(c.check));
        return;
      }
    }
    names.push_back(c.check);
  } else if (!c.service.empty()) {
    names = checks_.checksOfService(c.service);
    if (names.empty()) {
      reject(ctx, "no checks for service " + printable(c.service));
      return;
    }
  } else {
    reject(ctx, "check or service is required");
    return;
  }
  struct Gather {
    std::size_t remaining = 0;
    std::vector<CheckResult> results;
    std::vector<std::string> missing;
  };
  auto gather = std::make_shared<Gather>();
  gather->remaining = names.size();
  ctx->registered = true;
  recent_.start(c.request_id);
  logger_->info("audit: starting request={} by={} verb={} checks={}", c.request_id,
                printable(c.requested_by), toString(c.verb), names.size());
  std::vector<std::string> unknown;
  for (const auto& name : names) {
    const bool started =
        checks_.runNow(name, verbose, [this, ctx, gather, name](std::optional<CheckResult> r) {
          if (r) {
            r->agent_id = settings_.agent_id;  // seq stays 0: the pipeline numbers its own copy
            gather->results.push_back(std::move(*r));
          } else {
            gather->missing.push_back(name);
          }
          if (--gather->remaining > 0) {
            return;
          }
          CommandReply reply;
          reply.results = std::move(gather->results);
          reply.outcome = CommandOutcome::Ok;
          if (!gather->missing.empty()) {
            reply.outcome = CommandOutcome::Failed;
            for (const auto& m : gather->missing) {
              reply.error += (reply.error.empty() ? "removed before it ran: " : ", ") + m;
            }
          }
          reply.duration = duration_cast<microseconds>(clock_.steadyNow() - ctx->started);
          finish(ctx, std::move(reply));
        });
    if (!started) {
      unknown.push_back(name);
    }
  }
  if (!unknown.empty()) {
    // Only possible for a single named check (service lists come from the scheduler).
    recent_.abandon(c.request_id);
    ctx->registered = false;
    reject(ctx, "unknown check " + printable(unknown.front()));
  }
}

void CommandHandler::readLogs(const std::shared_ptr<Context>& ctx) {
  const Command& c = ctx->command;
  if (c.service.empty()) {
    reject(ctx, "service is required");
    return;
  }
  auto it = settings_.services.find(c.service);
  if (it == settings_.services.end() || it->second.log_file.empty()) {
    reject(ctx, "no log_file configured for service " + printable(c.service));
    return;
  }
  const std::uint32_t lines = c.lines == 0 ? settings_.logs_default_lines : c.lines;
  if (lines > settings_.logs_max_lines) {
    reject(ctx, "lines must be at most " + std::to_string(settings_.logs_max_lines));
    return;
  }
  ctx->registered = true;
  recent_.start(c.request_id);
  runOffLoop<Result<TailResult>>(
      queue_,
      [path = it->second.log_file, lines, max = settings_.logs_max_bytes] {
        return tailFile(path, lines, max);
      },
      [this, ctx](Result<TailResult> tail) {
        CommandReply r;
        if (!tail) {
          r.outcome = CommandOutcome::Failed;
          r.error = tail.error().message;
        } else {
          r.outcome = CommandOutcome::Ok;
          r.lines = std::move(tail->lines);
          r.output_truncated = tail->truncated;
        }
        r.duration = duration_cast<microseconds>(clock_.steadyNow() - ctx->started);
        finish(ctx, std::move(r));
      },
      [](const std::string& what) -> Result<TailResult> {
        return Error{"logs.read", what, {}};
      });
}

void CommandHandler::reject(const std::shared_ptr<Context>& ctx, const std::string& why) {
  CommandReply r;
  r.outcome = CommandOutcome::Rejected;
  r.error = why;
  finish(ctx, std::move(r));
}

void CommandHandler::setChecks(const std::shared_ptr<Context>& ctx) {
  if (check_sets_ == nullptr) {
    reject(ctx, "this agent does not take checks from the hub");
    return;
  }
  CommandReply r;
  r.check_results = check_sets_->apply(ctx->command.api_checks, ctx->command.dry_run);
  r.outcome = CommandOutcome::Ok;
  for (const auto& o : r.check_results) {
    if (!o.applied) {
      r.outcome = CommandOutcome::Failed;  // the per-check errors say which
    }
  }
  r.duration = duration_cast<microseconds>(clock_.steadyNow() - ctx->started);
  finish(ctx, std::move(r));
}

void CommandHandler::finish(const std::shared_ptr<Context>& ctx, CommandReply reply) {
  const Command& c = ctx->command;
  reply.request_id = c.request_id;
  reply.agent_id = settings_.agent_id;
  if (ctx->registered) {
    recent_.finish(c.request_id, reply);  // the first reply is what duplicates repeat
  }
  metrics_
      .counter("vitals_agent_commands_total", "Commands answered, by verb and outcome",
               "verb=\"" + std::string(toString(c.verb)) + "\",outcome=\"" +
                   std::string(toString(reply.outcome)) + "\"")
      .inc();
  std::string params;
  for (const auto& [k, v] : c.params) {
    params += (params.empty() ? "" : ",") + printable(k, 32) + "=" + printable(v, 64);
  }
  logger_->info(
      "audit: request={} by={} verb={} action={} service={} check={} params={{{}}} dry_run={} "
      "outcome={} exit_code={} duration_ms={} error={}",
      printable(c.request_id), printable(c.requested_by), toString(c.verb), printable(c.action),
      printable(c.service), printable(c.check), params, c.dry_run, toString(reply.outcome),
      reply.exit_code, duration_cast<milliseconds>(reply.duration).count(),
      reply.error.empty() ? "-" : printable(reply.error, 200));
  try {
    ctx->reply(reply);
  } catch (const std::exception& e) {
    logger_->error("command {}: sending the reply failed: {}", c.request_id, e.what());
  }
}

}  // namespace vitals::agent
