#include "hub/api/incidents_handler.hpp"

#include "common/time/duration_format.hpp"
#include "hub/api/request_helpers.hpp"
#include "hub/api/services_handler.hpp"

namespace vitals::hub::api {
namespace {

using nlohmann::json;

constexpr int kDefaultLimit = 100;
constexpr int kMaxLimit = 1000;
constexpr auto kMaxSilence = std::chrono::hours{24 * 366};

Error bad(const std::string& message) { return Error{"invalid", message, {}}; }

json timeOrNull(const std::optional<SystemTime>& t) {
  return t ? json(formatRfc3339(*t)) : json(nullptr);
}

Result<SystemTime> timeField(const json& v, const std::string& name) {
  SystemTime t{};
  if (!v.is_string() || !parseRfc3339(v.get<std::string>(), t)) {
    return bad(name + ": must be an RFC 3339 time like \"2026-11-21T10:00:00Z\"");
  }
  return t;
}

}  // namespace

json toJson(const alerts::Incident& i) {
  return {{"id", i.id},
          {"service", i.service},
          {"kind", std::string(alerts::toString(i.kind))},
          {"state", i.open ? "open" : "resolved"},
          {"status", std::string(toString(i.status))},
          {"worst_status", std::string(toString(i.worst))},
          {"reason", i.reason},
          {"agent", i.agent},
          {"check", i.check},
          {"opened_at", formatRfc3339(i.opened_at)},
          {"resolved_at", timeOrNull(i.resolved_at)},
          {"silenced_by", i.silenced_by ? json(*i.silenced_by) : json(nullptr)},
          {"root_cause", i.root_cause},
          {"notified", i.notified},
          {"escalation_level", i.level},
          {"last_notified_at", timeOrNull(i.last_notified_at)},
          {"reminders", i.reminders},
          {"flapping", i.flapping},
          {"transitions", i.transitions},
          {"acknowledged_at", timeOrNull(i.acked_at)},
          {"acknowledged_by", i.acked_by}};
}

json toJson(const alerts::Silence& s, SystemTime now) {
  return {{"id", s.id},
          {"service", s.service},
          {"agent", s.agent},
          {"check", s.check},
          {"starts_at", formatRfc3339(s.starts_at)},
          {"ends_at", formatRfc3339(s.ends_at)},
          {"maintenance", s.maintenance},
          {"comment", s.comment},
          {"creator", s.creator},
          {"created_at", formatRfc3339(s.created_at)},
          {"active", s.starts_at <= now && now < s.ends_at}};
}

Result<alerts::Silence> parseSilence(const json& body, SystemTime now) {
  if (!body.is_object()) {
    return bad("the body must be a JSON object");
  }
  alerts::Silence s;
  s.starts_at = now;
  std::optional<SystemTime> ends;
  std::optional<std::chrono::milliseconds> duration;
  for (const auto& [key, v] : body.items()) {
    if (key == "service" || key == "agent" || key == "check" || key == "comment") {
      if (!v.is_string()) {
        return bad(key + ": must be a string");
      }
      const auto text = v.get<std::string>();
      if (text.size() > (key == "comment" ? 2000U : 256U)) {
        return bad(key + ": too long");
      }
      if (key != "comment" && text.empty()) {
        return bad(key + ": must not be empty (use \"*\" for any)");
      }
      (key == "service" ? s.service
       : key == "agent" ? s.agent
       : key == "check" ? s.check
                        : s.comment) = text;
    } else if (key == "starts_at") {
      auto t = timeField(v, key);
      if (!t.ok()) {
        return t.error();
      }
      s.starts_at = t.value();
    } else if (key == "ends_at") {
      auto t = timeField(v, key);
      if (!t.ok()) {
        return t.error();
      }
      ends = t.value();
    } else if (key == "duration") {
      if (!v.is_string()) {
        return bad("duration: must be a string like \"2h\"");
      }
      duration = parseDuration(v.get<std::string>());
      if (!duration || duration->count() <= 0) {
        return bad("duration: must be a positive duration like \"30m\" or \"2h\"");
      }
    } else if (key == "maintenance") {
      if (!v.is_boolean()) {
        return bad("maintenance: must be true or false");
      }
      s.maintenance = v.get<bool>();
    } else {
      return bad(key + ": unknown field");
    }
  }
  if (ends && duration) {
    return bad("ends_at, duration: give one of them, not both");
  }
  if (!ends && !duration) {
    return bad("ends_at: required (or duration)");
  }
  s.ends_at = ends ? *ends : s.starts_at + *duration;
  if (s.ends_at <= now) {
    return bad("ends_at: must be in the future");
  }
  if (s.ends_at <= s.starts_at) {
    return bad("ends_at: must be after starts_at");
  }
  if (s.ends_at - s.starts_at > kMaxSilence) {
    return bad("ends_at: a silence lasts at most 366 days");
  }
  if (s.service == "*" && s.agent == "*" && s.check == "*") {
    return bad("service: a silence needs at least one matcher other than \"*\"");
  }
  if (s.comment.empty()) {
    return bad("comment: required (say why)");
  }
  return s;
}

ApiResponse IncidentsHandler::list(const ApiRequest& req) const {
  alerts::AlertQuery q;
  if (const auto* st = req.param("state")) {
    if (*st != "open" && *st != "resolved" && *st != "all") {
      return badRequest("state: must be open, resolved or all");
    }
    q.state = *st == "all" ? "" : *st;
  }
  if (const auto* svc = req.param("service")) {
    q.service = *svc;
  }
  if (const auto* kind = req.param("kind")) {
    if (!alerts::parseIncidentKind(*kind)) {
      return badParameter("kind", "must be status, log_rate or agents, got \"" + *kind + "\"");
    }
    q.kind = *kind;
  }
  auto limit = limitParam(req, kDefaultLimit, kMaxLimit);
  if (!limit.ok()) {
    return errorFrom(limit.error());
  }
  q.limit = *limit;
  if (const auto* before = req.param("before")) {
    if (before->empty() || before->size() > 18 ||
        before->find_first_not_of("0123456789") != std::string::npos) {
      return badRequest("before: must be an alert id");
    }
    q.before_id = std::stoll(*before);
  }
  auto rows = store_.list(q);
  if (!rows.ok()) {
    return storeError(rows.error());
  }
  json out = json::array();
  for (const auto& i : rows.value()) {
    out.push_back(toJson(i));
  }
  json body = {{"alerts", out}};
  if (static_cast<int>(rows->size()) == q.limit) {
    body["next_before"] = rows->back().id;
  }
  return jsonResponse(body);
}

ApiResponse IncidentsHandler::get(const ApiRequest& req) const {
  const auto id = idParam(req);
  if (!id.ok()) {
    return errorResponse(404, "not_found", "no alert " + req.path_params.at("id"));
  }
  auto found = store_.get(*id);
  if (!found.ok()) {
    return storeError(found.error());
  }
  if (!found->has_value()) {
    return errorResponse(404, "not_found", "no alert " + std::to_string(*id));
  }
  json body = toJson((*found)->first);
  json timeline = json::array();
  for (const auto& e : (*found)->second) {
    timeline.push_back({{"at", formatRfc3339(e.at)},
                        {"event", e.event},
                        {"channel", e.channel},
                        {"detail", e.detail}});
  }
  body["timeline"] = timeline;
  return jsonResponse(body);
}

ApiResponse IncidentsHandler::ack(const ApiRequest& req) const {
  const auto id = idParam(req);
  if (!id.ok()) {
    return errorResponse(404, "not_found", "no alert " + req.path_params.at("id"));
  }
  if (!req.body.empty()) {
    const json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return badRequest("the body must be a JSON object (or empty)");
    }
    for (const auto& [key, v] : body.items()) {
      (void)v;
      return badRequest(key + ": unknown field");
    }
  }
  auto r = store_.ack(*id, req.actor, clock_.now());
  if (!r.ok()) {
    return storeError(r.error());
  }
  switch (r.value()) {
    case alerts::AckResult::NotFound:
      return errorResponse(404, "not_found", "no alert " + std::to_string(*id));
    case alerts::AckResult::Resolved:
      return errorResponse(409, "conflict", "alert " + std::to_string(*id) + " is resolved");
    case alerts::AckResult::AlreadyAcknowledged:
    case alerts::AckResult::Acknowledged:
      break;
  }
  auto found = store_.get(*id);
  if (!found.ok() || !found->has_value()) {
    return jsonResponse({{"id", *id}, {"acknowledged", true}});
  }
  return jsonResponse(toJson((*found)->first));
}

ApiResponse IncidentsHandler::listSilences(const ApiRequest& req) const {
  bool include_expired = false;
  if (const auto* st = req.param("state")) {
    if (*st != "active" && *st != "all") {
      return badRequest("state: must be active (current and future) or all");
    }
    include_expired = *st == "all";
  }
  auto limit = limitParam(req, kDefaultLimit, kMaxLimit);
  if (!limit.ok()) {
    return errorFrom(limit.error());
  }
  const auto now = clock_.now();
  auto rows = store_.silences(include_expired, now, *limit);
  if (!rows.ok()) {
    return storeError(rows.error());
  }
  json out = json::array();
  for (const auto& s : rows.value()) {
    out.push_back(toJson(s, now));
  }
  return jsonResponse({{"silences", out}});
}

ApiResponse IncidentsHandler::getSilence(const ApiRequest& req) const {
  const auto id = idParam(req);
  if (!id.ok()) {
    return errorResponse(404, "not_found", "no silence " + req.path_params.at("id"));
  }
  auto s = store_.silence(*id);
  if (!s.ok()) {
    return storeError(s.error());
  }
  if (!s->has_value()) {
    return errorResponse(404, "not_found", "no silence " + std::to_string(*id));
  }
  return jsonResponse(toJson(**s, clock_.now()));
}

ApiResponse IncidentsHandler::createSilence(const ApiRequest& req) const {
  auto body = jsonObjectBody(req);
  if (!body.ok()) {
    return errorFrom(body.error());
  }
  const auto now = clock_.now();
  auto parsed = parseSilence(body.value(), now);
  if (!parsed.ok()) {
    return badRequest(parsed.error().message);
  }
  auto s = parsed.value();
  s.creator = req.actor;
  s.created_at = now;
  auto id = store_.addSilence(s);
  if (!id.ok()) {
    return storeError(id.error());
  }
  s.id = id.value();
  auto res = jsonResponse(toJson(s, now), 201);
  res.headers.emplace_back("Location", "/api/v1/silences/" + std::to_string(s.id));
  return res;
}

ApiResponse IncidentsHandler::expireSilence(const ApiRequest& req) const {
  const auto id = idParam(req);
  if (!id.ok()) {
    return errorResponse(404, "not_found", "no silence " + req.path_params.at("id"));
  }
  const auto now = clock_.now();
  auto existing = store_.silence(*id);
  if (!existing.ok()) {
    return storeError(existing.error());
  }
  if (!existing->has_value()) {
    return errorResponse(404, "not_found", "no silence " + std::to_string(*id));
  }
  auto changed = store_.expireSilence(*id, now);
  if (!changed.ok()) {
    return storeError(changed.error());
  }
  auto after = store_.silence(*id);
  if (!after.ok() || !after->has_value()) {
    return jsonResponse({{"id", *id}, {"expired", true}});
  }
  return jsonResponse(toJson(**after, now));
}

}  // namespace vitals::hub::api
