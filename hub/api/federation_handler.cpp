#include "hub/api/federation_handler.hpp"

#include "common/nats/subjects.hpp"
#include "hub/federation/summary.hpp"
#include "hub/federation/summary_builder.hpp"

namespace vitals::hub::api {
namespace {

using nlohmann::json;

json timeOrNull(const std::optional<SystemTime>& t) {
  return t ? json(formatRfc3339(*t)) : json(nullptr);
}

json serviceJson(const std::string& hub, const federation::ServiceSummary& s, bool stale,
                 const std::optional<SystemTime>& updated_at) {
  return {{"hub", hub},
          {"name", s.name},
          {"type", s.type},
          {"status", std::string(federation::summaryStatus(s.status))},
          {"latency_ms", s.latency_ms},
          {"version", s.version},
          {"uptime_seconds", s.uptime_seconds},
          {"endpoints", s.endpoints},
          {"endpoints_healthy", s.endpoints_healthy},
          {"endpoints_total", s.endpoints_total},
          {"hub_stale", stale},
          {"updated_at", timeOrNull(updated_at)}};
}

// This hub's own services in the summary's words.
federation::ServiceSummary localSummary(const state::ServiceState& s) {
  federation::ServiceSummary out;
  out.name = s.name;
  out.status = s.status;
  if (!s.checks.empty()) {
    out.type = s.checks.front().kind;
  }
  if (s.latency) {
    out.latency_ms = static_cast<std::uint32_t>(s.latency->count() / 1000);
  }
  std::set<std::string> targets;
  for (const auto& c : s.checks) {
    if (!c.target.empty()) {
      targets.insert(c.target);
    }
    out.endpoints_healthy += c.status == HealthStatus::Healthy ? 1 : 0;
  }
  out.endpoints_total = static_cast<std::uint32_t>(s.checks.size());
  out.endpoints.assign(targets.begin(), targets.end());
  return out;
}

}  // namespace

json federationHubJson(const federation::RemoteHub& h, SystemTime now) {
  json j = {{"id", h.id},
            {"url", h.url},
            {"version", h.version},
            {"capabilities", h.capabilities},
            {"overall_status", h.overall_status},
            {"stale", h.stale},
            {"last_summary_at", timeOrNull(h.last_summary_at)},
            {"last_heard_at", timeOrNull(h.last_heard_at)},
            {"registered_at", timeOrNull(h.registered_at)},
            {"services",
             {{"total", h.services_total},
              {"up", h.services_up},
              {"degraded", h.services_degraded},
              {"down", h.services_down},
              {"unknown", h.services_unknown}}},
            {"agents_online", h.agents_online},
            {"agents_total", h.agents_total},
            {"open_incidents", h.open_incidents}};
  if (h.last_heard_at) {
    j["seconds_since_heard"] =
        std::chrono::duration_cast<std::chrono::seconds>(now - *h.last_heard_at).count();
  } else {
    j["seconds_since_heard"] = nullptr;
  }
  return j;
}

ApiResponse FederationHandler::hubs(const ApiRequest&) const {
  const SystemTime now = clock_.now();
  json out = json::array();
  for (const auto& h : view_.hubs()) {
    out.push_back(federationHubJson(h, now));
  }
  return jsonResponse({{"hub_id", own_id_}, {"hubs", std::move(out)}});
}

ApiResponse FederationHandler::hub(const ApiRequest& req) const {
  const std::string& id = req.path_params.at("id");
  auto h = view_.hub(id);
  if (!h) {
    return errorResponse(404, "not_found", "no remote hub \"" + id + "\" is known");
  }
  json body = federationHubJson(*h, clock_.now());
  json services = json::array();
  federation::ServiceFilter f;
  f.hub = id;
  for (const auto& s : view_.services(f)) {
    services.push_back(serviceJson(s.hub_id, s.summary, h->stale, s.updated_at));
  }
  body["service_list"] = std::move(services);
  return jsonResponse(std::move(body));
}

ApiResponse FederationHandler::services(const ApiRequest& req) const {
  federation::ServiceFilter f;
  if (const auto* st = req.param("status")) {
    auto parsed = parseHealthStatus(*st);
    if (!parsed) {
      return errorResponse(400, "bad_request",
                           "invalid value for \"status\": must be up, degraded, down or unknown");
    }
    f.status = parsed;
  }
  if (const auto* hub = req.param("hub")) {
    if (!subjects::isValidToken(*hub)) {
      return errorResponse(400, "bad_request", "invalid value for \"hub\": not a hub id");
    }
    f.hub = *hub;
  }
  json out = json::array();
  if (!f.hub || *f.hub == own_id_) {
    for (const auto& s : state_.services()) {
      if (!f.status || *f.status == s.status) {
        out.push_back(serviceJson(own_id_, localSummary(s), false, s.last_checked));
      }
    }
  }
  std::map<std::string, bool> stale;
  for (const auto& h : view_.hubs()) {
    stale[h.id] = h.stale;
  }
  for (const auto& s : view_.services(f)) {
    out.push_back(serviceJson(s.hub_id, s.summary, stale[s.hub_id], s.updated_at));
  }
  return jsonResponse({{"services", std::move(out)}});
}

ApiResponse FederationHandler::registerHub(const ApiRequest& req) const {
  auto body = json::parse(req.body, nullptr, false);
  if (!body.is_object()) {
    return errorResponse(400, "bad_request", "the body must be a JSON object");
  }
  for (const auto& [key, value] : body.items()) {
    if (key != "hub_id" && key != "url" && key != "version" && key != "capabilities") {
      return errorResponse(400, "bad_request", "unknown field \"" + key + "\"");
    }
  }
  if (!body.contains("hub_id") || !body["hub_id"].is_string() ||
      !subjects::isValidToken(body["hub_id"].get<std::string>())) {
    return errorResponse(400, "bad_request",
                         "\"hub_id\" is required: letters, digits, '_' and '-' (at most 128)");
  }
  const std::string id = body["hub_id"].get<std::string>();
  if (id == own_id_) {
    return errorResponse(400, "bad_request", "\"hub_id\" is this hub's own id");
  }
  if (!body.contains("url") || !body["url"].is_string()) {
    return errorResponse(400, "bad_request", "\"url\" is required (http:// or https://)");
  }
  const std::string url = body["url"].get<std::string>();
  if ((url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) || url.size() > 2048) {
    return errorResponse(400, "bad_request", "\"url\" must be an http:// or https:// URL");
  }
  std::string version;
  if (body.contains("version")) {
    if (!body["version"].is_string()) {
      return errorResponse(400, "bad_request", "\"version\" must be a string");
    }
    version = body["version"].get<std::string>();
  }
  std::vector<std::string> caps;
  if (body.contains("capabilities")) {
    if (!body["capabilities"].is_array()) {
      return errorResponse(400, "bad_request", "\"capabilities\" must be an array of strings");
    }
    for (const auto& c : body["capabilities"]) {
      if (!c.is_string()) {
        return errorResponse(400, "bad_request", "\"capabilities\" must be an array of strings");
      }
      caps.push_back(c.get<std::string>());
    }
  }
  auto stored = announce_(id, url, version, caps);
  if (!stored.ok()) {
    if (stored.error().code == "db.unavailable") {
      return errorResponse(503, "unavailable",
                           "the database is unavailable: " + stored.error().message);
    }
    return errorResponse(500, "internal", stored.error().describe());
  }
  return jsonResponse(federationHubJson(stored.value(), clock_.now()));
}

}  // namespace vitals::hub::api
