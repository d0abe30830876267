#include "hub/api/uptime_handler.hpp"

#include <charconv>

#include "hub/alerts/alert_policy.hpp"
#include "hub/api/request_helpers.hpp"
#include "hub/api/services_handler.hpp"

namespace vitals::hub::api {
namespace {

using nlohmann::json;

// "7d" | "30d" (default 30d).
std::optional<std::pair<std::string, std::chrono::hours>> windowOf(const ApiRequest& req) {
  const auto* v = req.param("window");
  if (v == nullptr || *v == "30d") {
    return std::make_pair(std::string("30d"), std::chrono::hours{24 * 30});
  }
  if (*v == "7d") {
    return std::make_pair(std::string("7d"), std::chrono::hours{24 * 7});
  }
  return std::nullopt;
}

json secondsJson(const policy::StatusSeconds& s) {
  return {{"healthy", s.healthy},
          {"degraded", s.degraded},
          {"down", s.down},
          {"unknown", s.unknown},
          {"maintenance", s.excluded}};
}

json ratioJson(const std::optional<double>& r) { return r ? json(*r * 100.0) : json(nullptr); }

}  // namespace

std::optional<ApiResponse> UptimeHandler::unknownService(const std::string& name) const {
  if (state_.service(name)) {
    return std::nullopt;
  }
  auto known = reader_.knows(name);
  if (!known.ok()) {
    return storeError(known.error());
  }
  if (!known.value()) {
    return errorResponse(404, "not_found", "no service named \"" + name + "\"");
  }
  return std::nullopt;
}

Status UptimeHandler::applyMaintenance(std::map<std::string, policy::StatusSeconds>& totals,
                                       SystemTime since, SystemTime now) const {
  if (maintenance_ == nullptr) {
    return okStatus();
  }
  auto windows = maintenance_->maintenance(since, now);
  if (!windows.ok()) {
    return windows.error();
  }
  if (windows->empty()) {
    return okStatus();
  }
  for (auto& [name, seconds] : totals) {
    std::vector<policy::Interval> intervals;
    for (const auto& w : windows.value()) {
      if (alerts::globMatch(w.service_glob, name)) {
        intervals.emplace_back(w.start, w.end);
      }
    }
    if (intervals.empty()) {
      continue;
    }
    auto spans = reader_.windows(name, since, now);
    if (!spans.ok()) {
      return spans.error();
    }
    std::vector<policy::StatusSpan> status_spans;
    for (const auto& s : spans.value()) {
      status_spans.push_back({s.status, s.started_at, s.ended_at.value_or(now)});
    }
    policy::excludeSeconds(seconds, policy::overlapSeconds(status_spans, intervals, since, now));
  }
  return okStatus();
}

Status UptimeHandler::warm() {
  const SystemTime now = clock_.now();
  const SystemTime hour = policy::hourOf(now);
  if (warmed_hour_ == hour) {
    return okStatus();
  }
  for (const auto window : {std::chrono::hours{24 * 7}, std::chrono::hours{24 * 30}}) {
    if (auto totals = reader_.totals(policy::hourOf(now - window), now, std::nullopt);
        !totals.ok()) {
      return totals.error();  // tried again at the next call
    }
  }
  warmed_hour_ = hour;
  return okStatus();
}

ApiResponse UptimeHandler::all(const ApiRequest& req) const {
  const auto window = windowOf(req);
  if (!window) {
    return badParameter("window", "expected 7d or 30d, got \"" + *req.param("window") + "\"");
  }
  const SystemTime now = clock_.now();
  const SystemTime since = policy::hourOf(now - window->second);
  auto totals = reader_.totals(since, now, std::nullopt);
  if (!totals.ok()) {
    return storeError(totals.error());
  }
  if (auto m = applyMaintenance(totals.value(), since, now); !m.ok()) {
    return storeError(m.error());
  }
  json services = json::array();
  for (const auto& [name, seconds] : totals.value()) {
    services.push_back(
        {{"name", name},
         {"uptime_percent", ratioJson(policy::uptimeRatio(seconds, degraded_weight_))},
         {"seconds", secondsJson(seconds)}});
  }
  return jsonResponse({{"window", window->first},
                       {"since", formatRfc3339(since)},
                       {"until", formatRfc3339(now)},
                       {"degraded_weight", degraded_weight_},
                       {"services", std::move(services)}});
}

ApiResponse UptimeHandler::service(const ApiRequest& req) const {
  const std::string& name = req.path_params.at("name");
  const auto window = windowOf(req);
  if (!window) {
    return badParameter("window", "expected 7d or 30d, got \"" + *req.param("window") + "\"");
  }
  if (auto missing = unknownService(name)) {
    return *missing;
  }
  const SystemTime now = clock_.now();
  const SystemTime since = policy::hourOf(now - window->second);
  auto totals = reader_.totals(since, now, name);
  if (!totals.ok()) {
    return storeError(totals.error());
  }
  if (auto m = applyMaintenance(totals.value(), since, now); !m.ok()) {
    return storeError(m.error());
  }
  auto windows = reader_.windows(name, since, now);
  if (!windows.ok()) {
    return storeError(windows.error());
  }
  policy::StatusSeconds seconds;
  if (auto it = totals->find(name); it != totals->end()) {
    seconds = it->second;
  }
  json timeline = json::array();
  for (const auto& w : windows.value()) {
    const SystemTime end = w.ended_at.value_or(now);
    timeline.push_back(
        {{"status", std::string(toString(w.status))},
         {"start", formatRfc3339(w.started_at)},
         {"end", w.ended_at ? json(formatRfc3339(*w.ended_at)) : json(nullptr)},
         {"duration_seconds", std::chrono::duration<double>(end - w.started_at).count()}});
  }
  return jsonResponse(
      {{"name", name},
       {"window", window->first},
       {"since", formatRfc3339(since)},
       {"until", formatRfc3339(now)},
       {"degraded_weight", degraded_weight_},
       {"uptime_percent", ratioJson(policy::uptimeRatio(seconds, degraded_weight_))},
       {"seconds", secondsJson(seconds)},
       {"timeline", std::move(timeline)}});
}

ApiResponse UptimeHandler::trends(const ApiRequest& req) const {
  const std::string& name = req.path_params.at("name");
  const auto parsed_hours = intParam(req, "hours", kDefaultTrendHours, kMaxTrendHours);
  if (!parsed_hours.ok()) {
    return errorFrom(parsed_hours.error());
  }
  const int hours = parsed_hours.value();
  if (auto missing = unknownService(name)) {
    return *missing;
  }
  const SystemTime now = clock_.now();
  // `hours` buckets: the current (partial) hour and the hours - 1 before it.
  const SystemTime since = policy::hourOf(now) - std::chrono::hours{hours - 1};
  auto buckets = reader_.trends(name, since, now);
  if (!buckets.ok()) {
    return storeError(buckets.error());
  }
  json out = json::array();
  for (const auto& b : buckets.value()) {
    out.push_back(
        {{"hour", formatRfc3339(b.hour)},
         {"latency_avg_ms", b.latency_avg_ms ? json(*b.latency_avg_ms) : json(nullptr)},
         {"latency_max_ms", b.latency_max_ms ? json(*b.latency_max_ms) : json(nullptr)},
         {"results", b.results},
         {"seconds", secondsJson(b.seconds)},
         {"uptime_percent", ratioJson(policy::uptimeRatio(b.seconds, degraded_weight_))}});
  }
  return jsonResponse({{"name", name}, {"hours", hours}, {"buckets", std::move(out)}});
}

}  // namespace vitals::hub::api
