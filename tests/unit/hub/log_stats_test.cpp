// Log statistics: period arithmetic, catch-up order, rollup math and the job over a fake store
// (ManualTime, no sleeping), the API's window and threshold checks, and the log-rate monitor's
// warnings threshold and stored thresholds.
#include <catch2/catch.hpp>

#include "common/log/log.hpp"
#include "common/time/manual_time.hpp"
#include "hub/alerts/log_rate.hpp"
#include "hub/api/log_stats_handler.hpp"
#include "hub/api/routes.hpp"
#include "hub/logstats/log_stats_job.hpp"
#include "tests/unit/hub/fakes/all_handlers.hpp"
#include "tests/unit/hub/fakes/fake_log_stats.hpp"
#include "tests/unit/hub/fakes/fake_status_store.hpp"

using namespace vitals;
using namespace vitals::hub;
using namespace std::chrono_literals;
using logstats::Granularity;

namespace {

// 2027-01-15T08:00:00Z: on the hour, not on a day.
const SystemTime t0 = SystemTime{std::chrono::seconds{1'800'000'000}};
const SystemTime day0 = SystemTime{std::chrono::seconds{1'800'000'000 - 8 * 3600}};

std::shared_ptr<spdlog::logger> quiet() {
  return log::makeLogger("test", log::LogOptions{"off", log::Format::Text});
}

logstats::RawPeriod raw(const std::string& service, std::int64_t lines, std::int64_t errors,
                        std::int64_t warnings, SystemTime at) {
  logstats::RawPeriod r;
  r.counts.push_back({service, "lines", lines, 2});
  r.counts.push_back({service, "count.error", errors, 2});
  r.counts.push_back({service, "count.warn", warnings, 2});
  r.tops.push_back({service, "3x ERROR job # failed", 2, at, at + 30min});
  return r;
}

}  // namespace

TEST_CASE("hours and days are cut on UTC boundaries", "[hub][unit][logstats]") {
  CHECK(logstats::floorHour(t0 + 59min + 59s) == t0);
  CHECK(logstats::floorDay(t0) == day0);
  CHECK(logstats::ceilDay(t0) == day0 + 24h);
  CHECK(logstats::ceilDay(day0) == day0);
}

TEST_CASE("due periods are the complete ones after the last done, oldest first",
          "[hub][unit][logstats]") {
  using logstats::duePeriods;
  // Done up to 05:00; now is 08:20: 06:00 and 07:00 are complete, 08:00 is not.
  auto due = duePeriods(Granularity::Hour, t0 - 3h, t0 - 24h, day0 - 240h, t0 + 20min, 100);
  CHECK(due == std::vector<SystemTime>{t0 - 2h, t0 - 1h});
  // Nothing done yet: from `first` (the backfill start).
  due = duePeriods(Granularity::Hour, std::nullopt, t0 - 3h, day0 - 240h, t0, 100);
  CHECK(due == std::vector<SystemTime>{t0 - 3h, t0 - 2h, t0 - 1h});
  // A gap longer than retention starts at the retention boundary.
  due = duePeriods(Granularity::Hour, t0 - 1000h, t0 - 24h, t0 - 2h, t0, 100);
  CHECK(due == std::vector<SystemTime>{t0 - 2h, t0 - 1h});
  // At most `max` per run: the oldest ones.
  due = duePeriods(Granularity::Hour, t0 - 10h, t0, day0 - 240h, t0, 3);
  CHECK(due == std::vector<SystemTime>{t0 - 9h, t0 - 8h, t0 - 7h});
  // Already up to date.
  CHECK(duePeriods(Granularity::Hour, t0 - 1h, t0, day0, t0 + 59min, 10).empty());
}

TEST_CASE("a day is due once every one of its hours is done", "[hub][unit][logstats]") {
  using logstats::dueDays;
  // Hours done from 08:00 the day before yesterday up to now (08:00): yesterday is whole.
  auto due = dueDays(std::nullopt, day0 - 48h + 8h, t0, day0 - 240h, 10);
  CHECK(due == std::vector<SystemTime>{day0 - 24h});
  // Hours done only up to 23:00 yesterday: yesterday is not whole yet.
  CHECK(dueDays(day0 - 48h, day0 - 48h, day0 - 1h, day0 - 240h, 10).empty());
  // Days after the last one done, in order.
  due = dueDays(day0 - 72h, day0 - 100h, day0, day0 - 240h, 10);
  CHECK(due == std::vector<SystemTime>{day0 - 48h, day0 - 24h});
  CHECK(dueDays(std::nullopt, std::nullopt, std::nullopt, day0, 10).empty());
}

TEST_CASE("top values are parsed as a count and a message", "[hub][unit][logstats]") {
  auto v = logstats::parseTopValue("12x ERROR job # failed");
  REQUIRE(v.has_value());
  CHECK(v->first == 12);
  CHECK(v->second == "ERROR job # failed");
  CHECK_FALSE(logstats::parseTopValue("ERROR job failed").has_value());
  CHECK_FALSE(logstats::parseTopValue("x message").has_value());
  CHECK_FALSE(logstats::parseTopValue("0x message").has_value());
  CHECK_FALSE(logstats::parseTopValue("3x ").has_value());
}

TEST_CASE("a rollup sums lines and levels per service and ranks top messages by count",
          "[hub][unit][logstats]") {
  logstats::RawPeriod r;
  r.counts = {{"api", "lines", 1000, 4},    {"api", "count.error", 50, 4},
              {"api", "count.warn", 20, 3}, {"api", "count.oom", 2, 1},
              {"web", "lines", 10, 1},      {"web", "count.error", 0, 1}};
  // "5x A" reported by 2 results (10), "9x B" by 1 (9), "1x C" by 4 (4).
  r.tops = {{"api", "5x A", 2, t0 + 1min, t0 + 20min},
            {"api", "9x B", 1, t0 + 5min, t0 + 5min},
            {"api", "1x C", 4, t0, t0 + 50min},
            {"api", "not a top value", 1, t0, t0}};
  const auto rows = logstats::rollUp(r, 2);
  REQUIRE(rows.size() == 2);
  const auto& api = rows[0];
  CHECK(api.service == "api");
  CHECK(api.results == 4);
  CHECK(api.lines == 1000);
  CHECK(api.errors == 50);
  CHECK(api.warnings == 20);
  CHECK(api.levels.at("oom") == 2);
  REQUIRE(api.top.size() == 2);  // limited
  CHECK(api.top[0].message == "A");
  CHECK(api.top[0].count == 10);
  CHECK(api.top[0].first_seen == t0 + 1min);
  CHECK(api.top[0].last_seen == t0 + 20min);
  CHECK(api.top[1].message == "B");
  CHECK(logstats::errorRate(api.errors, api.lines) == Approx(0.05));
  CHECK(logstats::errorRate(0, 0) == 0.0);
  CHECK(rows[1].service == "web");
  CHECK(rows[1].errors == 0);
}

TEST_CASE("a day merges its hours: sums, and top messages with the widest first/last seen",
          "[hub][unit][logstats]") {
  auto h1 = logstats::rollUp(raw("api", 100, 10, 5, t0), 20);
  auto h2 = logstats::rollUp(raw("api", 300, 30, 0, t0 + 1h), 20);
  std::vector<logstats::ServiceRollup> parts = h1;
  parts.insert(parts.end(), h2.begin(), h2.end());
  const auto day = logstats::merge(parts, 20);
  REQUIRE(day.size() == 1);
  CHECK(day[0].lines == 400);
  CHECK(day[0].errors == 40);
  CHECK(day[0].warnings == 5);
  CHECK(day[0].results == 4);
  REQUIRE(day[0].top.size() == 1);
  CHECK(day[0].top[0].count == 12);  // 3x by 2 results, in each of the two hours
  CHECK(day[0].top[0].first_seen == t0);
  CHECK(day[0].top[0].last_seen == t0 + 1h + 30min);
}

TEST_CASE("after a gap the job catches up the missed hours in order, then the day",
          "[hub][unit][logstats]") {
  ManualTime time{day0 + 2h + 10min};  // 02:10 today
  test::FakeLogStats store;
  // Hours done up to 20:00 yesterday, the day before is done.
  for (auto h = day0 - 24h; h <= day0 - 4h; h += 1h) {
    store.executions_log.push_back(
        {0, std::string(logstats::kHourlyJob), h, h + 1h, h, h, "ok", "", 0, "r1"});
  }
  store.executions_log.push_back(
      {0, std::string(logstats::kDailyJob), day0 - 48h, day0 - 24h, day0, day0, "ok", "", 0, "r1"});
  store.raw[day0 - 2h] = raw("api", 100, 7, 1, day0 - 2h);
  logstats::LogStatsJob job(store, time, {}, "r1", quiet());
  const auto report = job.runDue();
  CHECK_FALSE(report.error.has_value());
  CHECK(report.hours == 5);  // 21:00, 22:00, 23:00, 00:00, 01:00
  CHECK(report.days == 1);   // yesterday
  CHECK(report.current);     // 02:00 so far
  using P = std::pair<Granularity, SystemTime>;
  CHECK(store.replaced == std::vector<P>{{Granularity::Hour, day0 - 3h},
                                         {Granularity::Hour, day0 - 2h},
                                         {Granularity::Hour, day0 - 1h},
                                         {Granularity::Hour, day0},
                                         {Granularity::Hour, day0 + 1h},
                                         {Granularity::Day, day0 - 24h},
                                         {Granularity::Hour, day0 + 2h}});
  const auto& day = store.rollups.at({Granularity::Day, day0 - 24h});
  REQUIRE(day.size() == 1);
  CHECK(day[0].errors == 7);
  CHECK(store.pruned_before == day0 - 24h * 90);
  // Every complete hour is done: the window totals are made for the current hour, once.
  CHECK(report.windows);
  CHECK(store.windows_base == day0 + 2h);
  CHECK_FALSE(job.runDue().windows);
}

TEST_CASE("a failed hour is recorded and retried before any later hour", "[hub][unit][logstats]") {
  ManualTime time{t0 + 5min};
  test::FakeLogStats store;
  store.executions_log.push_back(
      {0, std::string(logstats::kHourlyJob), t0 - 4h, t0 - 3h, t0, t0, "ok", "", 0, "r1"});
  store.fail_raw.insert(t0 - 2h);
  logstats::LogStatsJob job(store, time, {}, "r1", quiet());
  auto report = job.runDue();
  CHECK(report.error.has_value());
  CHECK_FALSE(report.windows);  // not with hours missing
  CHECK(report.hours == 1);     // 05:00, then 06:00 failed; 07:00 waits
  REQUIRE(store.executions_log.size() == 3);
  CHECK(store.executions_log.back().status == "failed");
  CHECK(store.executions_log.back().period_start == t0 - 2h);
  CHECK(store.executions_log.back().error.find("database went away") != std::string::npos);

  store.fail_raw.clear();
  store.replaced.clear();
  report = job.runDue();
  CHECK_FALSE(report.error.has_value());
  CHECK(report.hours == 2);
  CHECK(store.replaced.at(0).second == t0 - 2h);
  CHECK(store.replaced.at(1).second == t0 - 1h);
}

TEST_CASE("running a period twice leaves the same rollup", "[hub][unit][logstats]") {
  ManualTime time{t0};
  test::FakeLogStats store;
  store.raw[t0 - 1h] = raw("api", 500, 25, 10, t0 - 1h);
  logstats::LogStatsJob job(store, time, {}, "r1", quiet());
  REQUIRE(job.runPeriod(Granularity::Hour, t0 - 1h).ok());
  const auto first = store.rollups.at({Granularity::Hour, t0 - 1h});
  REQUIRE(job.runPeriod(Granularity::Hour, t0 - 1h).ok());
  const auto& second = store.rollups.at({Granularity::Hour, t0 - 1h});
  REQUIRE(second.size() == 1);
  CHECK(second[0].lines == first[0].lines);
  CHECK(second[0].errors == first[0].errors);
  CHECK(second[0].top.at(0).count == first[0].top.at(0).count);
  CHECK(store.executions_log.size() == 2);
  CHECK(store.executions_log[1].rows == 2);  // one stats row, one top message
}

TEST_CASE("the first run backfills the configured hours", "[hub][unit][logstats]") {
  ManualTime time{t0 + 1min};
  test::FakeLogStats store;
  logstats::JobSettings s;
  s.backfill = 3h;
  s.refresh_current = false;
  logstats::LogStatsJob job(store, time, s, "r1", quiet());
  const auto report = job.runDue();
  CHECK(report.hours == 3);
  CHECK_FALSE(report.current);
  CHECK(store.replaced.front().second == t0 - 3h);
}

namespace {

struct StatsApi {
  ManualTime time{t0 + 30min};
  test::FakeLogStats stats;
  test::FakeThresholdStore thresholds;
  int changes = 0;
  policy::ServiceRules rules() {
    policy::ServiceRules r;
    r["api"].log_errors_per_minute = 10;
    return r;
  }
  api::LogStatsHandler handler{stats, thresholds, rules(), time, [this] { ++changes; }};
  test::AllHandlers all;
  api::Router router = [this] {
    api::Handlers h{all.services, all.agents, all.ops, all.uptime};
    h.log_stats = &handler;
    return api::buildRouter(h);
  }();
  api::ApiResponse call(const std::string& method, const std::string& path,
                        std::vector<std::pair<std::string, std::string>> query = {},
                        const std::string& body = {}) {
    return router.dispatch(method, path, query, body, {"key:k1", "operator"});
  }
};

}  // namespace

TEST_CASE("an unknown window is refused naming the allowed values", "[hub][unit][logstats]") {
  StatsApi a;
  for (const auto* path :
       {"/api/v1/logs/stats", "/api/v1/logs/stats/api", "/api/v1/logs/top-errors"}) {
    const auto r = a.call("GET", path, {{"window", "2h"}});
    CHECK(r.status == 400);
    CHECK(r.body["error"]["message"].get<std::string>().find("1h, 24h, 7d, 30d") !=
          std::string::npos);
  }
  CHECK(a.call("GET", "/api/v1/logs/top-errors", {{"limit", "0"}}).status == 400);
  CHECK(a.call("GET", "/api/v1/jobs", {{"status", "running"}}).status == 400);
}

TEST_CASE("stats sum the window's hours and compare them with the window before",
          "[hub][unit][logstats]") {
  StatsApi a;
  a.stats.rollups[{Granularity::Hour, t0}] = logstats::rollUp(raw("api", 1000, 100, 10, t0), 5);
  a.stats.rollups[{Granularity::Hour, t0 - 5h}] =
      logstats::rollUp(raw("web", 1000, 0, 0, t0 - 5h), 5);
  // The 24 hours before the window.
  a.stats.rollups[{Granularity::Hour, t0 - 30h}] =
      logstats::rollUp(raw("api", 500, 25, 0, t0 - 30h), 5);
  auto r = a.call("GET", "/api/v1/logs/stats", {{"window", "24h"}});
  REQUIRE(r.status == 200);
  CHECK(r.body["to"] == formatRfc3339(t0 + 1h));
  CHECK(r.body["totals"]["lines"] == 2000);
  CHECK(r.body["totals"]["errors"] == 100);
  CHECK(r.body["totals"]["error_rate"].get<double>() == Approx(0.05));
  CHECK(r.body["levels"]["warn"] == 10);
  CHECK(r.body["previous"]["errors"] == 25);
  CHECK(r.body["trend"]["errors"].get<double>() == Approx(3.0));  // 100 vs 25
  CHECK(r.body["trend"]["error_rate_direction"] == "flat");       // 0.05 both
  REQUIRE(r.body["services"].size() == 2);
  CHECK(r.body["services"][0]["service"] == "api");
  CHECK(r.body["services"][0]["previous"]["lines"] == 500);

  r = a.call("GET", "/api/v1/logs/stats", {{"window", "1h"}});
  CHECK(r.body["totals"]["lines"] == 1000);
  CHECK(a.call("GET", "/api/v1/logs/stats/nothing").status == 404);
  CHECK(a.call("GET", "/api/v1/logs/stats/api").body["totals"]["errors"] == 100);
}

TEST_CASE("thresholds are validated, stored with who set them, and override hub.yaml's",
          "[hub][unit][logstats]") {
  StatsApi a;
  for (const auto* body : {"not json", "[]", "{}", R"({"errors_per_minute": 0})",
                           R"({"errors_per_minute": "5"})", R"({"errors_per_minute": -1})",
                           R"({"errors_per_minut": 5})", R"({"warnings_per_minute": 1e12})"}) {
    INFO(body);
    CHECK(a.call("PUT", "/api/v1/logs/thresholds/api", {}, body).status == 400);
  }
  CHECK(a.changes == 0);
  auto r = a.call("PUT", "/api/v1/logs/thresholds/api", {},
                  R"({"errors_per_minute": 5, "warnings_per_minute": null})");
  REQUIRE(r.status == 201);
  CHECK(a.changes == 1);
  CHECK(a.thresholds.rows.at("api").updated_by == "key:k1");
  CHECK(a.thresholds.rows.at("api").errors_per_minute == 5.0);
  CHECK_FALSE(a.thresholds.rows.at("api").warnings_per_minute.has_value());
  r = a.call("GET", "/api/v1/logs/thresholds");
  REQUIRE(r.body["thresholds"].size() == 1);
  CHECK(r.body["thresholds"][0]["source"] == "api");
  CHECK(r.body["thresholds"][0]["errors_per_minute"] == 5.0);
  CHECK(a.call("DELETE", "/api/v1/logs/thresholds/api").status == 204);
  CHECK(a.call("DELETE", "/api/v1/logs/thresholds/api").status == 404);
  r = a.call("GET", "/api/v1/logs/thresholds");
  CHECK(r.body["thresholds"][0]["source"] == "config");
  CHECK(r.body["thresholds"][0]["errors_per_minute"] == 10.0);
}

TEST_CASE("the threshold cache prefers stored thresholds and re-reads them after its refresh",
          "[hub][unit][logstats]") {
  ManualTime time{t0};
  test::FakeThresholdStore store;
  policy::ServiceRules rules;
  rules["api"].log_errors_per_minute = 10;
  rules["api"].log_warnings_per_minute = 30;
  logstats::ThresholdCache cache(store, time, rules, 5s);
  CHECK(cache.limits("api") == std::pair{10.0, 30.0});
  CHECK(cache.limits("web") == std::pair{0.0, 0.0});
  logstats::LogThreshold t;
  t.service = "api";
  t.warnings_per_minute = 2;
  REQUIRE(store.put(t).ok());
  CHECK(cache.limits("api") == std::pair{10.0, 30.0});  // not re-read yet
  time.advance(5s);
  CHECK(cache.limits("api") == std::pair{0.0, 2.0});  // the stored row replaces both
  REQUIRE(store.remove("api").ok());
  cache.invalidate();
  CHECK(cache.limits("api") == std::pair{10.0, 30.0});
}

TEST_CASE("warnings per minute over their threshold open a log_rate change, back under close it",
          "[hub][unit][logstats]") {
  ManualTime time{t0};
  test::FakeStatusStore store;
  alerts::LogRateMonitor monitor{store, time, {}, "error", {}, quiet()};
  monitor.setLimits([](const std::string& s) {
    return s == "api" ? std::pair{0.0, 20.0} : std::pair{0.0, 0.0};
  });
  auto result = [](SystemTime at, int warnings) {
    CheckResult r;
    r.agent_id = "n1";
    r.check = "api-log";
    r.service = "api";
    r.kind = "log";
    r.observed_at = at;
    r.details["count.warn"] = std::to_string(warnings);
    r.details["count.error"] = "1000";  // no error threshold: ignored
    return r;
  };
  store::IngestBatch b;
  b.results = {result(t0, 0)};
  monitor.onCommitted(b);
  b.results = {result(t0 + 60s, 30)};
  monitor.onCommitted(b);
  REQUIRE(store.changes.size() == 1);
  CHECK(store.changes[0].cause == policy::Cause::LogRate);
  CHECK(store.changes[0].to == HealthStatus::Degraded);
  CHECK(store.changes[0].reason.find("warn lines/min over the threshold of 20.0") !=
        std::string::npos);
  b.results = {result(t0 + 120s, 5)};
  monitor.onCommitted(b);
  REQUIRE(store.changes.size() == 2);
  CHECK(store.changes[1].to == HealthStatus::Healthy);
  CHECK(store.changes[1].reason.find("back under") != std::string::npos);
}
