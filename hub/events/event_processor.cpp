#include "hub/events/event_processor.hpp"

#include "common/nats/subjects.hpp"

namespace vitals::hub::events {
namespace {

constexpr std::size_t kMaxTarget = 256;
constexpr std::size_t kMaxOutputInRecord = 4096;

Error invalid(const std::string& field, const std::string& message) {
  return Error{"event.invalid", field + ": " + message, field};
}

std::string outcomeOf(const Result<ActionReply>& reply) {
  if (!reply.ok()) {
    return reply.error().code == "action.unavailable" ? "unavailable" : "error";
  }
  return reply->outcome;
}

}  // namespace

Result<InboundEvent> parseInboundEvent(std::string_view body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) {
    return invalid("body", "is not valid JSON");
  }
  if (!j.is_object()) {
    return invalid("body", "must be a JSON object");
  }
  InboundEvent e;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const auto& key = it.key();
    const auto& v = it.value();
    if (key == "event_type") {
      if (!v.is_string() || v.get<std::string>().empty() || v.get<std::string>().size() > 128) {
        return invalid(key, "must be a string of 1-128 characters");
      }
      e.event_type = v.get<std::string>();
    } else if (key == "target") {
      if (!v.is_string() || v.get<std::string>().empty() ||
          v.get<std::string>().size() > kMaxTarget) {
        return invalid(key, "must be a string of 1-256 characters");
      }
      e.target = v.get<std::string>();
    } else if (key == "payload") {
      if (!v.is_object()) {
        return invalid(key, "must be a JSON object");
      }
      e.payload = v;
    } else if (key == "controller_override") {
      if (!v.is_string() || !subjects::isValidToken(v.get<std::string>())) {
        return invalid(key, "must be an agent id (1-128 characters of A-Z a-z 0-9 _ -)");
      }
      e.controller_override = v.get<std::string>();
    } else {
      return invalid(key,
                     "unknown field (expected event_type, target, payload, "
                     "controller_override)");
    }
  }
  if (e.event_type.empty()) {
    return invalid("event_type", "is required");
  }
  if (e.target.empty()) {
    return invalid("target", "is required");
  }
  return e;
}

EventProcessor::EventProcessor(EventRules rules, AgentResolver resolve, ActionRunner& runner,
                               EventLog& log, const Clock& clock, metrics::Registry& metrics,
                               ProcessorSettings settings)
    : rules_(std::move(rules)),
      resolve_(std::move(resolve)),
      runner_(runner),
      log_(log),
      clock_(clock),
      metrics_(metrics),
      settings_(settings) {}

EventOutcome EventProcessor::refuse(int status, std::string code, std::string message) {
  metrics_
      .counter("vitals_inbound_events_total", "Inbound events by result", "result=\"" + code + "\"")
      .inc();
  EventOutcome out;
  out.status = status;
  out.code = std::move(code);
  out.message = std::move(message);
  return out;
}

std::optional<std::chrono::milliseconds> EventProcessor::reserve(
    const std::string& agent, const std::string& action, std::chrono::milliseconds cooldown) {
  std::lock_guard lock(mu_);
  const auto now = clock_.steadyNow();
  const auto key = std::make_pair(agent, action);
  if (auto it = last_start_.find(key); it != last_start_.end() && cooldown.count() > 0) {
    const auto since = now - it->second;
    if (since < cooldown) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(cooldown - since);
    }
  }
  last_start_[key] = now;
  return std::nullopt;
}

EventOutcome EventProcessor::handleBody(std::string_view body, const EventCaller& caller) {
  auto event = parseInboundEvent(body);
  if (!event.ok()) {
    return refuse(400, "invalid_event", event.error().message);
  }
  return handle(event.value(), caller);
}

EventOutcome EventProcessor::handle(const InboundEvent& event, const EventCaller& caller) {
  if (caller.role != "admin" && caller.role != "operator") {
    return refuse(403, "forbidden", "sending events needs the operator or admin role");
  }
  if (!rules_.knowsType(event.event_type)) {
    return refuse(422, "unknown_event_type",
                  "no rule handles event_type \"" + event.event_type + "\"");
  }
  const EventRule* rule = rules_.match(event.event_type, event.target);
  if (rule == nullptr) {
    return refuse(422, "no_matching_rule",
                  "no rule for event_type \"" + event.event_type + "\" matches target \"" +
                      event.target + "\"");
  }
  auto params = buildParams(*rule, event.target, event.payload);
  if (!params.ok()) {
    return refuse(400, "invalid_payload", params.error().message);
  }
  std::string agent;
  if (event.controller_override) {
    const bool may =
        caller.role == "admin" || (caller.role == "operator" && rule->allow_operator_override);
    if (!may) {
      return refuse(
          403, "override_forbidden",
          "controller_override needs the admin role" +
              std::string(rule->allow_operator_override ? "" : " for rule " + rule->name));
    }
    agent = *event.controller_override;
  } else if (!rule->agent.empty()) {
    agent = rule->agent;
  } else {
    auto resolved = resolve_(event.target);
    if (!resolved.ok()) {
      return refuse(422, "no_agent", resolved.error().message);
    }
    agent = resolved.value();
  }

  EventRecord rec;
  rec.source = caller.source;
  rec.actor = caller.actor;
  rec.event_type = event.event_type;
  rec.target = event.target;
  rec.payload_json = event.payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  rec.rule = rule->name;
  rec.agent = agent;
  rec.action = rule->action;
  rec.params = params.value();
  rec.received_at = clock_.now();

  const auto cooldown = rule->cooldown.value_or(settings_.default_cooldown);
  const auto wait = reserve(agent, rule->action, cooldown);
  rec.outcome = wait ? "cooldown" : "accepted";
  if (wait) {
    rec.detail = "action " + rule->action + " on " + agent + " ran less than " +
                 config::formatDuration(cooldown) + " ago";
  }
  // The audit row is committed before anything runs; without it nothing runs.
  auto id = log_.accept(rec, clock_.now());
  if (!id.ok()) {
    if (!wait) {
      std::lock_guard lock(mu_);
      last_start_.erase({agent, rule->action});  // nothing ran: do not hold the cooldown
    }
    return refuse(503, "unavailable", "cannot record the event: " + id.error().message);
  }
  rec.id = id.value();
  EventOutcome out;
  if (wait) {
    metrics_
        .counter("vitals_inbound_events_total", "Inbound events by result", "result=\"cooldown\"")
        .inc();
    out.record = rec;
    out.retry_after = *wait;
    return out;
  }

  ActionRequest req;
  req.event_id = rec.id;
  req.service = event.target;
  req.agent = agent;
  req.action = rule->action;
  req.params = rec.params;
  req.requested_by = caller.actor;
  req.reason = "inbound event #" + std::to_string(rec.id) + " (rule " + rule->name + ")";
  req.timeout = settings_.action_timeout;
  req.cooldown = cooldown;
  auto reply = runner_.run(req);
  const std::string outcome = outcomeOf(reply);
  std::string detail;
  if (reply.ok()) {
    if (reply->outcome == "pending-approval") {
      detail = reply->error;  // which repair row waits for whose approval
    } else {
      detail = reply->error.empty() ? "exit " + std::to_string(reply->exit_code) : reply->error;
    }
    out.reply = reply.value();
  } else {
    detail = reply.error().message;
  }
  if (detail.size() > kMaxOutputInRecord) {
    detail.resize(kMaxOutputInRecord);
  }
  if (auto s = log_.finish(rec, outcome, detail, clock_.now()); !s.ok()) {
    rec.detail = "outcome not recorded: " + s.error().message;
  } else {
    rec.detail = detail;
  }
  rec.outcome = outcome;
  rec.finished_at = clock_.now();
  metrics_
      .counter("vitals_inbound_events_total", "Inbound events by result",
               "result=\"" + outcome + "\"")
      .inc();
  out.record = rec;
  return out;
}

nlohmann::json toJson(const EventRecord& r) {
  nlohmann::json params = nlohmann::json::object();
  for (const auto& [k, v] : r.params) {
    params[k] = v;
  }
  nlohmann::json j = {{"id", r.id},
                      {"source", r.source},
                      {"event_type", r.event_type},
                      {"target", r.target},
                      {"payload", nlohmann::json::parse(r.payload_json, nullptr, false)},
                      {"rule", r.rule},
                      {"agent", r.agent},
                      {"action", r.action},
                      {"params", params},
                      {"outcome", r.outcome},
                      {"detail", r.detail},
                      {"received_at", formatRfc3339(r.received_at)},
                      {"finished_at", r.finished_at ? nlohmann::json(formatRfc3339(*r.finished_at))
                                                    : nlohmann::json(nullptr)}};
  if (j["payload"].is_discarded()) {
    j["payload"] = nlohmann::json::object();
  }
  return j;
}

nlohmann::json toJson(const EventOutcome& o) {
  if (o.status != 200) {
    return {{"error", {{"code", o.code}, {"message", o.message}}}};
  }
  nlohmann::json j = o.record ? toJson(*o.record) : nlohmann::json::object();
  if (o.reply) {
    j["result"] = {{"outcome", o.reply->outcome},
                   {"exit_code", o.reply->exit_code},
                   {"duration_ms", o.reply->duration.count()},
                   {"output", o.reply->output},
                   {"error", o.reply->error},
                   {"argv", o.reply->argv}};
    if (o.reply->repair_id != 0) {
      j["result"]["repair_id"] = o.reply->repair_id;
    }
  }
  if (o.retry_after.count() > 0) {
    j["retry_after_ms"] = o.retry_after.count();
  }
  return j;
}

}  // namespace vitals::hub::events
