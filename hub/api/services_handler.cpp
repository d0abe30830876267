#include "hub/api/services_handler.hpp"

#include <algorithm>
#include <charconv>
#include <random>

#include "common/nats/subjects.hpp"
#include "hub/api/cursor.hpp"
#include "hub/api/json_views.hpp"
#include "hub/api/request_helpers.hpp"
#include "hub/api/service_list.hpp"

namespace vitals::hub::api {
namespace {

using nlohmann::json;

std::uint64_t randomEpoch() {
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

// FNV-1a over the decoded query in order: the same query string gives the same tag.
std::uint64_t queryHash(const ApiRequest& req) {
  std::uint64_t h = 1469598103934665603ULL;
  const auto mix = [&](std::string_view s) {
    for (unsigned char c : s) {
      h = (h ^ c) * 1099511628211ULL;
    }
    h = (h ^ 0xff) * 1099511628211ULL;  // separator: ("ab","c") differs from ("a","bc")
  };
  for (const auto& [k, v] : req.query) {
    mix(k);
    mix(v);
  }
  return h;
}

std::string hex(std::uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) {
    out[static_cast<std::size_t>(i)] = kDigits[v & 0xf];
  }
  return out;
}

// If-None-Match holds `tag` (or "*"); weak comparison (RFC 9110 13.1.2).
bool matchesTag(const std::string& header, std::string_view tag) {
  const auto opaque = [](std::string_view t) {
    if (t.substr(0, 2) == "W/") {
      t.remove_prefix(2);
    }
    return t;
  };
  std::size_t start = 0;
  while (start < header.size()) {
    auto comma = header.find(',', start);
    if (comma == std::string::npos) {
      comma = header.size();
    }
    std::string_view item(header.data() + start, comma - start);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) {
      item.remove_prefix(1);
    }
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) {
      item.remove_suffix(1);
    }
    if (item == "*" || opaque(item) == opaque(tag)) {
      return true;
    }
    start = comma + 1;
  }
  return false;
}

ApiResponse rawJson(std::string text, int status = 200) {
  ApiResponse r;
  r.status = status;
  r.text = std::move(text);
  return r;
}

}  // namespace

ServicesHandler::ServicesHandler(const state::HubState& state, store::ReadStore& store,
                                 const Clock& clock)
    : state_(state), store_(store), clock_(clock), etag_epoch_(randomEpoch()) {}

ApiResponse storeError(const Error& error) {
  if (error.code == "db.unavailable") {
    return errorResponse(503, "unavailable", "the database is unavailable: " + error.message);
  }
  return errorResponse(500, "internal", "database error: " + error.message);
}

ApiResponse ServicesHandler::list(const ApiRequest& req) const {
  auto query = parseServiceListQuery(req);
  if (!query.ok()) {
    return errorFrom(query.error());
  }
  // The version is read before the snapshot: a change in between gives a newer body under the
  // older tag, which the next request replaces, never an older body under a newer tag. Weak:
  // age_seconds moves with the clock while the state stays the same.
  const std::uint64_t version = state_.version();
  // The registry's fields are in the body too: their version is part of the tag.
  const auto registry = registry_ != nullptr ? registry_->snapshot() : nullptr;
  const std::string etag = "W/\"" + hex(etag_epoch_) + "-" + std::to_string(version) +
                           (registry ? "." + std::to_string(registry->version()) : "") + "-" +
                           hex(queryHash(req)) + "\"";
  if (const auto* inm = req.header("If-None-Match"); inm != nullptr && matchesTag(*inm, etag)) {
    ApiResponse r = rawJson("", 304);
    r.headers.emplace_back("ETag", etag);
    return r;
  }
  const auto page = selectServices(state_.serviceSnapshots(), query.value(), registry.get());
  ApiResponse r = rawJson(serviceListJson(page, query.value(), clock_.now(), registry.get()));
  r.headers.emplace_back("ETag", etag);
  r.headers.emplace_back("Cache-Control", "no-cache");
  return r;
}

ApiResponse ServicesHandler::summary(const ApiRequest& req) const {
  auto limit = limitParam(req, kDefaultWorst, kMaxWorst);
  if (!limit.ok()) {
    return errorFrom(limit.error());
  }
  const auto all = state_.serviceSnapshots();
  std::size_t counts[4] = {0, 0, 0, 0};  // by HealthStatus value
  std::size_t checks = 0;
  std::vector<const state::ServiceState*> bad;
  for (const auto& s : all) {
    ++counts[static_cast<int>(s->status)];
    checks += s->checks.size();
    if (s->status != HealthStatus::Healthy) {
      bad.push_back(s.get());
    }
  }
  // Worst first (down, degraded, unknown), then by name (the snapshots are sorted by name).
  std::stable_sort(bad.begin(), bad.end(), [](const auto* a, const auto* b) {
    return static_cast<int>(a->status) > static_cast<int>(b->status);
  });
  if (bad.size() > static_cast<std::size_t>(limit.value())) {
    bad.resize(static_cast<std::size_t>(limit.value()));
  }
  const SystemTime now = clock_.now();
  json worst = json::array();
  for (const auto* s : bad) {
    std::string message;
    for (const auto& c : s->checks) {
      if (c.status == s->status) {
        message = c.message;
        break;
      }
    }
    worst.push_back(
        {{"name", s->name},
         {"status", std::string(toString(s->status))},
         {"agent", s->agent},
         {"message", message},
         {"last_checked", s->last_checked ? json(formatRfc3339(*s->last_checked)) : json(nullptr)},
         {"age_seconds",
          s->last_checked ? json(ageSeconds(*s->last_checked, now)) : json(nullptr)}});
  }
  return jsonResponse({{"services",
                        {{"total", all.size()},
                         {"healthy", counts[static_cast<int>(HealthStatus::Healthy)]},
                         {"degraded", counts[static_cast<int>(HealthStatus::Degraded)]},
                         {"down", counts[static_cast<int>(HealthStatus::Down)]},
                         {"unknown", counts[static_cast<int>(HealthStatus::Unknown)]}}},
                       {"checks", checks},
                       {"unreachable_agents", state_.unreachableAgents().size()},
                       {"stopped_agents", state_.stoppedAgents().size()},
                       {"worst", std::move(worst)}});
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
  json recent = json::array();
  for (const auto& r : page->results) {
    recent.push_back(resultJson(r));
  }
  const std::string extra =
      "\"recent\":" + recent.dump(-1, ' ', false, json::error_handler_t::replace);
  const auto registry = registry_ != nullptr ? registry_->snapshot() : nullptr;
  return rawJson(serviceJsonText(*service, clock_.now(), extra, registry.get()));
}

namespace {

// since, until, limit and cursor: the paging window shared by both history routes.
Result<store::HistoryQuery> historyWindow(const ApiRequest& req) {
  store::HistoryQuery q;
  auto since = timeParam(req, "since");
  if (!since.ok()) {
    return since.error();
  }
  q.since = since.value();
  auto until = timeParam(req, "until");
  if (!until.ok()) {
    return until.error();
  }
  q.until = until.value();
  if (q.since && q.until && *q.since >= *q.until) {
    return badParameterError("until", "must be later than since");
  }
  auto limit = limitParam(req, kDefaultHistoryLimit, kMaxHistoryLimit);
  if (!limit.ok()) {
    return limit.error();
  }
  q.limit = limit.value();
  if (const auto* v = req.param("cursor")) {
    auto c = decodeCursor(*v);
    if (!c) {
      return badParameterError("cursor", "not a cursor returned by this endpoint");
    }
    q.after = *c;
  }
  return q;
}

ApiResponse historyPage(const store::HistoryPage& page) {
  json results = json::array();
  for (const auto& r : page.results) {
    results.push_back(resultJson(r));
  }
  return jsonResponse({{"results", std::move(results)},
                       {"next", page.next ? json(encodeCursor(*page.next)) : json(nullptr)}});
}

}  // namespace

ApiResponse ServicesHandler::history(const ApiRequest& req) const {
  const std::string& name = req.path_params.at("name");
  auto q = historyWindow(req);
  if (!q.ok()) {
    return errorFrom(q.error());
  }
  q->service = name;
  auto page = store_.history(*q);
  if (!page.ok()) {
    return storeError(page.error());
  }
  // A service the hub never heard of is a 404; one that only has history still answers.
  if (page->results.empty() && !q->after && !state_.service(name)) {
    return errorResponse(404, "not_found", "no service named \"" + name + "\"");
  }
  return historyPage(*page);
}

ApiResponse ServicesHandler::allHistory(const ApiRequest& req) const {
  auto q = historyWindow(req);
  if (!q.ok()) {
    return errorFrom(q.error());
  }
  if (const auto* v = req.param("service")) {
    for (auto& glob : splitList(*v)) {
      if (glob.empty() || glob.size() > 256) {
        return badParameter("service",
                            "expected a comma list of service names or globs ('*', '?') of 1 to "
                            "256 characters");
      }
      q->service_globs.push_back(std::move(glob));
    }
    if (q->service_globs.size() > kMaxHistoryServiceGlobs) {
      return badParameter("service",
                          "at most " + std::to_string(kMaxHistoryServiceGlobs) + " names or globs");
    }
  }
  auto statuses = statusListParam(req);
  if (!statuses.ok()) {
    return errorFrom(statuses.error());
  }
  q->statuses = std::move(statuses.value());
  auto agent = agentParam(req);
  if (!agent.ok()) {
    return errorFrom(agent.error());
  }
  q->agent_id = std::move(agent.value());
  if (const auto* v = req.param("kind")) {
    if (v->empty() || v->size() > 64) {
      return badParameter("kind", "expected a check kind such as http, tcp or log");
    }
    q->kind = *v;
  }
  auto page = store_.history(*q);
  if (!page.ok()) {
    return storeError(page.error());
  }
  return historyPage(*page);
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

ApiResponse AgentsHandler::get(const ApiRequest& req) const {
  const std::string& id = req.path_params.at("id");
  if (!subjects::isValidToken(id)) {
    return badParameter("id", "expected an agent id (1-128 characters of A-Z a-z 0-9 _ -)");
  }
  auto agent = store_.agent(id);
  if (!agent.ok()) {
    return storeError(agent.error());
  }
  if (!agent.value()) {
    return errorResponse(404, "not_found", "no agent \"" + id + "\"");
  }
  json out = agentJson(**agent, clock_.now());
  json checks = json::array();
  if (state_ != nullptr) {
    for (const auto& name : state_->servicesOf(id)) {
      const auto service = state_->service(name);
      if (!service) {
        continue;
      }
      for (const auto& c : service->checks) {
        if (c.agent_id == id) {
          checks.push_back({{"service", name},
                            {"check", c.name},
                            {"kind", c.kind},
                            {"target", c.target},
                            {"status", std::string(toString(c.status))},
                            {"message", c.message}});
        }
      }
    }
  }
  out["checks"] = std::move(checks);
  return jsonResponse(std::move(out));
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
