// bench_uptime: seeds N services x D days of uptime history (status windows + hourly rollups)
// and times the uptime queries the API runs (PgStatusStore::totals, the same code path as
// GET /api/v1/uptime and /api/v1/services/{name}/uptime). Prints p50/p99. Not a test.
//
//   bench_uptime --db "host=... dbname=..." [--services 10000] [--days 30] [--runs 30]
//                [--single 300] [--no-seed]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/log/log.hpp"
#include "common/time/clock.hpp"
#include "hub/store/migrations.hpp"
#include "hub/store/pg_connection.hpp"
#include "hub/store/pg_pool.hpp"
#include "hub/store/pg_status_store.hpp"

using namespace vitals;
using namespace std::chrono_literals;

namespace {

struct Options {
  std::string db;
  int services = 10000;
  int days = 30;
  int runs = 30;
  int single = 300;
  bool seed = true;
};

double ms(SteadyTime a, SteadyTime b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

double pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

void must(const Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.error().describe().c_str());
    std::exit(1);
  }
}

// Windows of 6 hours aligned to the hour; each service flips now and then. The rollups are
// derived from the same pattern, with running totals by a window function, as the hub would have
// written them incrementally.
void seed(hub::store::PgConnection& conn, const Options& o, SystemTime now) {
  const SystemTime end = hub::policy::hourOf(now);
  const SystemTime start = end - std::chrono::hours{24 * (o.days + 1)};
  const std::string t0 = hub::store::pgTimestamp(start);
  const std::string hours = std::to_string(24 * (o.days + 1));
  const std::string n = std::to_string(o.services);
  must(conn.execScript("TRUNCATE uptime_hourly, uptime_records, status_changes"), "truncate");
  // status of window k of service s
  const std::string status_expr =
      "CASE WHEN (s * 7 + k) % 97 = 0 THEN 'down' WHEN (s * 13 + k) % 23 = 0 THEN 'degraded' "
      "ELSE 'healthy' END";
  auto r = conn.exec(
      "INSERT INTO uptime_records (service, status, started_at, ended_at, duration_seconds, "
      "rolled_until) SELECT 'svc-' || lpad(s::text, 5, '0'), " +
          status_expr +
          ", "
          "$1::timestamptz + make_interval(hours => k * 6), "
          "CASE WHEN (k + 1) * 6 >= $2::int THEN NULL "
          "ELSE $1::timestamptz + make_interval(hours => (k + 1) * 6) END, "
          "CASE WHEN (k + 1) * 6 >= $2::int THEN NULL ELSE 21600 END, "
          "LEAST($1::timestamptz + make_interval(hours => (k + 1) * 6), $1::timestamptz + "
          "make_interval(hours => $2::int)) "
          "FROM generate_series(1, $3::int) s, generate_series(0, ($2::int - 1) / 6) k",
      {t0, hours, n});
  if (!r.ok()) {
    must(r.error(), "seed uptime_records");
  }
  r = conn.exec(
      "INSERT INTO uptime_hourly (service, hour, healthy_seconds, degraded_seconds, "
      "down_seconds, unknown_seconds, cum_healthy, cum_degraded, cum_down, cum_unknown) "
      "SELECT service, hour, h, dg, dn, 0, sum(h) OVER w, sum(dg) OVER w, sum(dn) OVER w, 0 FROM "
      "(SELECT 'svc-' || lpad(s::text, 5, '0') AS service, "
      "$1::timestamptz + make_interval(hours => i) AS hour, "
      "CASE WHEN st = 'healthy' THEN 3600 ELSE 0 END AS h, "
      "CASE WHEN st = 'degraded' THEN 3600 ELSE 0 END AS dg, "
      "CASE WHEN st = 'down' THEN 3600 ELSE 0 END AS dn FROM "
      "(SELECT s, i, " +
          status_expr +
          " AS st FROM generate_series(1, $3::int) s, "
          "generate_series(0, $2::int - 1) i, LATERAL (SELECT i / 6 AS k) kk) x) y "
          "WINDOW w AS (PARTITION BY service ORDER BY hour)",
      {t0, hours, n});
  if (!r.ok()) {
    must(r.error(), "seed uptime_hourly");
  }
  // The open windows carry the running totals as of rolled_until, as the hub keeps them.
  must(conn.execScript(
           "UPDATE uptime_records r SET cum_healthy = l.cum_healthy, cum_degraded = "
           "l.cum_degraded, cum_down = l.cum_down, cum_unknown = l.cum_unknown FROM (SELECT "
           "DISTINCT ON (service) service, cum_healthy, cum_degraded, cum_down, cum_unknown FROM "
           "uptime_hourly ORDER BY service, hour DESC) l WHERE r.service = l.service AND "
           "r.ended_at IS NULL"),
       "seed running totals");
  must(conn.execScript("ANALYZE uptime_hourly; ANALYZE uptime_records"), "analyze");
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--db") {
      o.db = next();
    } else if (a == "--services") {
      o.services = std::atoi(next().c_str());
    } else if (a == "--days") {
      o.days = std::atoi(next().c_str());
    } else if (a == "--runs") {
      o.runs = std::atoi(next().c_str());
    } else if (a == "--single") {
      o.single = std::atoi(next().c_str());
    } else if (a == "--no-seed") {
      o.seed = false;
    } else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  if (o.db.empty() || o.services < 1 || o.days < 1 || o.runs < 1 || o.single < 1) {
    std::fprintf(stderr,
                 "usage: bench_uptime --db CONNINFO [--services N] [--days D] "
                 "[--runs R] [--single S] [--no-seed]\n");
    return 2;
  }
  auto logger = log::makeLogger("bench", log::LogOptions{"warn", log::Format::Text});
  SystemClock clock;
  hub::store::PgConnectOptions pg;
  pg.conninfo = o.db;
  auto conn = hub::store::PgConnection::connect(pg, logger);
  if (!conn.ok()) {
    must(conn.error(), "connect");
  }
  auto migrations = hub::store::parseMigrations(hub::store::embeddedSchemaFiles());
  if (!migrations.ok()) {
    must(migrations.error(), "schema");
  }
  auto migrated = hub::store::migrate(*conn.value(), migrations.value(), *logger);
  if (!migrated.ok()) {
    must(migrated.error(), "migrate");
  }
  const SystemTime now = clock.now();
  if (o.seed) {
    const auto t = clock.steadyNow();
    seed(*conn.value(), o, now);
    std::printf("seeded %d services x %d days: %.1f s\n", o.services, o.days,
                ms(t, clock.steadyNow()) / 1000.0);
  }
  auto rows = conn.value()->exec(
      "SELECT (SELECT count(*) FROM uptime_hourly), (SELECT count(*) FROM uptime_records)");
  if (rows.ok()) {
    std::printf("uptime_hourly rows: %s, uptime_records rows: %s\n", rows->str(0, 0).c_str(),
                rows->str(0, 1).c_str());
  }

  hub::store::PgPool pool(pg, 1, logger);
  hub::store::PgStatusStore store(pool);
  for (int window_days : {30, 7}) {
    const SystemTime since = hub::policy::hourOf(now - std::chrono::hours{24 * window_days});
    std::vector<double> all;
    std::size_t count = 0;
    double first = 0;
    for (int i = 0; i < o.runs + 2; ++i) {
      const auto t = clock.steadyNow();
      auto totals = store.totals(since, clock.now(), std::nullopt);
      const double took = ms(t, clock.steadyNow());
      if (!totals.ok()) {
        must(totals.error(), "totals");
      }
      count = totals->size();
      if (i == 0) {
        first = took;  // also fills the hub's cache of totals at the window's start
      }
      if (i >= 2) {  // the first two warm the cache and the connection
        all.push_back(took);
      }
    }
    // The same totals the way the hub read them before open windows kept their running totals:
    // two rollup probes per service. For a side-by-side figure on the same machine and data.
    std::vector<double> probes;
    for (int i = 0; i < o.runs + 2; ++i) {
      const auto t = clock.steadyNow();
      auto r = conn.value()->exec(
          "SELECT r.service, r.status, r.rolled_until, l.cum_healthy, l.cum_degraded, "
          "l.cum_down, l.cum_unknown, b.cum_healthy, b.cum_degraded, b.cum_down, b.cum_unknown "
          "FROM uptime_records r LEFT JOIN LATERAL (SELECT * FROM uptime_hourly u WHERE "
          "u.service = r.service ORDER BY u.hour DESC LIMIT 1) l ON true LEFT JOIN LATERAL "
          "(SELECT * FROM uptime_hourly u WHERE u.service = r.service AND u.hour < $1 ORDER BY "
          "u.hour DESC LIMIT 1) b ON true WHERE r.ended_at IS NULL",
          {hub::store::pgTimestamp(since)});
      const double took = ms(t, clock.steadyNow());
      if (!r.ok()) {
        must(r.error(), "two-probe query");
      }
      if (i >= 2) {
        probes.push_back(took);
      }
    }
    std::vector<double> one;
    for (int i = 0; i < o.single; ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "svc-%05d", 1 + (i * 7919) % o.services);
      const auto t = clock.steadyNow();
      auto totals = store.totals(since, clock.now(), std::string(name));
      auto windows = store.windows(name, since, clock.now());
      const double took = ms(t, clock.steadyNow());
      if (!totals.ok() || totals->size() != 1 || !windows.ok()) {
        std::fprintf(stderr, "per-service query failed for %s\n", name);
        return 1;
      }
      one.push_back(took);
    }
    std::printf(
        "%dd uptime, all %zu services (%d runs): p50 %.1f ms, p99 %.1f ms; first "
        "query of the hour %.1f ms\n",
        window_days, count, o.runs, pct(all, 0.5), pct(all, 0.99), first);
    std::printf(
        "%dd uptime, all services, two probes per service (previous query, SQL only): "
        "p50 %.1f ms, p99 %.1f ms\n",
        window_days, pct(probes, 0.5), pct(probes, 0.99));
    std::printf("%dd uptime + timeline, one service (%d runs): p50 %.2f ms, p99 %.2f ms\n",
                window_days, o.single, pct(one, 0.5), pct(one, 0.99));
  }
  return 0;
}
