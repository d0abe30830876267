#include "hub/api/services_handler.hpp"

#include <charconv>

#include "hub/api/cursor.hpp"
#include "hub/api/json_views.hpp"

namespace vitals::hub::api {
namespace {

using nlohmann::json;

ApiResponse badParam(const std::string& name, const std::string& why) {
  return errorResponse(400, "bad_request", "invalid value for \"" + name + "\": " + why);
}

}  // namespace

ApiResponse storeError(const Error& error) {
  if (error.code == "db.unavailable") {
    return errorResponse(503, "unavailable", "the database is unavailable: " + error.message);
  }
  return errorResponse(500, "internal", "database error: " + error.message);
}

ApiResponse ServicesHandler::list(const ApiRequest&) const {
  const SystemTime now = clock_.now();
  json services = json::array();
  for (const auto& s : state_.services()) {
    services.push_back(serviceJson(s, now));
  }
  return jsonResponse({{"services", std::move(services)}});
}

ApiResponse ServicesHandler::get(const ApiRequest& req) const {
  const std::string& name = req.path_params.at("name");
  auto service = state_.service(name);
  if (!service) {
    return errorResponse(404, "not_found", "no service named \"" + name + "\"");
  }
  store::HistoryQuery q;
  q.service = name;
  q.limit = kRecentResults;
  auto page = store_.history(q);
  if (!page.ok()) {
    return storeError(page.error());
  }
  json body = serviceJson(*service, clock_.now());
  json recent = json::array();
  for (const auto& r : page->results) {
    recent.push_back(resultJson(r));
  }
  body["recent"] = std::move(recent);
  return jsonResponse(std::move(body));
}

ApiResponse ServicesHandler::history(const ApiRequest& req) const {
  const std::string& name = req.path_params.at("name");
  store::HistoryQuery q;
  q.service = name;
  q.limit = kDefaultHistoryLimit;
  if (const auto* v = req.param("since")) {
    SystemTime t;
    if (!parseRfc3339(*v, t)) {
      return badParam("since", "expected an RFC 3339 time such as 2026-01-02T03:04:05Z");
    }
    q.since = t;
  }
  if (const auto* v = req.param("until")) {
    SystemTime t;
    if (!parseRfc3339(*v, t)) {
      return badParam("until", "expected an RFC 3339 time such as 2026-01-02T03:04:05Z");
    }
    q.until = t;
  }
  if (q.since && q.until && *q.since >= *q.until) {
    return badParam("until", "must be later than since");
  }
  if (const auto* v = req.param("limit")) {
    int n = 0;
    const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc{} || end != v->data() + v->size() || n < 1 || n > kMaxHistoryLimit) {
      return badParam("limit", "expected an integer from 1 to " +
                                   std::to_string(kMaxHistoryLimit) + ", got \"" + *v + "\"");
    }
    q.limit = n;
  }
  if (const auto* v = req.param("cursor")) {
    auto c = decodeCursor(*v);
    if (!c) {
      return badParam("cursor", "not a cursor returned by this endpoint");
    }
    q.after = *c;
  }
  auto page = store_.history(q);
  if (!page.ok()) {
    return storeError(page.error());
  }
  // A service the hub never heard of is a 404; one that only has history still answers.
  if (page->results.empty() && !q.after && !state_.service(name)) {
    return errorResponse(404, "not_found", "no service named \"" + name + "\"");
  }
  json results = json::array();
  for (const auto& r : page->results) {
    results.push_back(resultJson(r));
  }
  return jsonResponse({{"results", std::move(results)},
                       {"next", page->next ? json(encodeCursor(*page->next)) : json(nullptr)}});
}

ApiResponse AgentsHandler::list(const ApiRequest&) const {
  auto agents = store_.agents();
  if (!agents.ok()) {
    return storeError(agents.error());
  }
  const SystemTime now = clock_.now();
  json out = json::array();
  for (const auto& a : agents.value()) {
    out.push_back(agentJson(a, now));
  }
  return jsonResponse({{"agents", std::move(out)}});
}

}  // namespace vitals::hub::api
