#include "hub/api/json_views.hpp"

#include <cmath>

#include "common/text/perfdata.hpp"

namespace vitals::hub::api {
namespace {

using nlohmann::json;

json timeOrNull(const std::optional<SystemTime>& t) {
  return t ? json(formatRfc3339(*t)) : json(nullptr);
}

json optionalNumber(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

}  // namespace

json perfJson(std::string_view perfdata) {
  const auto parsed = perfdata::parse(perfdata);
  json values = json::array();
  for (const auto& v : parsed.values) {
    values.push_back({{"label", v.label},
                      {"value", optionalNumber(v.value)},
                      {"unit", v.unit},
                      {"warn", v.warn},
                      {"crit", v.crit},
                      {"min", optionalNumber(v.min)},
                      {"max", optionalNumber(v.max)}});
  }
  json out = {{"values", std::move(values)}};
  if (!parsed.problems.empty()) {
    out["problems"] = parsed.problems;
  }
  return out;
}

double latencyMs(std::chrono::microseconds latency) {
  return static_cast<double>(latency.count()) / 1000.0;
}

std::int64_t ageSeconds(SystemTime then, SystemTime now) {
  if (now <= then) {
    return 0;
  }
  return std::chrono::duration_cast<std::chrono::seconds>(now - then).count();
}

json resultJson(const store::StoredResult& stored) {
  const auto& r = stored.result;
  json details = json::object();
  for (const auto& [k, v] : r.details) {
    details[k] = v;
  }
  json out = {{"agent", r.agent_id},
              {"boot_id", r.boot_id},
              {"seq", r.seq},
              {"service", r.service},
              {"check", r.check},
              {"kind", r.kind},
              {"status", std::string(toString(r.status))},
              {"raw_status", std::string(toString(r.raw_status))},
              {"latency_ms", latencyMs(r.latency)},
              {"message", r.message},
              {"details", std::move(details)},
              {"failure_kind", std::string(toString(r.failure_kind))},
              {"attempt", r.attempt},
              {"consecutive_failures", r.consecutive_failures},
              {"flapping", r.flapping},
              {"observed_at", formatRfc3339(r.observed_at)},
              {"received_at", formatRfc3339(stored.received_at)}};
  // Plugins' performance data, parsed for charts; the raw string stays in details.perfdata.
  if (auto it = r.details.find("perfdata"); it != r.details.end() && !it->second.empty()) {
    out["perf"] = perfJson(it->second);
  }
  return out;
}

namespace {

// The controller inventory: an agent's named actions, never their command lines.
json actionsJson(const store::AgentRecord& a) {
  json out = json::array();
  for (const auto& action : a.actions) {
    if (!a.actions_described) {
      // An agent that sent its action names only: nothing more is known.
      out.push_back({{"name", action.name}, {"params", nullptr}});
      continue;
    }
    json params = json::array();
    for (const auto& p : action.params) {
      params.push_back({{"name", p.name}, {"pattern", p.pattern}});
    }
    out.push_back({{"name", action.name},
                   {"params", std::move(params)},
                   {"timeout_ms", action.timeout.count()},
                   {"cooldown_ms", action.cooldown.count()},
                   {"max_concurrent", action.max_concurrent}});
  }
  return out;
}

}  // namespace

json agentJson(const store::AgentRecord& a, SystemTime now) {
  json labels = json::object();
  for (const auto& [k, v] : a.labels) {
    labels[k] = v;
  }
  return {
      {"id", a.agent_id},
      {"hostname", a.hostname},
      {"version", a.version},
      {"boot_id", a.boot_id},
      {"labels", std::move(labels)},
      {"first_seen", formatRfc3339(a.first_seen)},
      {"last_seen", formatRfc3339(a.last_seen)},
      {"age_seconds", ageSeconds(a.last_seen, now)},
      {"registered_at", timeOrNull(a.registered_at)},
      {"deregistered_at", timeOrNull(a.deregistered_at)},
      {"check_count", a.check_count},
      {"heartbeat_interval_ms",
       a.heartbeat_interval ? json(a.heartbeat_interval->count()) : json(nullptr)},
      {"unreachable", a.unreachable_since.has_value()},
      {"unreachable_since", timeOrNull(a.unreachable_since)},
      {"revoked", a.revoked_at.has_value()},
      {"revoked_at", timeOrNull(a.revoked_at)},
      {"skew", a.clock_skew ? json({{"ms", a.clock_skew->count()},
                                    {"direction", a.clock_skew->count() > 0 ? "ahead" : "behind"}})
                            : json(nullptr)},
      {"actions", actionsJson(a)}};
}

}  // namespace vitals::hub::api
