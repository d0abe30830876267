// Log statistics against a real hub, agent, NATS and PostgreSQL: an agent's `log` check reads a
// file with known lines, the hub's log_stats job rolls them up, and the API answers the same
// numbers; the period run again (by a second job, as another replica would after a takeover)
// leaves them unchanged; a threshold set through the API opens a log_rate incident that
// GET /api/v1/alerts?kind=log_rate lists.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/log/log.hpp"
#include "common/time/manual_time.hpp"
#include "hub/logstats/log_stats_job.hpp"
#include "hub/logstats/pg_log_stats_store.hpp"
#include "tests/support/pg_query.hpp"
#include "tests/support/stack.hpp"

using namespace vitals;
using namespace vitals::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

json get(int port, const std::string& path) {
  const auto r = httpGet(port, path);
  json j = json::parse(r.body, nullptr, false);
  return r.status == 200 && !j.is_discarded() ? j : json::object();
}

void appendLines(const std::string& path, const std::string& text, int n) {
  std::ofstream out(path, std::ios::app);
  for (int i = 0; i < n; ++i) {
    out << text << " " << i << "\n";
  }
}

}  // namespace

TEST_CASE(
    "log lines read by an agent come back from the stats API, a rerun period keeps the "
    "numbers, and an API threshold opens a log_rate incident",
    "[integration][logstats]") {
  const auto fx = Fixture::load();
  const auto dir = fx.workDir("log_stats");
  const auto db = fx.freshDatabase("log_stats");
  resetStream(fx);

  const std::string log_file = dir + "/app.log";
  std::string text;
  for (int i = 0; i < 12; ++i) {
    text += "2026-12-07 ERROR payment " + std::to_string(i) + " failed\n";
  }
  for (int i = 0; i < 5; ++i) {
    text += "2026-12-07 WARN slow request\n";
  }
  for (int i = 0; i < 3; ++i) {
    text += "2026-12-07 INFO started\n";
  }
  writeFile(log_file, text);

  HubOptions o;
  o.db_conninfo = db;
  o.http_port = freeTcpPort();
  o.batch_size = 50;
  o.extra_yaml = "log_stats:\n  interval: 1s\n  backfill: 2h\n  threshold_refresh: 500ms\n";
  HubProcess hub(fx, dir, o);
  REQUIRE(hub.waitReady(30s));
  AgentProcess agent(fx, dir, "logs-agent",
                     "  - name: app-log\n    service: app\n    kind: log\n    path: " + log_file +
                         "\n    from_start: true\n    interval: 1s\n    timeout: 500ms\n");

  // The hub's job refreshes the current hour every second: the 20 lines show up.
  const bool counted = waitUntil(
      [&] {
        const auto s = get(hub.port(), "/api/v1/logs/stats?window=24h");
        return s.contains("totals") && s["totals"]["lines"] == 20;
      },
      60s);
  if (!counted) {
    FAIL("stats never showed 20 lines:\n"
         << httpGet(hub.port(), "/api/v1/logs/stats?window=24h").body << "\n"
         << hub.log() << "\n"
         << agent.log());
  }
  auto stats = get(hub.port(), "/api/v1/logs/stats?window=24h");
  CHECK(stats["totals"]["errors"] == 12);
  CHECK(stats["totals"]["warnings"] == 5);
  CHECK(stats["totals"]["error_rate"].get<double>() == Approx(0.6));
  REQUIRE(stats["services"].size() == 1);
  CHECK(stats["services"][0]["service"] == "app");
  CHECK(stats["services"][0]["levels"]["info"] == 3);
  auto top = get(hub.port(), "/api/v1/logs/top-errors?window=24h&service=app");
  REQUIRE(!top["top_errors"].empty());
  CHECK(top["top_errors"][0]["message"] == "#-#-# ERROR payment # failed");
  CHECK(top["top_errors"][0]["count"] == 12);
  CHECK(httpGet(hub.port(), "/api/v1/logs/stats?window=2d").status == 400);

  // The backfill hours were recorded as finished runs.
  const auto jobs = get(hub.port(), "/api/v1/jobs?type=log_stats.hourly&status=ok");
  CHECK(jobs["executions"].size() >= 2);

  // The current hour run again as a complete period, twice, by another job (another replica
  // after a takeover): the same numbers.
  const auto conn_logger = log::makeLogger("test", log::LogOptions{"warn", log::Format::Text});
  hub::store::PgConnectOptions pg;
  pg.conninfo = db;
  hub::store::PgPool pool(pg, 1, conn_logger);
  hub::logstats::PgLogStatsStore store(pool);
  const auto hour = hub::logstats::floorHour(std::chrono::system_clock::now());
  ManualTime later(hour + 2h);
  hub::logstats::LogStatsJob job(store, later, {}, "test-replica", conn_logger);
  for (int run = 0; run < 2; ++run) {
    REQUIRE(job.runPeriod(hub::logstats::Granularity::Hour, hour).ok());
    const auto again = get(hub.port(), "/api/v1/logs/stats?window=24h");
    CHECK(again["totals"]["lines"] == 20);
    CHECK(again["totals"]["errors"] == 12);
    CHECK(again["totals"]["warnings"] == 5);
  }
  CHECK(count(db,
              "SELECT count(*) FROM job_executions WHERE replica = 'test-replica' AND "
              "status = 'ok'") == 2);

  // A threshold through the API (operator), then a burst of errors: a log_rate incident.
  auto put =
      httpRequest(hub.port(), "PUT", "/api/v1/logs/thresholds/app", R"({"errors_per_minute": 5})");
  REQUIRE(put.status == 201);
  CHECK(httpRequest(hub.port(), "PUT", "/api/v1/logs/thresholds/app", R"({"errors_per_minute": 0})")
            .status == 400);
  CHECK(count(db, "SELECT count(*) FROM audit_log WHERE target LIKE '%logs/thresholds/app%'") >= 1);
  appendLines(log_file, "2026-12-07 ERROR burst", 500);
  const bool opened = waitUntil(
      [&] {
        const auto a = get(hub.port(), "/api/v1/alerts?kind=log_rate&state=open");
        return a.contains("alerts") && a["alerts"].size() == 1 &&
               a["alerts"][0]["service"] == "app";
      },
      60s);
  if (!opened) {
    FAIL("no log_rate incident:\n"
         << httpGet(hub.port(), "/api/v1/alerts?state=all").body << "\n"
         << hub.log());
  }
  const auto a = get(hub.port(), "/api/v1/alerts?kind=log_rate&state=open");
  CHECK(a["alerts"][0]["kind"] == "log_rate");
  const auto others = get(hub.port(), "/api/v1/alerts?kind=status&state=all");
  for (const auto& i : others["alerts"]) {
    CHECK(i["kind"] == "status");
  }
  CHECK(httpGet(hub.port(), "/api/v1/alerts?kind=nope").status == 400);
}
