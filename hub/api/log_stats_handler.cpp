#include "hub/api/log_stats_handler.hpp"

#include "hub/api/request_helpers.hpp"
#include "hub/api/services_handler.hpp"

namespace vitals::hub::api {
namespace {

using logstats::Granularity;
using logstats::ServiceRollup;
using nlohmann::json;
using std::chrono::hours;

constexpr int kDefaultTopLimit = 10;
constexpr int kMaxTopLimit = 100;
constexpr int kDefaultJobsLimit = 50;
constexpr int kMaxJobsLimit = 500;

// The hours of a window: the current clock hour and the ones before it.
struct Window {
  std::string name;
  hours length{24};
  SystemTime from{};
  SystemTime to{};
  Granularity bucket = Granularity::Hour;
};

Result<Window> windowParam(const ApiRequest& req, SystemTime now) {
  Window w;
  w.name = "24h";
  if (const auto* v = req.param("window")) {
    w.name = *v;
  }
  if (w.name == "1h") {
    w.length = hours{1};
  } else if (w.name == "24h") {
    w.length = hours{24};
  } else if (w.name == "7d") {
    w.length = hours{24 * 7};
    w.bucket = Granularity::Day;
  } else if (w.name == "30d") {
    w.length = hours{24 * 30};
    w.bucket = Granularity::Day;
  } else {
    return Error{
        code::kBadRequest,
        "query parameter \"window\": must be one of 1h, 24h, 7d, 30d, got \"" + w.name + "\"",
        {}};
  }
  w.to = logstats::floorHour(now) + hours{1};
  w.from = w.to - w.length;
  return w;
}

struct Sums {
  std::int64_t results = 0;
  std::int64_t lines = 0;
  std::int64_t errors = 0;
  std::int64_t warnings = 0;
  std::map<std::string, std::int64_t> levels;
};

Sums sum(const std::vector<ServiceRollup>& rows) {
  Sums s;
  for (const auto& r : rows) {
    s.results += r.results;
    s.lines += r.lines;
    s.errors += r.errors;
    s.warnings += r.warnings;
    for (const auto& [k, v] : r.levels) {
      s.levels[k] += v;
    }
  }
  return s;
}

json sumsJson(const Sums& s) {
  return {{"results", s.results},
          {"lines", s.lines},
          {"errors", s.errors},
          {"warnings", s.warnings},
          {"error_rate", logstats::errorRate(s.errors, s.lines)},
          {"levels", s.levels}};
}

json rollupJson(const ServiceRollup& r) {
  Sums s{r.results, r.lines, r.errors, r.warnings, r.levels};
  json j = sumsJson(s);
  j["service"] = r.service;
  return j;
}

// (now - before) / before; null when there was nothing before.
json change(std::int64_t now, std::int64_t before) {
  if (before == 0) {
    return nullptr;
  }
  return static_cast<double>(now - before) / static_cast<double>(before);
}

json trendJson(const Sums& cur, const Sums& prev) {
  const double rate_now = logstats::errorRate(cur.errors, cur.lines);
  const double rate_before = logstats::errorRate(prev.errors, prev.lines);
  std::string direction = "flat";
  if (rate_now > rate_before) {
    direction = "up";
  } else if (rate_now < rate_before) {
    direction = "down";
  }
  return {{"lines", change(cur.lines, prev.lines)},
          {"errors", change(cur.errors, prev.errors)},
          {"warnings", change(cur.warnings, prev.warnings)},
          {"error_rate", rate_now - rate_before},
          {"error_rate_direction", direction}};
}

json windowJson(const Window& w) {
  return {{"window", w.name}, {"from", formatRfc3339(w.from)}, {"to", formatRfc3339(w.to)}};
}

json topJson(const logstats::ServiceTopMessage& t) {
  return {{"service", t.service},
          {"message", t.message.message},
          {"count", t.message.count},
          {"first_seen", formatRfc3339(t.message.first_seen)},
          {"last_seen", formatRfc3339(t.message.last_seen)}};
}

// The window's totals and the window before: from the job's window totals when they are for
// the current hour, else from the rollups.
Result<logstats::WindowTotals> windowTotals(logstats::LogStatsReader& reader, const Window& w,
                                            const std::string& service) {
  auto fast = reader.windowTotals(w.name, w.to - hours{1}, service);
  if (!fast.ok()) {
    return fast.error();
  }
  if (fast.value()) {
    return std::move(*fast.value());
  }
  auto cur = reader.totals(w.from, w.to, service);
  if (!cur.ok()) {
    return cur.error();
  }
  auto prev = reader.totals(w.from - w.length, w.from, service);
  if (!prev.ok()) {
    return prev.error();
  }
  return logstats::WindowTotals{std::move(cur.value()), std::move(prev.value())};
}

}  // namespace

ApiResponse LogStatsHandler::stats(const ApiRequest& req) const {
  auto w = windowParam(req, clock_.now());
  if (!w.ok()) {
    return errorFrom(w.error());
  }
  auto both = windowTotals(reader_, w.value(), "");
  if (!both.ok()) {
    return storeError(both.error());
  }
  const auto& cur = both->current;
  const auto& prev = both->previous;
  std::map<std::string, const ServiceRollup*> before;
  for (const auto& r : prev) {
    before[r.service] = &r;
  }
  json services = json::array();
  for (const auto& r : cur) {
    json j = rollupJson(r);
    const auto it = before.find(r.service);
    Sums p;
    if (it != before.end()) {
      p = sum({*it->second});
    }
    j["previous"] = {{"lines", p.lines},
                     {"errors", p.errors},
                     {"warnings", p.warnings},
                     {"error_rate", logstats::errorRate(p.errors, p.lines)}};
    services.push_back(std::move(j));
  }
  const auto total = sum(cur);
  const auto previous = sum(prev);
  json out = windowJson(w.value());
  out["totals"] = sumsJson(total);
  out["levels"] = total.levels;
  out["previous"] = sumsJson(previous);
  out["trend"] = trendJson(total, previous);
  out["services"] = std::move(services);
  return jsonResponse(out);
}

ApiResponse LogStatsHandler::serviceStats(const ApiRequest& req) const {
  const auto& service = req.path_params.at("service");
  auto w = windowParam(req, clock_.now());
  if (!w.ok()) {
    return errorFrom(w.error());
  }
  auto both = windowTotals(reader_, w.value(), service);
  if (!both.ok()) {
    return storeError(both.error());
  }
  const auto& cur = both->current;
  const auto& prev = both->previous;
  if (cur.empty() && prev.empty()) {
    return errorResponse(404, code::kNotFound,
                         "no log statistics for service \"" + service + "\" in the last " +
                             w->name + " or the " + w->name + " before");
  }
  auto points = reader_.series(w->from, w->to, service, w->bucket);
  if (!points.ok()) {
    return storeError(points.error());
  }
  auto top = reader_.topMessages(w->from, w->to, service, kDefaultTopLimit);
  if (!top.ok()) {
    return storeError(top.error());
  }
  const auto total = sum(cur);
  const auto previous = sum(prev);
  json series = json::array();
  for (const auto& p : points.value()) {
    series.push_back({{"start", formatRfc3339(p.start)},
                      {"lines", p.lines},
                      {"errors", p.errors},
                      {"warnings", p.warnings},
                      {"error_rate", logstats::errorRate(p.errors, p.lines)}});
  }
  json tops = json::array();
  for (const auto& t : top.value()) {
    tops.push_back(topJson(t));
  }
  json out = windowJson(w.value());
  out["service"] = service;
  out["totals"] = sumsJson(total);
  out["previous"] = sumsJson(previous);
  out["trend"] = trendJson(total, previous);
  out["bucket"] = std::string(logstats::toString(w->bucket));
  out["series"] = std::move(series);
  out["top_errors"] = std::move(tops);
  return jsonResponse(out);
}

ApiResponse LogStatsHandler::topErrors(const ApiRequest& req) const {
  auto w = windowParam(req, clock_.now());
  if (!w.ok()) {
    return errorFrom(w.error());
  }
  auto limit = limitParam(req, kDefaultTopLimit, kMaxTopLimit);
  if (!limit.ok()) {
    return errorFrom(limit.error());
  }
  std::string service;
  if (const auto* s = req.param("service")) {
    if (s->empty()) {
      return badParameter("service", "must not be empty");
    }
    service = *s;
  }
  auto rows = reader_.topMessages(w->from, w->to, service, limit.value());
  if (!rows.ok()) {
    return storeError(rows.error());
  }
  json items = json::array();
  for (const auto& t : rows.value()) {
    items.push_back(topJson(t));
  }
  json out = windowJson(w.value());
  out["top_errors"] = std::move(items);
  return jsonResponse(out);
}

ApiResponse LogStatsHandler::listThresholds(const ApiRequest&) const {
  auto stored = thresholds_.list();
  if (!stored.ok()) {
    return storeError(stored.error());
  }
  json items = json::array();
  for (const auto& [service, t] : logstats::effectiveThresholds(rules_, stored.value())) {
    items.push_back(logstats::toJson(t));
  }
  return jsonResponse({{"thresholds", items}});
}

ApiResponse LogStatsHandler::putThreshold(const ApiRequest& req) const {
  const auto& service = req.path_params.at("service");
  if (service.empty() || service.size() > 256) {
    return badRequest("service: must be 1-256 characters");
  }
  auto body = jsonObjectBody(req);
  if (!body.ok()) {
    return errorFrom(body.error());
  }
  auto parsed = logstats::parseThresholdBody(body.value(), service);
  if (!parsed.ok()) {
    return badRequest(parsed.error().message);
  }
  auto t = parsed.value();
  t.updated_at = clock_.now();
  t.updated_by = req.actor;
  auto created = thresholds_.put(t);
  if (!created.ok()) {
    return storeError(created.error());
  }
  if (on_threshold_change_) {
    on_threshold_change_();
  }
  return jsonResponse(logstats::toJson(t), created.value() ? 201 : 200);
}

ApiResponse LogStatsHandler::deleteThreshold(const ApiRequest& req) const {
  const auto& service = req.path_params.at("service");
  auto removed = thresholds_.remove(service);
  if (!removed.ok()) {
    return storeError(removed.error());
  }
  if (!removed.value()) {
    return errorResponse(404, code::kNotFound,
                         "no threshold set through the API for service \"" + service + "\"");
  }
  if (on_threshold_change_) {
    on_threshold_change_();
  }
  ApiResponse r;
  r.status = 204;
  r.text = "";
  return r;
}

ApiResponse LogStatsHandler::jobs(const ApiRequest& req) const {
  std::string type;
  if (const auto* t = req.param("type")) {
    if (*t != logstats::kHourlyJob && *t != logstats::kDailyJob) {
      return badParameter("type", "must be log_stats.hourly or log_stats.daily");
    }
    type = *t;
  }
  std::string status;
  if (const auto* s = req.param("status")) {
    if (*s != "ok" && *s != "failed") {
      return badParameter("status", "must be ok or failed");
    }
    status = *s;
  }
  auto limit = limitParam(req, kDefaultJobsLimit, kMaxJobsLimit);
  if (!limit.ok()) {
    return errorFrom(limit.error());
  }
  auto rows = reader_.executions(type, status, limit.value());
  if (!rows.ok()) {
    return storeError(rows.error());
  }
  json items = json::array();
  for (const auto& e : rows.value()) {
    items.push_back({{"id", e.id},
                     {"type", e.job_type},
                     {"period_start", formatRfc3339(e.period_start)},
                     {"period_end", formatRfc3339(e.period_end)},
                     {"started_at", formatRfc3339(e.started_at)},
                     {"finished_at", formatRfc3339(e.finished_at)},
                     {"status", e.status},
                     {"error", e.error},
                     {"rows", e.rows},
                     {"replica", e.replica}});
  }
  return jsonResponse({{"executions", items}});
}

}  // namespace vitals::hub::api
