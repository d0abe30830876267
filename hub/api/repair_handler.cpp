#include "hub/api/repair_handler.hpp"

#include <algorithm>
#include <cctype>

#include <set>

#include "common/random/random.hpp"
#include "hub/api/cursor.hpp"
#include "hub/api/request_helpers.hpp"
#include "hub/api/services_handler.hpp"

namespace vitals::hub::api {
namespace {

using nlohmann::json;
using std::chrono::seconds;

std::optional<std::int64_t> parseId(const std::string& text) {
  if (text.empty() || text.size() > 18) {
    return std::nullopt;
  }
  std::int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    v = v * 10 + (c - '0');
  }
  return v > 0 ? std::optional<std::int64_t>(v) : std::nullopt;
}

// One auto_repairs row as the API shows it (the Repair schema of docs/openapi.yaml).
json repairJson(const repair::RepairRecord& r) {
  auto t = [](const std::optional<SystemTime>& v) {
    return v ? json(formatRfc3339(*v)) : json(nullptr);
  };
  json j = {{"id", r.id},
            {"service", r.service},
            {"agent", r.agent},
            {"action", r.action},
            {"incident", r.incident},
            {"trigger", r.trigger},
            {"failure_class", r.failure_class.empty() ? json(nullptr) : json(r.failure_class)},
            {"decision", r.decision},
            {"reasons", r.reasons},
            {"status", r.status},
            {"requested_by", r.requested_by},
            {"decided_by", r.decided_by.empty() ? json(nullptr) : json(r.decided_by)},
            {"request_id", r.request_id.empty() ? json(nullptr) : json(r.request_id)},
            {"outcome", r.outcome.empty() ? json(nullptr) : json(r.outcome)},
            {"exit_code", r.exit_code ? json(*r.exit_code) : json(nullptr)},
            {"duration_ms", r.duration_ms ? json(*r.duration_ms) : json(nullptr)},
            {"output", r.output},
            {"output_truncated", r.output_truncated},
            {"error", r.error.empty() ? json(nullptr) : json(r.error)},
            {"verified", r.verified ? json(*r.verified) : json(nullptr)},
            {"verify_message", r.verify_message},
            {"created_at", t(r.created_at)},
            {"decided_at", t(r.decided_at)},
            {"expires_at", t(r.expires_at)},
            {"started_at", t(r.started_at)},
            {"finished_at", t(r.finished_at)},
            {"verified_at", t(r.verified_at)},
            {"params", r.params}};
  return j;
}

json checkResultJson(const CheckResult& r) {
  json details = json::object();
  for (const auto& [k, v] : r.details) {
    details[k] = v;
  }
  return {{"agent", r.agent_id},
          {"service", r.service},
          {"check", r.check},
          {"kind", r.kind},
          {"status", std::string(toString(r.raw_status))},
          {"latency_ms", static_cast<double>(r.latency.count()) / 1000.0},
          {"message", r.message},
          {"failure_kind", std::string(toString(r.failure_kind))},
          {"details", details},
          {"observed_at", formatRfc3339(r.observed_at)}};
}

// The agents that report checks of a service, sorted: from the database (every hub sees every
// registration there), else from this hub's memory.
std::vector<std::string> agentsOf(store::PgPool& pool, repair::PgRepairStore& store,
                                  const state::HubState& state, const std::string& service) {
  if (auto lease = pool.acquire(std::chrono::seconds{5}); lease.ok()) {
    if (auto agents = store.agentsOfService(lease->conn(), service); agents.ok()) {
      return agents.value();
    }
  }
  std::set<std::string> agents;
  if (auto s = state.service(service)) {
    for (const auto& c : s->checks) {
      agents.insert(c.agent_id);
    }
  }
  return {agents.begin(), agents.end()};
}

std::string requestId(const char* verb) {
  // Only an idempotency key at the agent: unique enough per call.
  static thread_local StdRandom random;
  return std::string("api-") + verb + "-" + random.hexId();
}

ApiResponse outcomeResponse(const repair::ActionOutcome& o) {
  if (o.http_status >= 400) {
    ApiResponse r =
        errorResponse(o.http_status, o.http_status == 404 ? "not_found" : "conflict", o.message);
    if (o.repair) {
      r.body["repair"] = repairJson(*o.repair);  // the held-back decision, as recorded
    }
    return r;
  }
  json body = {{"message", o.message}};
  body["repair"] = o.repair ? repairJson(*o.repair) : json(nullptr);
  return jsonResponse(std::move(body), o.http_status);
}

}  // namespace

ApiResponse RepairHandler::listPolicies(const ApiRequest&) const {
  auto lease = pool_.acquire(seconds{5});
  if (!lease.ok()) {
    return storeError(lease.error());
  }
  auto rows = store_.policies(lease->conn());
  if (!rows.ok()) {
    return storeError(rows.error());
  }
  json out = json::array();
  for (const auto& p : rows.value()) {
    json one = repair::toJson(p);
    one["source"] = "stored";
    out.push_back(std::move(one));
  }
  return jsonResponse({{"policies", out}});
}

ApiResponse RepairHandler::getPolicy(const ApiRequest& req) const {
  const auto& service = req.path_params.at("service");
  auto lease = pool_.acquire(seconds{5});
  if (!lease.ok()) {
    return storeError(lease.error());
  }
  auto p = store_.policy(lease->conn(), service);
  if (!p.ok()) {
    return storeError(p.error());
  }
  if (p->has_value()) {
    json out = repair::toJson(**p);
    out["source"] = "stored";
    return jsonResponse(out);
  }
  // No stored policy: answer what applies, as the decider does (RepairDecider::decide): no
  // automatic repairs, and the default guardrails for quick actions and inbound events.
  if (!state_.service(service).has_value()) {
    auto agents = store_.agentsOfService(lease->conn(), service);
    if (!agents.ok()) {
      return storeError(agents.error());
    }
    if (agents->empty()) {
      return errorResponse(404, "not_found",
                           "no service \"" + service + "\" and no repair policy stored for it");
    }
  }
  json out = repair::toJson(repair::defaultPolicy(service, false));
  out["source"] = "default";
  out["note"] =
      "no policy is stored for this service: automatic repairs are off, and quick actions and "
      "inbound events run under these default guardrails; PUT /api/v1/policies/{service} stores "
      "one";
  return jsonResponse(out);
}

ApiResponse RepairHandler::putPolicy(const ApiRequest& req) const {
  const auto& service = req.path_params.at("service");
  if (service.empty() || service.size() > 256) {
    return errorResponse(400, "bad_request", "service: must be 1-256 characters");
  }
  const json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded()) {
    return errorResponse(400, "bad_request", "the body is not valid JSON");
  }
  auto lease = pool_.acquire(seconds{5});
  if (!lease.ok()) {
    return storeError(lease.error());
  }
  auto existing = store_.policy(lease->conn(), service);
  if (!existing.ok()) {
    return storeError(existing.error());
  }
  const repair::RepairPolicy base =
      existing->has_value() ? **existing : repair::defaultPolicy(service, false);
  auto parsed = repair::policyFromJson(body, base);
  if (!parsed.ok()) {
    return errorResponse(400, "bad_request", parsed.error().message);
  }
  auto created = store_.putPolicy(lease->conn(), parsed.value(), req.actor);
  if (!created.ok()) {
    return storeError(created.error());
  }
  auto stored = store_.policy(lease->conn(), service);
  if (!stored.ok()) {
    return storeError(stored.error());
  }
  if (!stored->has_value()) {
    return errorResponse(500, "internal", "the policy vanished after it was written");
  }
  return jsonResponse(repair::toJson(**stored), created.value() ? 201 : 200);
}

ApiResponse RepairHandler::repairs(const ApiRequest& req, const std::string& status) const {
  repair::RepairFilter f;
  f.status = status;
  f.limit = kDefaultRepairLimit;
  if (const auto* v = req.param("status")) {
    static const std::set<std::string> kStatuses = {"skipped",   "escalated", "dry-run", "pending",
                                                    "approved",  "rejected",  "expired", "running",
                                                    "succeeded", "failed"};
    if (!kStatuses.count(*v)) {
      return badParameter("status", "unknown status \"" + *v + "\"");
    }
    f.status = *v;
  }
  if (const auto* v = req.param("service")) {
    f.service = *v;
  }
  if (const auto* v = req.param("limit")) {
    char* end = nullptr;
    const long n = std::strtol(v->c_str(), &end, 10);
    if (v->empty() || *end != '\0' || n < 1 || n > kMaxRepairLimit) {
      return badParameter("limit",
                          "expected an integer from 1 to " + std::to_string(kMaxRepairLimit));
    }
    f.limit = static_cast<int>(n);
  }
  if (const auto* v = req.param("cursor")) {
    auto raw = base64UrlDecode(*v);
    auto id = raw && raw->rfind("r:", 0) == 0 ? parseId(raw->substr(2)) : std::nullopt;
    if (!id) {
      return badParameter("cursor", "not a cursor this server issued");
    }
    f.before_id = *id;
  }
  auto lease = pool_.acquire(seconds{5});
  if (!lease.ok()) {
    return storeError(lease.error());
  }
  const int want = f.limit;
  f.limit = want + 1;
  auto rows = store_.list(lease->conn(), f);
  if (!rows.ok()) {
    return storeError(rows.error());
  }
  json next = nullptr;
  if (static_cast<int>(rows->size()) > want) {
    rows->pop_back();
    next = base64UrlEncode("r:" + std::to_string(rows->back().id));
  }
  json out = json::array();
  for (const auto& r : rows.value()) {
    out.push_back(repairJson(r));
  }
  return jsonResponse(
      {{status == "pending" ? "approvals" : "repairs", out}, {"next_cursor", next}});
}

ApiResponse RepairHandler::listRepairs(const ApiRequest& req) const { return repairs(req, ""); }

ApiResponse RepairHandler::listApprovals(const ApiRequest& req) const {
  return repairs(req, "pending");
}

ApiResponse RepairHandler::getRepair(const ApiRequest& req) const {
  auto id = parseId(req.path_params.at("id"));
  if (!id) {
    return errorResponse(404, "not_found", "no such repair");
  }
  auto lease = pool_.acquire(seconds{5});
  if (!lease.ok()) {
    return storeError(lease.error());
  }
  auto r = store_.get(lease->conn(), *id);
  if (!r.ok()) {
    return storeError(r.error());
  }
  if (!r->has_value()) {
    return errorResponse(404, "not_found", "no repair " + std::to_string(*id));
  }
  return jsonResponse(repairJson(**r));
}

ApiResponse RepairHandler::decide(const ApiRequest& req, bool approve) const {
  auto id = parseId(req.path_params.at("id"));
  if (!id) {
    return errorResponse(404, "not_found", "no such repair");
  }
  auto lease = pool_.acquire(seconds{5});
  if (!lease.ok()) {
    return storeError(lease.error());
  }
  repair::PgRepairSession session(store_, lease->conn());
  auto o = engine_.decideApproval(session, *id, approve, req.actor);
  if (!o.ok()) {
    return storeError(o.error());
  }
  return outcomeResponse(o.value());
}

ApiResponse RepairHandler::approve(const ApiRequest& req) const { return decide(req, true); }
ApiResponse RepairHandler::reject(const ApiRequest& req) const { return decide(req, false); }

ApiResponse RepairHandler::restart(const ApiRequest& req) const { return manual(req, false); }

ApiResponse RepairHandler::run(const ApiRequest& req) const { return manual(req, true); }

// restart: {"confirm": true, "dry_run"?, "agent"?}; run: the same plus "action" (required).
ApiResponse RepairHandler::manual(const ApiRequest& req, bool named) const {
  const auto& service = req.path_params.at("name");
  const json body = json::parse(req.body.empty() ? "{}" : req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return errorResponse(400, "bad_request", "the body must be a JSON object");
  }
  for (const auto& [key, value] : body.items()) {
    if (key != "confirm" && key != "dry_run" && key != "agent" && (!named || key != "action")) {
      return errorResponse(400, "bad_request", "unknown field \"" + key + "\"");
    }
  }
  if (!body.contains("confirm") || body["confirm"] != true) {
    return errorResponse(
        400, "confirm_required",
        std::string(named ? "an action" : "a restart") + " needs {\"confirm\": true} in the body");
  }
  std::string action;
  if (named) {
    if (!body.contains("action") || !body["action"].is_string()) {
      return errorResponse(400, "bad_request",
                           "action: required, the name of an action an agent of the service "
                           "offers (GET /api/v1/agents lists them)");
    }
    action = body["action"].get<std::string>();
    const bool valid = !action.empty() && action.size() <= 128 &&
                       std::all_of(action.begin(), action.end(), [](unsigned char ch) {
                         return std::isalnum(ch) != 0 || ch == '-' || ch == '_';
                       });
    if (!valid) {
      return errorResponse(400, "bad_request", "action: must be 1-128 characters of [A-Za-z0-9_-]");
    }
  }
  bool dry_run = false;
  if (body.contains("dry_run")) {
    if (!body["dry_run"].is_boolean()) {
      return errorResponse(400, "bad_request", "dry_run: must be true or false");
    }
    dry_run = body["dry_run"].get<bool>();
  }
  std::string agent;
  if (body.contains("agent")) {
    if (!body["agent"].is_string()) {
      return errorResponse(400, "bad_request", "agent: must be a string");
    }
    agent = body["agent"].get<std::string>();
  }
  auto lease = pool_.acquire(seconds{5});
  if (!lease.ok()) {
    return storeError(lease.error());
  }
  auto known = store_.agentsOfService(lease->conn(), service);
  if (!known.ok()) {
    return storeError(known.error());
  }
  if (known->empty()) {
    return errorResponse(404, "not_found", "no service \"" + service + "\"");
  }
  repair::PgRepairSession session(store_, lease->conn());
  auto o = engine_.manualAction(session, service, action, agent, dry_run, req.actor);
  if (!o.ok()) {
    return storeError(o.error());
  }
  return outcomeResponse(o.value());
}

ApiResponse RepairHandler::checksNow(const ApiRequest& req, bool verbose) const {
  const auto& service = req.path_params.at("name");
  const auto agents = agentsOf(pool_, store_, state_, service);
  if (agents.empty()) {
    return errorResponse(404, "not_found", "no service \"" + service + "\"");
  }
  json results = json::array();
  json errors = json::array();
  for (const auto& agent : agents) {
    repair::AgentCommand c;
    c.verb = verbose ? "diagnose" : "recheck";
    c.request_id = requestId(verbose ? "diagnose" : "recheck");
    c.agent = agent;
    c.service = service;
    c.requested_by = req.actor;
    c.timeout = command_timeout_;
    auto reply = agents_.send(c);
    if (!reply.ok()) {
      errors.push_back({{"agent", agent}, {"error", reply.error().message}});
      continue;
    }
    if (reply->outcome != "ok") {
      errors.push_back({{"agent", agent}, {"error", reply->outcome + ": " + reply->error}});
    }
    for (const auto& r : reply->results) {
      results.push_back(checkResultJson(r));
    }
  }
  const int status = results.empty() && !errors.empty() ? 502 : 200;
  if (status == 502) {
    return jsonResponse(
        {{"error",
          {{"code", "agent_unavailable"}, {"message", "no agent of the service answered"}}},
         {"errors", errors}},
        502);
  }
  return jsonResponse({{"service", service}, {"results", results}, {"errors", errors}});
}

ApiResponse RepairHandler::recheck(const ApiRequest& req) const { return checksNow(req, false); }
ApiResponse RepairHandler::diagnose(const ApiRequest& req) const { return checksNow(req, true); }

ApiResponse RepairHandler::logs(const ApiRequest& req) const {
  const auto& service = req.path_params.at("name");
  std::uint32_t lines = 100;
  if (const auto* v = req.param("lines")) {
    char* end = nullptr;
    const long n = std::strtol(v->c_str(), &end, 10);
    if (v->empty() || *end != '\0' || n < 1 || n > 1000) {
      return badParameter("lines", "expected an integer from 1 to 1000");
    }
    lines = static_cast<std::uint32_t>(n);
  }
  auto agents = agentsOf(pool_, store_, state_, service);
  if (const auto* a = req.param("agent")) {
    if (std::find(agents.begin(), agents.end(), *a) == agents.end()) {
      return errorResponse(404, "not_found",
                           "agent \"" + *a + "\" reports no check of \"" + service + "\"");
    }
    agents = {*a};
  }
  if (agents.empty()) {
    return errorResponse(404, "not_found", "no service \"" + service + "\"");
  }
  json errors = json::array();
  for (const auto& agent : agents) {
    repair::AgentCommand c;
    c.verb = "logs";
    c.request_id = requestId("logs");
    c.agent = agent;
    c.service = service;
    c.lines = lines;
    c.requested_by = req.actor;
    c.timeout = command_timeout_;
    auto reply = agents_.send(c);
    if (!reply.ok()) {
      errors.push_back({{"agent", agent}, {"error", reply.error().message}});
      continue;
    }
    if (reply->outcome != "ok") {
      errors.push_back({{"agent", agent}, {"error", reply->outcome + ": " + reply->error}});
      continue;
    }
    // The first agent that has the service's log file answers.
    return jsonResponse({{"service", service},
                         {"agent", agent},
                         {"lines", reply->lines},
                         {"truncated", reply->output_truncated},
                         {"errors", errors}});
  }
  return jsonResponse(
      {{"error",
        {{"code", "logs_unavailable"}, {"message", "no agent of the service returned its log"}}},
       {"errors", errors}},
      502);
}

}  // namespace vitals::hub::api
