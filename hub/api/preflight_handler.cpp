#include "hub/api/preflight_handler.hpp"

#include <charconv>

#include "common/time/duration_format.hpp"
#include "hub/api/request_helpers.hpp"

namespace vitals::hub::api {
namespace {

using json = nlohmann::json;

// Access control gives every caller role "admin" when api.auth is disabled; with keys, the route
// table already asks for admin. This is the second lock on the door.
bool isAdmin(const ApiRequest& req) { return req.role == "admin"; }

ApiResponse forbidden() {
  return errorResponse(403, "forbidden", "overrides need the admin role");
}

ApiResponse unavailable(const Error& e) {
  return errorResponse(503, "unavailable", "the database is not reachable: " + e.message);
}

}  // namespace

json toJson(const preflight::Override& o) {
  return {{"id", o.id},
          {"check", o.check},
          {"reason", o.reason},
          {"created_by", o.created_by},
          {"created_at", formatRfc3339(o.created_at)},
          {"expires_at", formatRfc3339(o.expires_at)}};
}

json toJson(const preflight::PreflightReport& r) {
  json checks = json::array();
  for (const auto& c : r.checks) {
    json j = {{"name", c.name},
              {"kind", c.kind},
              {"required", c.required},
              {"passed", c.passed},
              {"error", c.passed ? json(nullptr) : json(c.error)},
              {"detail", c.detail},
              {"overridden", c.overridden},
              {"checked_at", c.checked_at ? json(formatRfc3339(*c.checked_at)) : json(nullptr)},
              {"duration_ms", c.duration.count()}};
    if (c.override_info) {
      j["override"] = toJson(*c.override_info);
    }
    checks.push_back(std::move(j));
  }
  json out = {{"ready", r.ready},
              {"last_run", r.last_run ? json(formatRfc3339(*r.last_run)) : json(nullptr)},
              {"evaluated_at", formatRfc3339(r.evaluated_at)},
              {"checks", checks}};
  if (!r.overrides_error.empty()) {
    out["overrides_error"] = r.overrides_error;
  }
  return out;
}

ApiResponse PreflightHandler::get(const ApiRequest&) const {
  return jsonResponse(toJson(runner_.report()));
}

ApiResponse PreflightHandler::run(const ApiRequest& req) const {
  const auto report = runner_.run(preflight::RunContext{true});
  // The access layer audits the call itself; this row says what the run found.
  (void)overrides_.auditRun(req.actor, report.ready, clock_.now());
  return jsonResponse(toJson(report));
}

ApiResponse PreflightHandler::listOverrides(const ApiRequest&) const {
  auto list = overrides_.active(clock_.now());
  if (!list.ok()) {
    return unavailable(list.error());
  }
  json items = json::array();
  for (const auto& o : list.value()) {
    items.push_back(toJson(o));
  }
  return jsonResponse({{"overrides", items}});
}

ApiResponse PreflightHandler::createOverride(const ApiRequest& req) const {
  if (!isAdmin(req)) {
    return forbidden();
  }
  const json body = json::parse(req.body, nullptr, false);
  if (!body.is_object()) {
    return badRequest("body: must be a JSON object");
  }
  preflight::NewOverride o;
  o.actor = req.actor;
  bool has_expiry = false;
  const auto now = clock_.now();
  for (auto it = body.begin(); it != body.end(); ++it) {
    const auto& k = it.key();
    const auto& v = it.value();
    if (k == "check") {
      if (!v.is_string()) {
        return badRequest("check: must be a string");
      }
      o.check = v.get<std::string>();
    } else if (k == "reason") {
      if (!v.is_string() || v.get<std::string>().empty() || v.get<std::string>().size() > 1000) {
        return badRequest("reason: must be a string of 1-1000 characters");
      }
      o.reason = v.get<std::string>();
    } else if (k == "expires_at" || k == "expires_in") {
      if (has_expiry) {
        return badRequest("give expires_at or expires_in, not both");
      }
      has_expiry = true;
      if (!v.is_string()) {
        return badRequest(k + ": must be a string");
      }
      if (k == "expires_at") {
        if (!parseRfc3339(v.get<std::string>(), o.expires_at)) {
          return badRequest("expires_at: must be an RFC 3339 time");
        }
      } else {
        auto d = parseDuration(v.get<std::string>());
        if (!d) {
          return badRequest("expires_in: must be a duration such as 30m, 4h or 2d");
        }
        o.expires_at = now + *d;
      }
    } else {
      return badRequest(k +
                        ": unknown field (expected check, reason, expires_at or "
                        "expires_in)");
    }
  }
  if (o.check.empty()) {
    return badRequest("check: is required");
  }
  if (!runner_.has(o.check)) {
    return badRequest("check: no pre-flight check named \"" + o.check + "\"");
  }
  if (o.reason.empty()) {
    return badRequest("reason: is required");
  }
  if (!has_expiry) {
    return badRequest("expires_at or expires_in: is required");
  }
  if (o.expires_at <= now) {
    return badRequest("the expiry must be in the future");
  }
  if (o.expires_at > now + kMaxOverride) {
    return badRequest("the expiry must be within 30 days");
  }
  auto created = overrides_.create(o, now);
  if (!created.ok()) {
    return unavailable(created.error());
  }
  const auto report = runner_.evaluate();  // publishes at once when it flips `ready`
  json out = toJson(created.value());
  out["ready"] = report.ready;
  return jsonResponse(out, 201);
}

ApiResponse PreflightHandler::deleteOverride(const ApiRequest& req) const {
  if (!isAdmin(req)) {
    return forbidden();
  }
  const auto parsed_id = idParam(req);
  if (!parsed_id.ok()) {
    return errorFrom(parsed_id.error());
  }
  const std::int64_t id = parsed_id.value();
  const std::string text = std::to_string(id);
  auto revoked = overrides_.revoke(id, req.actor, clock_.now());
  if (!revoked.ok()) {
    return unavailable(revoked.error());
  }
  if (!revoked.value()) {
    return errorResponse(404, "not_found", "no active override with id " + text);
  }
  const auto report = runner_.evaluate();
  return jsonResponse({{"id", id}, {"revoked", true}, {"ready", report.ready}});
}

}  // namespace vitals::hub::api
