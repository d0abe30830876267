#include "hub/api/services_handler.hpp"

#include <algorithm>
#include <charconv>

#include "common/nats/subjects.hpp"
#include "hub/api/cursor.hpp"
#include "hub/api/json_views.hpp"
#include "hub/api/registry_handler.hpp"
#include "hub/api/request_helpers.hpp"

namespace vitals::hub::api {
namespace {

using nlohmann::json;

}  // namespace

ApiResponse storeError(const Error& error) {
  if (error.code == "db.unavailable") {
    return errorResponse(503, "unavailable", "the database is unavailable: " + error.message);
  }
  return errorResponse(500, "internal", "database error: " + error.message);
}

ApiResponse ServicesHandler::list(const ApiRequest&) const {
  const SystemTime now = clock_.now();
  const auto registry = registry_ != nullptr ? registry_->snapshot() : nullptr;
  json services = json::array();
  for (const auto& s : state_.services()) {
    services.push_back(serviceJson(s, now));
    addRegistryFields(services.back(), &s, metaOf(registry.get(), s.name));
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
  const auto registry = registry_ != nullptr ? registry_->snapshot() : nullptr;
  addRegistryFields(body, &*service, metaOf(registry.get(), name));
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
  auto since = timeParam(req, "since");
  if (!since.ok()) {
    return errorFrom(since.error());
  }
  q.since = since.value();
  auto until = timeParam(req, "until");
  if (!until.ok()) {
    return errorFrom(until.error());
  }
  q.until = until.value();
  if (q.since && q.until && *q.since >= *q.until) {
    return badParameter("until", "must be later than since");
  }
  auto limit = limitParam(req, kDefaultHistoryLimit, kMaxHistoryLimit);
  if (!limit.ok()) {
    return errorFrom(limit.error());
  }
  q.limit = limit.value();
  if (const auto* v = req.param("cursor")) {
    auto c = decodeCursor(*v);
    if (!c) {
      return badParameter("cursor", "not a cursor returned by this endpoint");
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

ApiResponse AgentsHandler::forget(const ApiRequest& req) const {
  const auto found = req.path_params.find("id");
  const std::string* id = found == req.path_params.end() ? nullptr : &found->second;
  if (id == nullptr || !subjects::isValidToken(*id)) {
    return badRequest("agent id: 1-128 characters of A-Z a-z 0-9 _ -");
  }
  if (!forget_) {
    return errorResponse(501, "not_implemented", "this hub cannot retire agents");
  }
  auto agents = store_.agents();
  if (!agents.ok()) {
    return storeError(agents.error());
  }
  const auto it = std::find_if(agents->begin(), agents->end(),
                               [&](const store::AgentRecord& a) { return a.agent_id == *id; });
  if (it == agents->end()) {
    return errorResponse(404, "not_found", "no agent \"" + *id + "\" (or it is retired already)");
  }
  if (!it->deregistered_at && !it->unreachable_since) {
    return errorResponse(409, "conflict",
                         "agent \"" + *id +
                             "\" is online: stop it first (a running agent registers again and "
                             "comes back)");
  }
  auto done = forget_({*id});
  if (!done.ok()) {
    return storeError(done.error());
  }
  if (done->empty()) {
    return errorResponse(404, "not_found", "no agent \"" + *id + "\" (or it is retired already)");
  }
  return jsonResponse({{"agent_id", *id}, {"forgotten", true}});
}

}  // namespace vitals::hub::api
